"""Idempotency keys: a request retried over a bad mobile link records once and gets the
first answer back.

The key and the answer are inserted at the end of the transaction that makes the change, so
the change and its answer are kept together or not at all, for the price of one INSERT. A
retry (or a concurrent twin) with the same key does its work again, then meets the stored
key on the unique (owner, key) index, or a conflict its twin's change caused: the caller
rolls back everything and answers with the stored answer instead. Refusals store nothing
(they changed nothing): a retry of a refused request is judged afresh.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from . import db
from .errors import InvalidInput, plain
from .models import IdempotencyKey

MAX_KEY = 200
KEY_SHAPE = re.compile(r"^[\x21-\x7e]{1,200}$")  # visible ASCII, no spaces


_COLUMNS = ("owner", "key", "request_hash", "status", "body", "created_at")
_RECORD = db.Prepared(
    lambda dialect: db.PreparedWrite(insert(IdempotencyKey.__table__), dialect, _COLUMNS)
)


@dataclass(frozen=True)
class Stored:
    status: int
    body: str


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests the same request: method, path with query, and body bytes."""
    digest = hashlib.sha256()
    digest.update(f"{method.upper()} {path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def check_key(key: str) -> str:
    if not KEY_SHAPE.match(key):
        raise InvalidInput(
            [
                plain(
                    "idempotency_key",
                    "Idempotency-Key 须为 1–{max} 个可见 ASCII 字符",
                    "An Idempotency-Key is 1–{max} visible ASCII characters",
                    max=MAX_KEY,
                )
            ]
        )
    return key


def stored(session: Session, owner: str, key: str, request_hash: str) -> Stored | None:
    """The answer kept for this key, None if there is none; a key kept for another request
    is refused (InvalidInput)."""
    row = session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.owner == owner, IdempotencyKey.key == key)
    )
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise InvalidInput(
            [
                plain(
                    "idempotency_key_reused",
                    "此 Idempotency-Key 已用于另一个请求",
                    "This Idempotency-Key was already used for a different request",
                )
            ]
        )
    return Stored(row.status or 0, row.body or "")


def record(
    session: Session,
    owner: str,
    key: str,
    request_hash: str,
    *,
    status: int,
    body: str,
    now: datetime,
) -> None:
    """Keep the answer under its key, in the transaction of the change it answers. Raises
    IntegrityError (SQLite: OperationalError) when the key is kept already or by a
    concurrent request: roll back and answer with stored()."""
    conn = session.connection()
    _RECORD(conn).one(conn, (owner, key, request_hash, status, body, now))
