"""Excel workbooks in and out of the registers' pages: the upload read once and bounded, the
download sent as an attachment."""

from __future__ import annotations

from io import BytesIO

from flask import Response, send_file
from werkzeug.datastructures import FileStorage

from permit.errors import InvalidInput, plain

MAX_UPLOAD = 5 * 1024 * 1024
SHOWN_ERRORS = 200  # a phone lists that many bad cells; the count says how many more
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def uploaded(upload: FileStorage | None) -> bytes:
    """The uploaded file's bytes, or InvalidInput when there is none or it is too big."""
    data = upload.read(MAX_UPLOAD + 1) if upload else b""
    if not data:
        raise InvalidInput([plain("file", "请选择要导入的文件", "Choose a file to import")])
    if len(data) > MAX_UPLOAD:
        raise InvalidInput([plain("file", "文件超过 5 MB", "The file is larger than 5 MB")])
    return data


def download(data: bytes, name: str) -> Response:
    return send_file(BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name)
