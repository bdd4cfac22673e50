"""Printable documents: HTML templates under templates/pdf, rendered to PDF by WeasyPrint.

Plain Jinja (no web framework), every resource inline or handed to the render by the caller
(photos, by their hash): the fetcher refuses every other URL, so a document can never read a
local file or call out to the network.

Rendering a page of Chinese text costs a few hundred milliseconds, most of it WeasyPrint
laying out the text and subsetting the CJK font; the HTML costs a few. So a rendered PDF is
kept on disk under the hash of the HTML it was rendered from: the same records give the same
HTML and so the same PDF, and any change to them gives a new key. Nothing to invalidate.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from ..clock import local_text

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "pdf"
# Each document embeds a subset of its face. The warning sign is set in Noto Sans CJK
# (Debian's fonts-noto-cjk) for its heavy weights, read from metres away. The permit form, a
# document rendered whenever its permit changes, is set in one weight of WenQuanYi Micro Hei
# (fonts-wqy-microhei): its TrueType outlines subset in a fraction of the time Noto's CFF
# outlines take (a sixth of the form's render time) and embed at a quarter of the size.
SIGN_FONT = "Noto Sans CJK SC"
FORM_FONT = "WenQuanYi Micro Hei"

_render_lock = threading.Lock()
_shared: dict[str, Any] = {}


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["localtime"] = local_text
    env.filters["css_string"] = css_string
    env.globals["SIGN_FONT"] = SIGN_FONT
    env.globals["FORM_FONT"] = FORM_FONT
    return env


def css_string(value: Any) -> markupsafe.Markup:
    """A quoted CSS string for a page's margin boxes (content: "…"): people's names go there,
    and a quote, a backslash or a `</style>` in one must end neither the string nor the
    style sheet."""
    text = str(value)
    for char, escape in (("\\", "\\\\"), ('"', '\\"'), ("<", "\\3C "), ("\n", "\\A ")):
        text = text.replace(char, escape)
    return markupsafe.Markup(f'"{text}"')


def html(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


class PdfCache:
    """Rendered PDFs in a folder, by the hash of their HTML; the oldest go beyond `keep`.

    Files are written whole and renamed into place, so processes sharing the folder never
    read half a PDF; several processes rendering the same document at once is harmless."""

    def __init__(self, folder: Path | str, keep: int = 400) -> None:
        self.folder = Path(folder)
        self.keep = keep

    def get(self, key: str) -> bytes | None:
        try:
            return (self.folder / f"{key}.pdf").read_bytes()
        except OSError:
            return None

    def put(self, key: str, pdf: bytes) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".part")
            with os.fdopen(fd, "wb") as fh:
                fh.write(pdf)
            os.replace(tmp, self.folder / f"{key}.pdf")
            self._prune()
        except OSError:
            pass  # a cache that cannot be written only costs time

    def _prune(self) -> None:
        files = list(self.folder.glob("*.pdf"))
        if len(files) <= self.keep:
            return
        files.sort(key=lambda p: p.stat().st_mtime)
        for old in files[: len(files) - self.keep]:
            old.unlink(missing_ok=True)


def _key(source: str) -> str:
    import weasyprint

    return hashlib.sha256(f"{weasyprint.__version__}\n{source}".encode()).hexdigest()


def attachment_url(sha256: str) -> str:
    """How a document's HTML names a file handed to `render` in `files`: by the SHA-256 of
    its bytes, so that the HTML's hash, the cache's key, changes whenever a file does."""
    return f"attachment:{sha256}"


def render(
    template: str,
    *,
    cache: PdfCache | None = None,
    files: Mapping[str, tuple[str, bytes]] | None = None,
    **context: Any,
) -> bytes:
    """The PDF of one template, from the cache when the same HTML was rendered before.

    `files` maps attachment URLs to (content type, bytes): photos travel beside the HTML, not
    inside it as data: URLs, whose megabytes of base64 the HTML parser would otherwise
    read character by character (40 % of a report's render time with 20 photos)."""
    source = html(template, **context)
    key = _key(source) if cache is not None else ""
    if cache is not None and (kept := cache.get(key)) is not None:
        return kept
    pdf = _write_pdf(source, files)
    if cache is not None:
        cache.put(key, pdf)
    return pdf


def _fetcher() -> Any:
    """data: URLs, and the files handed to the render under way; no file:, no network."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class Fetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data",))
            self.files: Mapping[str, tuple[str, bytes]] = {}

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url in self.files:
                content_type, data = self.files[url]
                return URLFetcherResponse(url, body=data, headers={"Content-Type": content_type})
            return super().fetch(url, headers)

    return Fetcher()


def _write_pdf(source: str, files: Mapping[str, tuple[str, bytes]] | None = None) -> bytes:
    """Fontconfig's font lookups are kept in one FontConfiguration per process and reused by
    every render (they are most of the cost of a first render); renders take turns, as
    WeasyPrint's font objects are not meant to be shared between threads."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    with _render_lock:
        if not _shared:
            _shared["fonts"] = FontConfiguration()
            _shared["fetcher"] = _fetcher()
        fetcher = _shared["fetcher"]
        fetcher.files = files or {}
        try:
            document = HTML(string=source, url_fetcher=fetcher)
            return document.write_pdf(font_config=_shared["fonts"])
        finally:
            fetcher.files = {}
