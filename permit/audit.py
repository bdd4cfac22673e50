"""The append-only audit log: one hash chain per enterprise, verified end to end."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from .models import AuditEntry, AuditHead, Base

GENESIS = "0" * 64


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
    return value


def _digest(entry: AuditEntry) -> str:
    body = {
        "chain": entry.chain,
        "seq": entry.seq,
        "prev": entry.prev_hash,
        "at": entry.at.isoformat(),
        "client_at": entry.client_at.isoformat() if entry.client_at else None,
        "actor_id": entry.actor_id,
        "actor_role": entry.actor_role,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "event": entry.event,
        "data": entry.data,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


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
) -> AuditEntry:
    """Append one entry in the caller's transaction. The head row's lock orders appenders."""
    chain = chain_of(enterprise_id)
    head = session.execute(
        select(AuditHead).where(AuditHead.chain == chain).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(chain=chain, seq=0, hash=GENESIS)
        session.add(head)
    entry = AuditEntry(
        chain=chain,
        seq=head.seq + 1,
        at=at.astimezone(UTC),
        client_at=client_at.astimezone(UTC) if client_at else None,
        actor_id=actor_id,
        actor_role=actor_role,
        subject_type=subject_type,
        subject_id=subject_id,
        event=event,
        data=jsonable(data),
        prev_hash=head.hash,
    )
    entry.hash = _digest(entry)
    session.add(entry)
    head.seq, head.hash = entry.seq, entry.hash
    session.flush()
    head.entry_id = entry.id
    return entry


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
    heads = {h.chain: h for h in session.scalars(select(AuditHead))}
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
            elif _digest(entry) != entry.hash:
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
                    head.entry_id or 0,
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
