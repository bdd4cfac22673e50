"""Evidence files: stored once per enterprise by content hash, typed by their own bytes."""

from __future__ import annotations

import hashlib
from pathlib import PurePath

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .clock import Clock
from .errors import InvalidInput, NotFound, plain
from .models import Attachment, User

# Recognised by their first bytes, not by the name or the browser's claim.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
MAX_BYTES = 10 * 1024 * 1024


def sniff(data: bytes) -> str | None:
    return next((kind for magic, kind in SIGNATURES if data.startswith(magic)), None)


def store(
    session: Session,
    *,
    enterprise_id: int,
    filename: str,
    data: bytes,
    clock: Clock,
    actor: User | None = None,
    max_bytes: int = MAX_BYTES,
) -> Attachment:
    """Keep a file; the same bytes sent twice (a retried upload) are the same attachment."""
    if not data:
        raise InvalidInput([plain("file_empty", "文件为空", "the file is empty")])
    if len(data) > max_bytes:
        raise InvalidInput(
            [
                plain(
                    "file_too_large",
                    "文件超过 {mb} MB",
                    "the file is larger than {mb} MB",
                    mb=max_bytes // (1024 * 1024),
                )
            ]
        )
    content_type = sniff(data)
    if content_type is None:
        raise InvalidInput(
            [plain("file_type", "只接受 PDF、JPEG 或 PNG 文件", "only PDF, JPEG or PNG files")]
        )
    digest = hashlib.sha256(data).hexdigest()
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    # ON CONFLICT DO NOTHING, not a savepoint: the same bytes sent twice at once (a retried
    # upload) store one file, and a refusal later in the request still rolls it back.
    session.execute(
        insert(Attachment)
        .values(
            enterprise_id=enterprise_id,
            sha256=digest,
            filename=PurePath(filename or "file").name[:200],
            content_type=content_type,
            size=len(data),
            data=data,
            uploaded_by_id=actor.id if actor else None,
            uploaded_at=clock.now(),
        )
        .on_conflict_do_nothing(index_elements=["enterprise_id", "sha256"])
    )
    return session.scalars(
        select(Attachment).where(
            Attachment.enterprise_id == enterprise_id, Attachment.sha256 == digest
        )
    ).one()


def fetch(session: Session, enterprise_id: int, attachment_id: int) -> Attachment:
    """An attachment of this enterprise, or NotFound (another enterprise's file does not exist)."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.enterprise_id != enterprise_id:
        raise NotFound([plain("not_found", "没有此文件", "no such file")])
    return attachment
