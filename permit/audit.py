"""The append-only audit log: one hash chain per enterprise, verified end to end."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session

from . import db
from .models import AuditEntry, AuditHead, Base

GENESIS = "0" * 64
ENTRIES = AuditEntry.__table__
HEADS = AuditHead.__table__
ADVANCE_HEAD = (
    HEADS.update()
    .where(HEADS.c.chain == bindparam("of_chain"))
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)
_COLUMNS = (
    "chain",
    "seq",
    "prev_hash",
    "at",
    "client_at",
    "actor_id",
    "actor_role",
    "subject_type",
    "subject_id",
    "event",
    "data",
)
# Every change appends one entry: its three statements compiled once per kind of database and
# run on the driver's cursor (SQLAlchemy's execution costs more than SQLite's work on them).
_HEAD = db.Prepared(
    lambda dialect: db.PreparedRead(
        select(HEADS.c.seq, HEADS.c.hash)
        .where(HEADS.c.chain == bindparam("chain"))
        .with_for_update(),
        dialect,
    )
)
_INSERT_ENTRY = db.Prepared(
    lambda dialect: db.PreparedWrite(ENTRIES.insert(), dialect, (*_COLUMNS, "hash"))
)
_INSERT_HEAD = db.Prepared(
    lambda dialect: db.PreparedWrite(HEADS.insert(), dialect, ("chain", "seq", "hash"))
)
_ADVANCE_HEAD = db.Prepared(
    lambda dialect: db.PreparedWrite(ADVANCE_HEAD, dialect, ("of_chain", "new_seq", "new_hash"))
)


def chain_of(enterprise_id: int | None) -> str:
    return f"enterprise:{enterprise_id}" if enterprise_id is not None else "system"


def jsonable(value: Any) -> Any:
    """Data as it will read back from the database, so that hashes can be recomputed."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN or infinity: keep what was sent, as text
    return value


def _digest(row: Mapping[str, Any]) -> str:
    body = {
        "chain": row["chain"],
        "seq": row["seq"],
        "prev": row["prev_hash"],
        "at": row["at"].isoformat(),
        "client_at": row["client_at"].isoformat() if row["client_at"] else None,
        "actor_id": row["actor_id"],
        "actor_role": row["actor_role"],
        "subject_type": row["subject_type"],
        "subject_id": row["subject_id"],
        "event": row["event"],
        "data": row["data"],
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _columns(entry: AuditEntry) -> dict[str, Any]:
    return {c: getattr(entry, c) for c in _COLUMNS}


def append(
    session: Session,
    *,
    enterprise_id: int | None,
    actor_id: int | None,
    actor_role: str,
    subject_type: str,
    subject_id: int | None,
    event: str,
    data: Mapping[str, Any],
    at: datetime,
    client_at: datetime | None = None,
) -> str:
    """Append one entry in the caller's transaction and return its hash.

    The head row's lock orders concurrent appenders of one chain. Prepared statements, not
    the ORM: this runs on every event and the unit of work would double its cost.
    """
    chain = chain_of(enterprise_id)
    conn = session.connection()
    head = _HEAD(conn).first(conn, {"chain": chain})
    seq, prev = (head.seq, head.hash) if head else (0, GENESIS)
    row = {
        "chain": chain,
        "seq": seq + 1,
        "prev_hash": prev,
        "at": at.astimezone(UTC),
        "client_at": client_at.astimezone(UTC) if client_at else None,
        "actor_id": actor_id,
        "actor_role": actor_role,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "event": event,
        "data": jsonable(data),
    }
    row["hash"] = _digest(row)
    _INSERT_ENTRY(conn).one(conn, [row[c] for c in (*_COLUMNS, "hash")])
    if head is None:
        _INSERT_HEAD(conn).one(conn, (chain, row["seq"], row["hash"]))
    else:
        _ADVANCE_HEAD(conn).one(conn, (chain, row["seq"], row["hash"]))
    return row["hash"]


@dataclass(frozen=True)
class Break:
    chain: str
    seq: int
    entry_id: int
    problem: str

    def __str__(self) -> str:
        return f"chain {self.chain}, entry #{self.seq} (id {self.entry_id}): {self.problem}"


def verify(session: Session) -> Iterator[Break]:
    """Yield the first break of each chain: altered, removed or reordered entries."""
    heads = {
        h.chain: h
        for h in session.scalars(select(AuditHead).execution_options(populate_existing=True))
    }
    chains = session.scalars(select(AuditEntry.chain).distinct()).all()
    for chain in sorted(set(chains) | set(heads)):
        prev, expected_seq, last = GENESIS, 1, None
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.chain == chain).order_by(AuditEntry.seq)
        )
        broken = None
        for entry in rows:
            if entry.seq != expected_seq:
                broken = Break(chain, expected_seq, entry.id, f"entry #{expected_seq} is missing")
            elif entry.prev_hash != prev:
                broken = Break(chain, entry.seq, entry.id, "does not link to the entry before it")
            elif _digest(_columns(entry)) != entry.hash:
                broken = Break(chain, entry.seq, entry.id, "content does not match its hash")
            if broken:
                break
            prev, expected_seq, last = entry.hash, expected_seq + 1, entry
        if broken is None and chain in heads:
            head = heads[chain]
            if last is None or head.seq != last.seq or head.hash != last.hash:
                broken = Break(
                    chain,
                    head.seq,
                    last.id if last else 0,
                    "the chain ends before its recorded head (entries removed)",
                )
        if broken:
            yield broken


class NothingIsDeleted(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_deletes_and_audit_edits(session: Session, flush_context, instances) -> None:
    """Append-only, enforced in the ORM; the database triggers enforce it a second time."""
    for obj in session.deleted:
        if isinstance(obj, Base):
            raise NothingIsDeleted(
                f"{type(obj).__name__} rows are never deleted: cancel, retire or supersede instead"
            )
    for obj in session.dirty:
        if isinstance(obj, AuditEntry) and session.is_modified(obj):
            raise NothingIsDeleted("audit entries are append-only")


def count_entries():
    from sqlalchemy import func

    return select(func.count()).select_from(AuditEntry)
