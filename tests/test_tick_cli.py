"""`permit tick` and `permit send-mail` from the command line, on the wall clock: the permits
here were made ten hours ago, so their eight-hour windows are over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from sqlalchemy import select

from permit.cli import cli
from permit.clock import FixedClock
from permit.models import OutboxMessage, Permit

from .test_outbox import Inbox, free_port


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC) - timedelta(hours=10))


@pytest.fixture
def env(engine, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    for name in ("HOST", "PORT", "FROM", "USER", "PASSWORD", "STARTTLS"):
        monkeypatch.delenv(f"PERMIT_SMTP_{name}", raising=False)
    return monkeypatch


def test_tick_expires_reminds_and_mails_when_smtp_is_set(world, env):
    world.requester.email = "requester@example.com"
    permit = world.drive(world.permit(), "approved")
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=free_port())
    server.start()
    try:
        env.setenv("PERMIT_SMTP_HOST", "127.0.0.1")
        env.setenv("PERMIT_SMTP_PORT", str(server.port))
        env.setenv("PERMIT_SMTP_FROM", "permits@example.com")
        first = CliRunner().invoke(cli, ["tick"])
        again = CliRunner().invoke(cli, ["tick"])
    finally:
        server.stop()

    assert first.exit_code == 0, first.output
    assert f"expired: 1 {permit.number}" in first.output
    assert "mail: 1 sent, 0 failed" in first.output
    assert "expired: 0" in again.output and "mail: 0 sent" in again.output
    world.session.expire_all()
    assert world.session.get(Permit, permit.id).state == "expired"
    ((_, recipients, mail),) = inbox.received
    assert recipients == ["requester@example.com"] and permit.number in mail["Subject"]


def test_tick_without_smtp_keeps_the_mail_queued(world, env):
    world.requester.email = "requester@example.com"
    world.drive(world.permit(), "approved")
    done = CliRunner().invoke(cli, ["tick"])
    assert done.exit_code == 0, done.output
    assert "PERMIT_SMTP_HOST is not set" in done.output
    (queued,) = world.session.scalars(select(OutboxMessage)).all()
    assert queued.sent_at is None and queued.recipient == "requester@example.com"

    refused = CliRunner().invoke(cli, ["send-mail"])
    assert refused.exit_code != 0 and "PERMIT_SMTP_HOST" in refused.output
    env.setenv("PERMIT_SMTP_HOST", "127.0.0.1")
    env.setenv("PERMIT_SMTP_PORT", "not-a-port")
    bad = CliRunner().invoke(cli, ["send-mail"])
    assert bad.exit_code != 0 and "PERMIT_SMTP_PORT" in bad.output
