"""Each person's reminders on the web: the bell counts their own unread ones, the page lists
only theirs, reading one is a POST with its CSRF token, and someone else's is not found."""

from __future__ import annotations

import re

import pytest

from permit import reminders, tick
from permit.models import Reminder

from .test_web import signed_in


@pytest.fixture
def app(make_app, world, clock):
    return make_app(WTF_CSRF_ENABLED=False, CLOCK=clock)


@pytest.fixture
def overdue(world, sessions):
    """A permit past its window with someone inside: its attendant, requester and approver
    are reminded; the entrant is not."""
    permit = world.working()
    world.fire(permit, "check_in", person=world.entrant.id)
    world.clock.advance(hours=9)
    tick.tick(sessions, world.clock)
    return permit


def bell(page: str) -> int:
    return int(re.search(r'class="bell-count" data-count="(\d+)"', page).group(1))


def test_the_bell_counts_the_users_own_unread_reminders(app, world, overdue):
    assert bell(signed_in(app, "attendant").get("/permits").get_data(as_text=True)) == 1
    assert bell(signed_in(app, "entrant").get("/permits").get_data(as_text=True)) == 0


def test_the_page_lists_only_ones_own_reminders_in_ones_language(app, world, overdue):
    page = signed_in(app, "attendant", lang="en").get("/reminders").get_data(as_text=True)
    assert f"Permit {overdue.number} is past its work window" in page
    assert "with 1 inside" in page and f'href="/permits/{overdue.number}"' not in page  # unread
    zh = signed_in(app, "attendant").get("/reminders").get_data(as_text=True)
    assert f"作业票{overdue.number}已超过作业时间段" in zh
    theirs = signed_in(app, "entrant").get("/reminders").get_data(as_text=True)
    assert overdue.number not in theirs and "暂无提醒" in theirs


def test_reading_a_reminder_takes_it_off_the_bell_and_can_open_what_it_is_about(
    app, world, overdue
):
    client = signed_in(app, "attendant")
    (mine,) = reminders.for_user(world.session, world.attendant)
    answer = client.post(f"/reminders/{mine.id}/read", data={"open": "1"})
    assert (answer.status_code, answer.headers["Location"]) == (303, f"/permits/{overdue.number}")
    page = client.get("/reminders").get_data(as_text=True)
    assert bell(page) == 0 and f'href="/permits/{overdue.number}"' in page
    world.session.expire_all()
    assert world.session.get(Reminder, mine.id).read_at == world.clock.now()


def test_someone_elses_reminder_is_not_found_and_stays_unread(app, world, overdue):
    (theirs,) = reminders.for_user(world.session, world.attendant)
    client = signed_in(app, "entrant")
    assert client.post(f"/reminders/{theirs.id}/read").status_code == 404
    assert client.post("/reminders/999999/read").status_code == 404
    client.post("/reminders/read")  # "all of mine": none of the attendant's
    world.session.expire_all()
    assert world.session.get(Reminder, theirs.id).read_at is None


def test_marking_all_read_reads_only_ones_own(app, world, overdue, sessions):
    world.clock.advance(days=400)  # everyone's training lapses: the keepers are told too
    tick.tick(sessions, world.clock)
    attendants = reminders.unread_count(world.session, world.attendant)
    client = signed_in(app, "principal", lang="en")
    before = bell(client.get("/reminders").get_data(as_text=True))
    assert before >= 2
    answer = client.post("/reminders/read")
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert bell(page) == 0 and f"{before} reminders marked read." in page
    assert reminders.unread_count(world.session, world.attendant) == attendants > 1


def test_reading_a_reminder_needs_the_forms_csrf_token(make_app, world, overdue, clock):
    app = make_app(CLOCK=clock)
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    client.post("/login", data={"username": "attendant", "password": "demo",
                                "csrf_token": token})
    (mine,) = reminders.for_user(world.session, world.attendant)
    assert client.post(f"/reminders/{mine.id}/read").status_code == 400
    world.session.expire_all()
    assert world.session.get(Reminder, mine.id).read_at is None
    page = client.get("/reminders").get_data(as_text=True)
    token = re.search(rf'/reminders/{mine.id}/read">\s*<input type="hidden" '
                      r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(f"/reminders/{mine.id}/read", data={"csrf_token": token}).status_code == 303
    world.session.expire_all()
    assert world.session.get(Reminder, mine.id).read_at == world.clock.now()


def test_each_person_sets_their_own_address_for_reminder_mail(app, world):
    client = signed_in(app, "attendant", lang="en")
    answer = client.post("/reminders/email", data={"email": " attendant@example.com "})
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Reminders will be mailed to attendant@example.com." in page
    assert 'value="attendant@example.com"' in page
    world.session.expire_all()
    assert world.attendant.email == "attendant@example.com"
    assert world.entrant.email is None

    client.post("/reminders/email", data={"email": ""})
    world.session.expire_all()
    assert world.attendant.email is None


@pytest.mark.parametrize("bad", ["attendant", "a@b", "a b@example.com", "@example.com",
                                 "x" * 250 + "@example.com"])
def test_a_malformed_address_is_refused_in_the_users_language_and_changes_nothing(
    app, world, bad
):
    from .helpers import row_counts

    world.attendant.email = "kept@example.com"
    world.session.commit()
    before = row_counts(world.session)
    client = signed_in(app, "attendant")
    answer = client.post("/reminders/email", data={"email": bad})
    assert (answer.status_code, answer.headers["Location"]) == (303, "/reminders")
    assert "电子邮箱地址无效" in client.get("/reminders").get_data(as_text=True)
    world.session.expire_all()
    assert world.attendant.email == "kept@example.com"
    assert row_counts(world.session) == before
