"""QR codes, and the URLs they carry: SVG for web pages, a 1-bit PNG for PDFs (WeasyPrint
draws one image far faster than it parses a path of hundreds of squares; printed without
smoothing, each module stays a sharp square at any size).

The URLs are built from a base URL the caller passes in (the public address phones will
open), never from a database id: a sign's QR holds only its space's random token.
"""

from __future__ import annotations

import base64
import struct
import zlib
from functools import lru_cache
from urllib.parse import quote

import qrcode
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_M

QUIET_ZONE = 4  # modules of white around the code, as the QR specification asks


def scan_url(base_url: str, token: str) -> str:
    """The public scan page of a sign's token."""
    return f"{_base(base_url)}/s/{quote(token, safe='')}"


def permit_url(base_url: str, number: str) -> str:
    """The live permit page (behind sign-in)."""
    return f"{_base(base_url)}/permits/{quote(number, safe='')}"


def _base(base_url: str) -> str:
    base = (base_url or "").strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ValueError(f"a public base URL starts with http:// or https://, not {base_url!r}")
    return base


@lru_cache(maxsize=2048)
def matrix(data: str, robust: bool = True) -> tuple[tuple[bool, ...], ...]:
    """The modules of the QR code of `data`, quiet zone included (True = dark).

    `robust` uses the highest error correction (30 % of the code may be dirty or torn: a sign
    hangs outdoors beside sludge and steam); documents read on paper indoors use the medium one.
    Cached: a sign's URL changes only when the sign is replaced.
    """
    code = qrcode.QRCode(
        error_correction=ERROR_CORRECT_H if robust else ERROR_CORRECT_M,
        border=QUIET_ZONE,
        box_size=1,
    )
    code.add_data(data)
    code.make(fit=True)
    return tuple(tuple(bool(m) for m in row) for row in code.get_matrix())


def svg(data: str, *, robust: bool = True, title: str = "") -> str:
    """An <svg> element drawing the QR code of `data`, sized by its container (viewBox only)."""
    modules = matrix(data, robust)
    size = len(modules)
    path = []
    for y, row in enumerate(modules):
        x = 0
        while x < size:
            if row[x]:
                run = x
                while run < size and row[run]:
                    run += 1
                path.append(f"M{x} {y}h{run - x}v1h{x - run}z")
                x = run
            else:
                x += 1
    label = f"<title>{_escape(title)}</title>" if title else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges" role="img" class="qr">{label}'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(path)}"/></svg>'
    )


def png(data: str, *, robust: bool = True) -> bytes:
    """A 1-bit greyscale PNG of the QR code, one pixel per module."""
    modules = matrix(data, robust)
    size = len(modules)
    rows = bytearray()
    for row in modules:
        rows.append(0)  # filter: none
        bits = 0
        for i, dark in enumerate(row):
            bits = (bits << 1) | (0 if dark else 1)
            if i % 8 == 7:
                rows.append(bits)
                bits = 0
        if size % 8:
            rows.append(bits << (8 - size % 8))
    header = struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )


def png_data_url(data: str, *, robust: bool = True) -> str:
    return "data:image/png;base64," + base64.b64encode(png(data, robust=robust)).decode()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
