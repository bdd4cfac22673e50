"""Reminders each person sees in the app, and the mail waiting to be sent about them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Reminder(Base):
    """Something a person should act on: a permit past its window, a silent detector, a due
    date. One per person and key: the key names the thing and its due date, so a tick that
    runs again (or at the same time) adds nothing. Read, never deleted."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[dict]  # {"zh": …, "en": …}
    article: Mapped[str] = mapped_column(String(200), default="")
    due_on: Mapped[date | None]
    overdue: Mapped[bool] = mapped_column(default=False)
    endpoint: Mapped[str | None] = mapped_column(String(80))  # what it is about, as a link
    args: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """A mail waiting to be sent (or sent): the sender drains it when SMTP is configured, marks
    what it sent and keeps each failure, so a message is retried and never lost. The key
    keeps the same message from being queued twice."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    # A sender holds a message until this time while it sends it; after a failure it is the
    # earliest time to try again.
    not_before: Mapped[datetime | None]
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
