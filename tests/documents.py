"""Reading PDFs back as a person or a phone would: their text (pdftotext), their fonts
(pdffonts), their pages as images (pdftoppm) and the QR codes on them (zxing-cpp)."""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import dataclass

import pytest


def _run(*args: str, data: bytes) -> bytes:
    try:
        return subprocess.run(
            [*args], input=data, capture_output=True, check=True, timeout=60
        ).stdout
    except FileNotFoundError:  # poppler-utils is listed in scripts/system-deps
        pytest.fail(f"{args[0]} is missing: install poppler-utils", pytrace=False)


def text(pdf: bytes) -> str:
    """The text of every page; -raw keeps each line's words in reading order."""
    return _run("pdftotext", "-raw", "-enc", "UTF-8", "-", "-", data=pdf).decode()


@dataclass(frozen=True)
class Font:
    name: str
    kind: str
    embedded: bool
    subset: bool


def fonts(pdf: bytes) -> list[Font]:
    out = _run("pdffonts", "-", data=pdf).decode().splitlines()[2:]
    found = []
    for line in out:
        # name, then the type (words), encoding, then the yes/no columns emb sub uni.
        match = re.match(r"(\S+)\s+(.+?)\s+(\S+)\s+(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+", line)
        if match:
            found.append(Font(match[1], match[2], match[4] == "yes", match[5] == "yes"))
    return found


def pages(pdf: bytes) -> list[tuple[float, float]]:
    """Each page's size in points."""
    info = _run("pdfinfo", "-f", "1", "-l", "999", "-", data=pdf).decode()
    return [
        (float(w), float(h))
        for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)
    ]


def rasterise(pdf: bytes, dpi: int = 100, page: int = 1):
    """One page as a PIL image, as a phone's camera would see a printed copy."""
    from PIL import Image

    png = _run("pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-png", "-", data=pdf)
    return Image.open(io.BytesIO(png))


def qr_codes(image) -> list[str]:
    """The texts of the QR codes a real decoder finds on the image."""
    import zxingcpp

    return [
        r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode
    ]


@dataclass(frozen=True)
class EmbeddedImage:
    page: int
    width: int
    height: int
    encoding: str


def images(pdf: bytes) -> list[EmbeddedImage]:
    """The images drawn on the pages, as `pdfimages -list` finds them (soft masks left out)."""
    out = _run("pdfimages", "-list", "-", data=pdf).decode().splitlines()[2:]
    found = []
    for line in out:
        cols = line.split()
        if len(cols) > 9 and cols[2] == "image":
            found.append(EmbeddedImage(int(cols[0]), int(cols[3]), int(cols[4]), cols[8]))
    return found
