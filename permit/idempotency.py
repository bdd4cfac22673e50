"""Idempotency keys: a request retried over a bad mobile link records once and gets the
first answer back.

A key is claimed in the same transaction as the change it guards: the claim row is inserted
first and holds the answer when the transaction commits, so the change and its answer are
kept together or not at all. A concurrent request with the same key meets the claim on the
unique (owner, key) index: on PostgreSQL it waits for the first transaction and then fails
to insert; SQLite lets one writer in at a time. Either way the caller rolls back and claims
again, and then finds the stored answer. Refusals store nothing (they changed nothing): a
retry of a refused request is judged afresh.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import Conflict, InvalidInput, plain
from .models import IdempotencyKey

MAX_KEY = 200
KEY_SHAPE = re.compile(r"^[\x21-\x7e]{1,200}$")  # visible ASCII, no spaces


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


def claim(
    session: Session, owner: str, key: str, request_hash: str, *, now: datetime
) -> Stored | IdempotencyKey:
    """The answer stored for this key, or a new claim to record this request's answer on.

    The flush of a new claim raises IntegrityError (or, on SQLite, OperationalError) when a
    concurrent request holds the same key: roll back and claim again."""
    existing = session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.owner == owner, IdempotencyKey.key == key)
    )
    if existing is not None:
        if existing.request_hash != request_hash:
            raise InvalidInput(
                [
                    plain(
                        "idempotency_key_reused",
                        "此 Idempotency-Key 已用于另一个请求",
                        "This Idempotency-Key was already used for a different request",
                    )
                ]
            )
        if existing.status is None:  # never committed without its answer; be safe anyway
            raise Conflict(
                [plain("in_progress", "请求仍在处理中，请稍后重试", "Still in progress: retry")]
            )
        return Stored(existing.status, existing.body or "")
    row = IdempotencyKey(owner=owner, key=key, request_hash=request_hash, created_at=now)
    session.add(row)
    session.flush()
    return row


def record(row: IdempotencyKey, status: int, body: str) -> None:
    """Keep the answer with the claim; it is committed with the change it answers."""
    row.status = status
    row.body = body
