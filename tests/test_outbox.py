"""The outbox: reminders are mailed through a real SMTP server (aiosmtpd, on this machine),
each message once, a failure kept with its error and retried later, never lost."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from permit import outbox, reminders
from permit.models import OutboxMessage

NOTICE = reminders.Notice(
    key="test:1",
    kind="test",
    text={"zh": "检测仪D-01校准将于12月1日到期", "en": "Detector D-01 is due for calibration"},
    article="003 第十条",
)


class Inbox:
    """An aiosmtpd handler that keeps what it receives, or refuses it while told to."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], str]] = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        if self.refuse:
            return "451 Try again later"
        mail = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), mail))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, outbox.SmtpConfig(host="127.0.0.1", port=controller.port,
                                   sender="permits@example.com")
    controller.stop()


def queue(world, *people) -> list[int]:
    made = reminders.remind(world.session, world.enterprise.id, [p.id for p in people], NOTICE,
                            world.clock.now())
    world.session.commit()
    return made


def outbox_rows(session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_reminder_to_someone_with_an_address_is_mailed_once(world, sessions, smtp):
    inbox, config = smtp
    world.attendant.email = "attendant@example.com"  # the entrant has no address
    queue(world, world.attendant, world.entrant)
    queue(world, world.attendant)  # the same reminder again: nothing new

    done = outbox.drain(sessions, world.clock, config)
    again = outbox.drain(sessions, world.clock, config)

    assert (len(done.sent), done.failed, again.sent) == (1, {}, [])
    ((sender, recipients, mail),) = inbox.received
    assert (sender, recipients) == ("permits@example.com", ["attendant@example.com"])
    assert mail["Subject"] == NOTICE.text["zh"]
    assert NOTICE.text["en"] in mail.get_content() and "003 第十条" in mail.get_content()
    (row,) = outbox_rows(world.session)
    assert (row.sent_at, row.attempts, row.last_error) == (world.clock.now(), 1, "")


def test_a_failed_send_is_kept_with_its_error_and_retried_later(world, sessions, smtp):
    inbox, config = smtp
    world.attendant.email = "attendant@example.com"
    queue(world, world.attendant)
    inbox.refuse = True

    failed = outbox.drain(sessions, world.clock, config)
    inbox.refuse = False
    too_soon = outbox.drain(sessions, world.clock, config)

    (row,) = outbox_rows(world.session)
    assert list(failed.failed.values())[0].startswith("SMTP")
    assert (row.sent_at, row.attempts) == (None, 1)
    assert "451" in row.last_error and row.not_before > world.clock.now()
    assert (too_soon.sent, inbox.received) == ([], [])

    world.clock.advance(minutes=6)
    assert len(outbox.drain(sessions, world.clock, config).sent) == 1
    (row,) = outbox_rows(world.session)
    assert (row.sent_at, row.attempts, row.last_error) == (world.clock.now(), 2, "")
    assert len(inbox.received) == 1


def test_no_server_listening_is_a_failure_not_a_lost_message(world, sessions):
    world.attendant.email = "attendant@example.com"
    queue(world, world.attendant)
    nowhere = outbox.SmtpConfig(host="127.0.0.1", port=free_port(), timeout=5)
    done = outbox.drain(sessions, world.clock, nowhere)
    (row,) = outbox_rows(world.session)
    assert done.sent == [] and row.sent_at is None and "Connection" in row.last_error


def test_two_senders_at_once_send_each_message_once(world, sessions, smtp):
    inbox, config = smtp
    for n, person in enumerate([world.attendant, world.requester, world.principal,
                                world.deputy, world.approver, world.entrant]):
        person.email = f"p{n}@example.com"
    queue(world, world.attendant, world.requester, world.principal, world.deputy,
          world.approver, world.entrant)
    barrier = threading.Barrier(2)
    results: list[outbox.Drained] = []

    def run() -> None:
        barrier.wait()
        results.append(outbox.drain(sessions, world.clock, config))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(i for r in results for i in r.sent) == [r.id for r in outbox_rows(world.session)]
    assert sorted(rcpt[0] for _, rcpt, _ in inbox.received) == [
        f"p{n}@example.com" for n in range(6)
    ]
    assert world.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
    ) == 0


def test_smtp_is_configured_from_the_environment():
    assert outbox.SmtpConfig.from_env({}) is None
    config = outbox.SmtpConfig.from_env(
        {"PERMIT_SMTP_HOST": "mail.example.com", "PERMIT_SMTP_PORT": "587",
         "PERMIT_SMTP_FROM": "permits@example.com", "PERMIT_SMTP_STARTTLS": "1",
         "PERMIT_SMTP_USER": "u", "PERMIT_SMTP_PASSWORD": "p"}
    )
    assert (config.host, config.port, config.starttls, config.user) == (
        "mail.example.com", 587, True, "u")
    with pytest.raises(ValueError, match="PERMIT_SMTP_PORT"):
        outbox.SmtpConfig.from_env({"PERMIT_SMTP_HOST": "h", "PERMIT_SMTP_PORT": "x"})
    assert timedelta(0) < outbox.LEASE
