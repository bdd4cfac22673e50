"""The demo enterprise, the CLI and the permits page, on both databases."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from permit import audit, db
from permit.catalogue import is_key_supervision
from permit.cli import cli
from permit.clock import local_date
from permit.engine import workflow_of
from permit.models import Contractor, Equipment, Permit, Space, User
from permit.qualification import is_qualified
from permit.workflow import get
from web import create_app


@pytest.fixture
def demo_url(engine, monkeypatch) -> str:
    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def test_demo_loads_once_and_is_realistic(demo_url, session):
    runner = CliRunner()
    first = runner.invoke(cli, ["demo"])
    assert first.exit_code == 0, first.output
    assert "demo data loaded" in first.output and "principal" in first.output
    again = runner.invoke(cli, ["demo"])
    assert "already present" in again.output
    assert session.scalar(select(func.count()).select_from(Permit)) == 8

    wf = get("confined_space", "draft-2023.1")
    spaces = session.scalars(select(Space)).all()
    assert len(spaces) >= 8
    assert len({s.catalogue_class for s in spaces if s.catalogue_class}) >= 5
    assert any("h2s" in s.hazards and "污水" in s.name for s in spaces)
    assert any(s.catalogue_class == "gas_pipeline" for s in spaces)
    assert sum(is_key_supervision(s, wf) for s in spaces) >= 7

    usernames = set(session.scalars(select(User.username).where(User.username.is_not(None))))
    assert {
        "principal",
        "deputy",
        "approver",
        "attendant",
        "entrant",
        "contractor",
        "admin",
        "expert",
        "regulator",
    } <= usernames
    people = session.scalars(select(User)).all()
    today = local_date(session.scalar(select(Permit.created_at).limit(1)))
    trained = [is_qualified(u, "annual", today, wf) for u in people if u.has_role("entrant")]
    assert any(trained) and not all(trained)

    detectors = session.scalars(select(Equipment).where(Equipment.kind == "gas_detector")).all()
    assert any(d.due_on >= today for d in detectors) and any(d.due_on < today for d in detectors)
    contractors = session.scalars(select(Contractor)).all()
    assert sorted(bool(c.agreements) for c in contractors) == [False, True]

    from permit import packs
    from permit.models import Enterprise

    by_code = {e.code: e.id for e in session.scalars(select(Enterprise))}
    assert packs.pack_in_force(session, by_code["DEMO"], today) == "draft-2023"
    assert packs.pack_in_force(session, by_code["DEMO13"], today) == "order13-2024"
    brewery = session.scalars(select(Permit).where(Permit.enterprise_id == by_code["DEMO13"])).one()
    assert (brewery.workflow_version, brewery.risk_tier) == ("order13-2024.1", "major")

    states = set(session.scalars(select(Permit.state)))
    assert {
        "draft",
        "pending_approval",
        "approved",
        "working",
        "suspended",
        "closed",
        "cancelled",
    } <= states
    working = session.scalars(select(Permit).where(Permit.state == "working")).one()
    assert working.headcount == 1 and working.contractor is not None
    assert list(audit.verify(session)) == []


def test_the_permits_page_lists_the_demo_permits_with_their_state(demo_url, session, make_app):
    # (signing in needs the form's CSRF token: this test app keeps CSRF off)
    CliRunner().invoke(cli, ["demo"])
    app = make_app(WTF_CSRF_ENABLED=False)
    client = app.test_client()
    assert client.get("/permits").status_code == 302  # sign in first
    client.post("/login", data={"username": "admin", "password": "demo"})
    response = client.get("/permits")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for permit in session.scalars(select(Permit)):
        if permit.number.startswith("DEMO-"):
            assert permit.number in page
            assert workflow_of(permit).state_label(permit.state) in page
        else:  # the other demo enterprise's permits are not this admin's to see
            assert permit.number not in page
    assert 'data-state="working"' in page


def test_the_app_refuses_an_unmigrated_database_and_says_what_to_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    with pytest.raises(db.NotMigrated, match="permit init-db"):
        create_app({"DATABASE_URL": url})


def test_init_db_is_idempotent(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(cli, ["init-db"])
        assert result.exit_code == 0, result.output
    engine = db.make_engine()
    try:
        db.check_migrated(engine)
    finally:
        engine.dispose()
