"""Reminders: what each person should act on, shown to that person alone (a bell with a
count), and mailed through the outbox when they have an address."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from . import audit
from .clock import Clock
from .errors import InvalidInput, NotFound, plain
from .models import OutboxMessage, Reminder, User
from .once import insert_new

REMINDERS = Reminder.__table__
OUTBOX = OutboxMessage.__table__
SHOWN = 200  # the newest reminders listed on the page
# One @, something on both sides and a dot in the domain: enough to catch a typo; whether
# the address reaches anyone only the mail server can tell (its failures are kept).
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


@dataclass(frozen=True)
class Notice:
    """What to remind people of. The key names the thing and, for a due date, the date: the
    same key is never reminded of twice to one person."""

    key: str
    kind: str
    text: Mapping[str, str]  # {"zh": …, "en": …}
    article: str = ""
    due_on: date | None = None
    overdue: bool = False
    endpoint: str | None = None
    args: Mapping[str, Any] = field(default_factory=dict)


def remind(
    session: Session,
    enterprise_id: int,
    user_ids: Iterable[int],
    notice: Notice,
    now: datetime,
) -> list[int]:
    """Give each person the reminder unless they have it already, and queue a mail for those
    with an address; the ids of the reminders made. In the caller's transaction."""
    made = []
    wanted = set(user_ids)
    people = dict(
        session.execute(
            select(User.id, User.email).where(User.id.in_(wanted), User.active.is_(True))
        ).all()
    ) if wanted else {}
    # One order for every caller: two ticks at once wait for each other instead of deadlocking.
    for user_id in sorted(people):  # someone who has left is not reminded
        reminder_id = insert_new(
            session,
            REMINDERS,
            {
                "enterprise_id": enterprise_id,
                "user_id": user_id,
                "key": notice.key,
                "kind": notice.kind,
                "text": dict(notice.text),
                "article": notice.article,
                "due_on": notice.due_on,
                "overdue": notice.overdue,
                "endpoint": notice.endpoint,
                "args": dict(notice.args),
                "created_at": now,
                "read_at": None,
            },
            ("user_id", "key"),
        )
        if reminder_id is None:
            continue
        made.append(reminder_id)
        email = people[user_id]
        if email:
            queue_mail(session, f"reminder:{reminder_id}", enterprise_id, user_id, email,
                       notice, now)
    return made


def mail_text(notice: Notice) -> tuple[str, str]:
    """Subject and body of the mail about a reminder: Chinese first, then English."""
    subject = notice.text["zh"]
    lines = [notice.text["zh"], notice.text.get("en", "")]
    if notice.article:
        lines.append(f"依据 / Source: {notice.article}")
    lines.append("请登录有限空间作业许可系统查看。 / Sign in to the permit system to see it.")
    return subject[:300], "\n\n".join(line for line in lines if line)


def queue_mail(
    session: Session,
    key: str,
    enterprise_id: int | None,
    user_id: int | None,
    recipient: str,
    notice: Notice,
    now: datetime,
) -> int | None:
    """Queue one mail unless one with this key is queued already; its id, or None."""
    subject, body = mail_text(notice)
    return insert_new(
        session,
        OUTBOX,
        {
            "key": key,
            "enterprise_id": enterprise_id,
            "user_id": user_id,
            "recipient": recipient,
            "subject": subject,
            "body": body,
            "created_at": now,
            "not_before": None,
            "sent_at": None,
            "attempts": 0,
            "last_error": "",
        },
        ("key",),
    )


def for_user(session: Session, user: User, limit: int = SHOWN) -> list[Reminder]:
    """The person's own reminders: unread first, then the newest."""
    return list(
        session.scalars(
            select(Reminder)
            .where(Reminder.user_id == user.id)
            .order_by(Reminder.read_at.is_not(None), Reminder.id.desc())
            .limit(limit)
        )
    )


def unread_count(session: Session, user: User) -> int:
    return session.scalar(
        select(func.count())
        .select_from(Reminder)
        .where(Reminder.user_id == user.id, Reminder.read_at.is_(None))
    ) or 0


def mark_read(session: Session, user: User, reminder_id: int, *, clock: Clock) -> Reminder:
    """Mark one of the person's own reminders read (someone else's is not found)."""
    reminder = session.get(Reminder, reminder_id)
    if reminder is None or reminder.user_id != user.id:
        raise NotFound([])
    if reminder.read_at is None:
        reminder.read_at = clock.now()
        _audit_read(session, user, [reminder.id], clock.now())
    session.flush()
    return reminder


def mark_all_read(session: Session, user: User, *, clock: Clock) -> int:
    """Mark every unread reminder of the person read; how many."""
    now = clock.now()
    ids = list(
        session.scalars(
            select(Reminder.id).where(Reminder.user_id == user.id, Reminder.read_at.is_(None))
        )
    )
    if ids:
        session.execute(
            update(Reminder)
            .where(Reminder.id.in_(ids), Reminder.read_at.is_(None))
            .values(read_at=now)
            .execution_options(synchronize_session="fetch")
        )
        _audit_read(session, user, ids, now)
    return len(ids)


def _audit_read(session: Session, user: User, ids: list[int], now: datetime) -> None:
    audit.append(
        session,
        enterprise_id=user.enterprise_id,
        actor_id=user.id,
        actor_role="user",
        subject_type="reminders",
        subject_id=ids[0] if len(ids) == 1 else None,
        event="read",
        data={"reminders": ids},
        at=now,
    )


def set_email(session: Session, user: User, raw: str, *, clock: Clock) -> str | None:
    """The person's own address for reminder mail; empty stops the mail. A malformed one is
    refused and nothing changes."""
    email = (raw or "").strip()
    if email and (len(email) > 254 or not EMAIL.fullmatch(email)):
        raise InvalidInput(
            [plain("email_invalid", "电子邮箱地址无效：{value}", "Not an e-mail address: {value}",
                   value=email[:80])]
        )
    user.email = email or None
    session.flush()
    audit.append(
        session,
        enterprise_id=user.enterprise_id,
        actor_id=user.id,
        actor_role="user",
        subject_type="users",
        subject_id=user.id,
        event="set_email",
        data={"email": user.email},
        at=clock.now(),
    )
    return user.email
