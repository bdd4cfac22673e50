"""How generated documents leave the app: PDFs rendered through the app's cache and sent
inline with their Chinese file name, the document pack as a zip; never kept by a shared cache
(the documents name people)."""

from __future__ import annotations

import tempfile
from urllib.parse import quote

from flask import Response, current_app, request, send_file

from permit import document_pack
from permit.documents import PdfCache
from permit.models import Enterprise

from . import clock, get_session


def public_base_url() -> str:
    """Where phones reach this app: PUBLIC_BASE_URL, else the address this request came to."""
    return current_app.config.get("PUBLIC_BASE_URL") or request.host_url


def pdf_cache() -> PdfCache | None:
    return current_app.extensions.get("pdf_cache")


def pdf_response(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def pack_download(enterprise_id: int) -> Response:
    """Build the enterprise's pack into a temporary file and send it: a large enterprise's
    pack never sits in memory whole, and the file goes when the response is closed."""
    session = get_session()
    now = clock().now()
    out = tempfile.TemporaryFile()
    try:
        document_pack.build(
            session, enterprise_id, out, now=now, base_url=public_base_url(), cache=pdf_cache()
        )
    except BaseException:
        out.close()
        raise
    out.seek(0)
    enterprise = session.get(Enterprise, enterprise_id)
    response = send_file(
        out,
        mimetype="application/zip",
        as_attachment=True,
        download_name=document_pack.filename(enterprise, now),
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
