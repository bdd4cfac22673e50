"""The audit log is append-only and hash-chained: tampering is detected, deletion refused."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from permit import audit
from permit.audit import NothingIsDeleted
from permit.cli import cli
from permit.models import AuditEntry


def disarm(conn, dialect: str) -> None:
    """What an intruder with database rights would do first."""
    if dialect == "sqlite":
        conn.execute(text("DROP TRIGGER audit_entries_no_update"))
        conn.execute(text("DROP TRIGGER audit_entries_no_delete"))
    else:
        conn.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))


def test_every_state_change_appends_one_chained_entry(world):
    permit = world.working()
    entries = world.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.subject_type == "permits", AuditEntry.subject_id == permit.id)
        .order_by(AuditEntry.seq)
    ).all()
    assert [e.event for e in entries] == [
        "create",
        "submit",
        "approve",
        "release_isolation",
        "brief",
        "start_ventilation",
        "record_gas_test",
        "start_work",
    ]
    assert [(e.data["from"], e.data["to"]) for e in entries[1:]][:2] == [
        ("draft", "pending_approval"),
        ("pending_approval", "approved"),
    ]
    assert "password" not in entries[2].data
    assert entries[2].actor_role == "principal"
    assert list(audit.verify(world.session)) == []


def test_the_orm_refuses_to_change_an_audit_entry(world):
    entry = world.session.scalars(select(AuditEntry)).first()
    entry.event = "forged"
    with pytest.raises(NothingIsDeleted):
        world.session.flush()
    world.session.rollback()


def test_the_orm_refuses_to_delete_anything(world):
    permit = world.permit()
    world.session.delete(permit)
    with pytest.raises(NothingIsDeleted, match="never deleted"):
        world.session.flush()
    world.session.rollback()


def test_the_database_refuses_updates_and_deletes_behind_the_orm(world, engine):
    world.permit()
    for statement in (
        "UPDATE audit_entries SET event = 'forged'",
        "DELETE FROM audit_entries",
        "DELETE FROM permits",
    ):
        with pytest.raises(DBAPIError, match="append-only|never deleted"):
            with engine.begin() as conn:
                conn.execute(text(statement))


def test_tampering_with_one_row_is_detected_and_named(world, engine, monkeypatch):
    permit = world.working()
    runner = CliRunner()
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    ok = runner.invoke(cli, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "intact" in ok.output

    target = world.session.scalars(
        select(AuditEntry).where(AuditEntry.event == "record_gas_test")
    ).one()
    with engine.begin() as conn:
        disarm(conn, engine.dialect.name)
        conn.execute(
            text("UPDATE audit_entries SET data = :d WHERE id = :id"),
            {"d": '{"passed": true, "readings": []}', "id": target.id},
        )
    world.session.expire_all()
    breaks = list(audit.verify(world.session))
    assert [(b.seq, b.entry_id) for b in breaks] == [(target.seq, target.id)]
    bad = runner.invoke(cli, ["audit", "verify"])
    assert bad.exit_code == 1
    assert f"entry #{target.seq} (id {target.id})" in bad.output
    assert permit.number  # the permit itself is untouched: only its history was forged


def test_removing_an_entry_is_detected(world, engine):
    world.working()
    victim = world.session.scalars(select(AuditEntry).where(AuditEntry.event == "approve")).one()
    seq = victim.seq
    with engine.begin() as conn:
        disarm(conn, engine.dialect.name)
        conn.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": victim.id})
    world.session.expire_all()
    breaks = list(audit.verify(world.session))
    assert [(b.seq, b.problem) for b in breaks] == [(seq, f"entry #{seq} is missing")]


def test_each_enterprise_has_its_own_chain(world):
    chains = set(world.session.scalars(select(AuditEntry.chain)))
    assert chains == {f"enterprise:{world.enterprise.id}"}


def test_fields_an_event_does_not_declare_never_reach_the_audit_log(world):
    # found by the property tests: a NaN sent with an unrelated event broke the audit insert
    # on PostgreSQL (invalid JSON) and stored invalid JSON on SQLite
    import json

    permit = world.permit()
    world.fire(permit, "submit", readings=[{"gas": "o2", "value": float("nan"), "unit": "%vol"}],
               note="x" * 10)
    entry = world.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.event == "submit" and "readings" not in entry.data and "note" not in entry.data
    json.dumps(entry.data, allow_nan=False)
    assert list(audit.verify(world.session)) == []


def test_non_finite_numbers_are_kept_as_text_in_the_log():
    assert audit.jsonable({"v": float("nan"), "w": [float("inf")]}) == {"v": "nan", "w": ["inf"]}
