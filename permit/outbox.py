"""The SMTP sender: drains the outbox when SMTP is configured. A message is claimed before it
is sent (so two senders at once never send it twice), marked sent after, and on failure kept
with its error and tried again later: no message is lost."""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from .clock import Clock
from .models import OutboxMessage

LEASE = timedelta(minutes=5)  # how long a claimed message is left to its sender
RETRY_AFTER = timedelta(minutes=5)  # first wait after a failure; doubles each time
MAX_WAIT = timedelta(hours=6)
BATCH = 100


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    sender: str = "permits@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpConfig | None:
        """PERMIT_SMTP_HOST (unset: no mail is sent), _PORT, _FROM, _USER, _PASSWORD,
        _STARTTLS (1/true)."""
        env = os.environ if env is None else env
        host = env.get("PERMIT_SMTP_HOST", "").strip()
        if not host:
            return None
        try:
            port = int(env.get("PERMIT_SMTP_PORT") or 25)
        except ValueError:
            raise ValueError(
                f"PERMIT_SMTP_PORT must be a number, not {env['PERMIT_SMTP_PORT']!r}"
            ) from None
        return cls(
            host=host,
            port=port,
            sender=env.get("PERMIT_SMTP_FROM") or "permits@localhost",
            user=env.get("PERMIT_SMTP_USER") or None,
            password=env.get("PERMIT_SMTP_PASSWORD") or None,
            starttls=env.get("PERMIT_SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
        )


@dataclass
class Drained:
    sent: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


Send = Callable[[EmailMessage], None]


def smtp_sender(config: SmtpConfig) -> Send:
    def send(message: EmailMessage) -> None:
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
            if config.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.user:
                smtp.login(config.user, config.password or "")
            smtp.send_message(message)

    return send


def _message(row: OutboxMessage, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Message-ID"] = make_msgid(idstring=row.key.replace(":", "-"))
    message.set_content(row.body)
    return message


def _due(now: datetime):
    return (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.sent_at.is_(None),
            or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= now),
        )
        .order_by(OutboxMessage.id)
        .limit(BATCH)
    )


def _claim(session: Session, message_id: int, now: datetime) -> OutboxMessage | None:
    """Take the message for LEASE if nobody holds it and it is not sent: of two senders one
    gets it (the UPDATE's WHERE is judged again on the row once the other commits)."""
    claimed = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.sent_at.is_(None),
            or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= now),
        )
        .values(not_before=now + LEASE, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return session.get(OutboxMessage, message_id) if claimed else None


def _wait(attempts: int) -> timedelta:
    return min(RETRY_AFTER * (2 ** max(attempts - 1, 0)), MAX_WAIT)


def drain(
    sessions: sessionmaker[Session], clock: Clock, config: SmtpConfig, send: Send | None = None
) -> Drained:
    """Send every message that is due, one at a time; what was sent and what failed (why)."""
    send = send or smtp_sender(config)
    done = Drained()
    with sessions() as session:
        due = list(session.scalars(_due(clock.now())))
        session.commit()  # each claim starts a transaction of its own (SQLite: no stale read)
        for message_id in due:
            row = _claim(session, message_id, clock.now())
            if row is None:
                continue  # another sender has it
            try:
                send(_message(row, config.sender))
            except (OSError, smtplib.SMTPException) as exc:
                error = f"{type(exc).__name__}: {exc}"[:2000]
                row.last_error = error
                row.not_before = clock.now() + _wait(row.attempts)
                done.failed[row.id] = error
            else:
                row.sent_at = clock.now()
                row.last_error = ""
                done.sent.append(row.id)
            session.commit()
    return done
