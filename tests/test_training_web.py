"""Training through the web: a session with its assessments, the plan, and the cards."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from .helpers import row_counts
from .test_web import flashes, signed_in


@pytest.fixture
def app(make_app, world, clock):
    return make_app(WTF_CSRF_ENABLED=False, CLOCK=clock)


def session_form(world, **override):
    form = {
        "kind": "annual",
        "topic": "有限空间专题培训",
        "held_on": str(world.today),
        "trainer": "赵安全",
        "hours": "4",
        f"person-{world.entrant2.id}": "passed",
        f"person-{world.rescuer.id}": "failed",
        f"person-{world.entrant.id}": "",
    }
    form.update(override)
    return form


def test_a_session_with_one_failure_changes_that_persons_card(app, world):
    client = signed_in(app, "principal", lang="en")
    form = session_form(world) | {"materials": (io.BytesIO(b"%PDF-1.4 slides"), "课件.pdf")}
    response = client.post("/training", data=form, content_type="multipart/form-data")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Training recorded: 1 passed, 1 failed." in flashes(page)
    assert "有限空间专题培训" in page and "Material 1" in page
    card = client.get(f"/people/{world.rescuer.id}").get_data(as_text=True)
    # the rescuer's earlier pass still counts: a failed retake takes nothing away
    assert "may, until" in card and "Failed" in card


def test_a_session_with_nobody_and_no_topic_is_refused_whole(app, world, session):
    client = signed_in(app, "principal")
    session.commit()
    before = row_counts(session)
    form = session_form(world, topic="", hours="nan")
    form = {k: v for k, v in form.items() if not k.startswith("person-")}
    response = client.post("/training", data=form)
    assert response.headers["Location"].endswith("/training/new")
    messages = flashes(client.get("/training/new").get_data(as_text=True))
    assert any("请填写培训主题" in m for m in messages)
    assert any("学时" in m for m in messages)
    session.expire_all()
    assert row_counts(session) == before


def test_people_outside_the_enterprise_are_not_in_the_form_or_the_cards(app, world):
    client = signed_in(app, "principal")
    assert client.get("/people/999999").status_code == 404
    page = client.get("/training/new").get_data(as_text=True)
    assert world.entrant.name in page


def test_the_plan_line_appears_and_shows_done_once_held(app, world):
    client = signed_in(app, "principal", lang="en")
    month = world.today.month
    client.post(
        "/training/plan",
        data={"year": world.today.year, "month": month, "kind": "annual", "topic": "年度培训"},
    )
    page = client.get("/training").get_data(as_text=True)
    assert "年度培训" in page and "Planned" in page
    client.post("/training", data=session_form(world))
    assert "Done" in client.get("/training").get_data(as_text=True)


def test_only_keepers_record(app, world):
    attendant = signed_in(app, "attendant")
    assert attendant.get("/training/new").status_code == 404
    assert attendant.post("/training", data=session_form(world)).status_code == 404
    assert attendant.get("/training").status_code == 200


def test_an_expired_card_says_since_when(app, world, clock):
    clock.advance(days=400)
    client = signed_in(app, "principal", lang="en")
    page = client.get(f"/people/{world.entrant.id}").get_data(as_text=True)
    expired = world.today - timedelta(days=400 + 30)
    assert (
        "expired" in page
        and str(expired.replace(year=expired.year + 1) - timedelta(days=1)) in page
    )
