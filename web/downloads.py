"""How every generated PDF leaves the app: rendered through the app's cache, sent inline with
its Chinese file name, never kept by a shared cache (the documents name people)."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, current_app

from permit.documents import PdfCache


def pdf_cache() -> PdfCache | None:
    return current_app.extensions.get("pdf_cache")


def pdf_response(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
    response.headers["Cache-Control"] = "private, no-store"
    return response
