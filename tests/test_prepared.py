"""Statements compiled once and run on the driver's cursor (permit.db.PreparedRead and
PreparedWrite): they must read and store exactly what SQLAlchemy itself would, fail as it
would, and stay visible to the engine's statement listeners."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, insert, select, text
from sqlalchemy.exc import IntegrityError

from permit import access, audit, db, idempotency, readings, tokens
from permit.models import Reading

CHINA = timezone(timedelta(hours=8))


def test_the_gateways_token_and_permit_reads_answer_as_sqlalchemy_would(world, engine, clock):
    permit = world.working()
    issued = tokens.issue_device_token(world.session, world.enterprise.id, "D-01", clock=clock)
    world.session.commit()
    token_params = {"digest": tokens.digest(issued.token)}
    permit_params = {
        "enterprise_id": world.enterprise.id,
        "number": permit.number,
        "detector_id": world.detector.id,
    }
    with engine.connect() as conn:
        for prepared, statement, params in [
            (tokens._PREPARED_BEARER, tokens._BEARER, token_params),
            (access._PREPARED_BY_DETECTOR, access._BY_DETECTOR, permit_params),
        ]:
            fast = prepared(conn).all(conn, params)
            slow = conn.execute(statement, params).all()
            assert len(fast) == 1
            assert [r._asdict() for r in fast] == [dict(r._mapping) for r in slow]
        missing = tokens._PREPARED_BEARER(conn).first(conn, {"digest": "0" * 64})
    assert missing is None
    bearer = tokens.authenticate(world.session, issued.token, now=clock.now())
    assert bearer.detector.gases == tuple(world.detector.gases)  # a JSON list, read back
    found = access.permit_for_detector(
        world.session, world.enterprise.id, world.detector.id, permit.number
    )
    assert (found.id, found.state, found.created_at) == (permit.id, "working", permit.created_at)
    assert found.created_at.tzinfo is not None


READ_BACK = text(
    "SELECT permit_id, gas_test_id, gas, point, value, unit, value_in_limit_unit, limit_unit, "
    "passed, taken_at, detector_id, batch_id FROM readings ORDER BY id"
)


def test_a_prepared_write_stores_what_sqlalchemy_would(world, engine):
    """Byte for byte as stored (read back without SQLAlchemy's result types): times in UTC
    whatever zone they came in, flags, floats, NULLs."""
    permit = world.working()
    world.session.commit()
    moment = datetime(2026, 11, 23, 16, 30, 15, 123456, tzinfo=CHINA)
    rows = [
        (permit.id, None, "h2s", "", 0.3, "mg/m3", 0.3, "mg/m3", True, moment, None, None),
        (permit.id, None, "o2", "lower", 18.0, "%vol", 18.0, "%vol", False,
         moment.astimezone(UTC) + timedelta(seconds=1), world.detector.id, None),
    ]
    names = readings._READING_COLUMNS
    with engine.begin() as conn:
        before = len(conn.execute(READ_BACK).all())
        readings._INSERT_READINGS(conn).many(conn, rows)
        conn.execute(insert(Reading.__table__), [dict(zip(names, r, strict=True)) for r in rows])
        stored = conn.execute(READ_BACK).all()[before:]
    assert [tuple(r) for r in stored[:2]] == [tuple(r) for r in stored[2:]]
    with engine.connect() as conn:
        kept = conn.execute(
            select(Reading.taken_at, Reading.passed).order_by(Reading.id.desc()).limit(2)
        ).all()
    assert kept[1] == (datetime(2026, 11, 23, 8, 30, 15, 123456, tzinfo=UTC), True)


def test_an_insert_returning_gives_back_the_new_id(world, engine, clock):
    permit = world.working()
    world.session.commit()
    now = clock.now()
    with engine.begin() as conn:
        (first,) = readings._INSERT_BATCH(conn).one(
            conn, (permit.id, None, None, now, 1, now, now, "a" * 64)
        )
        (second,) = readings._INSERT_BATCH(conn).one(
            conn, (permit.id, None, None, now, 1, now, now, "b" * 64)
        )
    assert second == first + 1


def test_a_refusal_by_the_database_comes_out_as_sqlalchemys_error(session, clock):
    """The API's writes retry or answer from the kept key on IntegrityError: a duplicate key
    sent through the driver's cursor must raise that, not the driver's own error."""
    idempotency.record(session, "token:1", "k-1", "f" * 64, status=201, body="{}", now=clock.now())
    session.commit()
    with pytest.raises(IntegrityError):
        idempotency.record(
            session, "token:1", "k-1", "f" * 64, status=201, body="{}", now=clock.now()
        )
    session.rollback()
    assert idempotency.stored(session, "token:1", "k-1", "f" * 64).status == 201


def test_prepared_statements_are_heard_by_the_engines_listeners(session, engine, clock):
    """The statement counts of the tests and benchmarks see them as any other statement."""
    heard = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        heard.append(statement.split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", listen)
    try:
        for n in range(2):
            audit.append(
                session,
                enterprise_id=None,
                actor_id=None,
                actor_role="system",
                subject_type="test",
                subject_id=n,
                event="check",
                data={"at": clock.now(), "n": n},
                at=clock.now(),
            )
        session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    # the first entry of a chain inserts its head; the second advances it
    assert heard == ["SELECT", "INSERT", "INSERT", "SELECT", "INSERT", "UPDATE"]
    assert list(audit.verify(session)) == []


def test_a_prepared_write_refuses_to_leave_a_column_out(engine):
    with pytest.raises(ValueError, match="point"):
        db.PreparedWrite(insert(Reading.__table__), engine.dialect, ("permit_id", "gas"))
