"""Continuous gas monitoring (art. 13): readings checked as a batch, late ones placed by their
own time, an alarm that suspends a working permit in the same request, silent detectors, and
nobody back in after an alarm or an evacuation until a new passing gas test."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from permit import alarms, engine, gas, readings
from permit.errors import Blocked, Conflict
from permit.models import Alarm, AuditEntry, Permit, Reading, ReadingBatch
from permit.workflow import get as get_workflow

from .api_client import Api, is_problem, reading
from .helpers import row_counts

SKEW = timedelta(seconds=120)


@pytest.fixture
def app(make_app, world, clock):
    return make_app(CLOCK=clock, READINGS_CLOCK_SKEW_SECONDS=120)


@pytest.fixture
def attendant(app, world):
    return Api.signed_in(app, "attendant", "demo")


def stored(world, permit) -> list[Reading]:
    world.session.expire_all()
    return list(
        world.session.scalars(
            select(Reading)
            .where(Reading.permit_id == permit.id, Reading.batch_id.is_not(None))
            .order_by(Reading.taken_at)
        )
    )


def state_of(world, permit) -> str:
    world.session.expire_all()
    return world.session.get(Permit, permit.id).state


# -- a batch is checked whole ----------------------------------------------------------------

BAD = {
    "a unit no detector uses": {"unit": "furlong"},
    "ppm for oxygen": {"gas": "o2", "value": 20.9, "unit": "ppm"},
    "a negative value": {"value": -0.1},
    "not a number": {"value": math.nan},
    "infinity": {"value": math.inf},
    "a value that is text": {"value": "high"},
    "oxygen above 100 %": {"gas": "o2", "value": 100.5, "unit": "%vol"},
    "an unknown gas": {"gas": "nh3"},
    "a gas that is a list": {"gas": ["h2s"]},
    "a unit that is a list": {"unit": ["mg/m3"]},
    "a gas the detector cannot measure": {"gas": "co2", "value": 800},
    "an unknown sampling point": {"point": "bottom"},
    "a detector not on the permit": {"detector": "D-77"},
    "the fan as a detector": {"detector": "F-01"},
    "a time without its zone": {"taken_at": "2026-11-23T08:00:00"},
    "a time that is no time": {"taken_at": "yesterday"},
    "no time at all": {"taken_at": None},
}


@pytest.mark.parametrize("label", sorted(BAD))
def test_one_bad_reading_refuses_the_whole_batch_and_stores_nothing(
    world, attendant, clock, label
):
    permit = world.working()
    good = [reading(clock, value=0.4), reading(clock, gas="o2", value=20.9, unit="%vol")]
    bad = reading(clock, **{k: v for k, v in BAD[label].items() if k != "taken_at"})
    if "taken_at" in BAD[label]:
        bad["taken_at"] = BAD[label]["taken_at"]
    before = row_counts(world.session)
    answer = attendant.readings(permit.number, [*good, bad])
    body = is_problem(answer, 422)
    assert [r["index"] for r in body["reasons"]] == [2] * len(body["reasons"]), body
    assert all(r["message"].startswith("第3条") for r in body["reasons"])
    world.session.expire_all()
    assert row_counts(world.session) == before


def test_a_reading_from_the_future_beyond_the_clock_skew_is_refused(world, attendant, clock):
    permit = world.working()
    ahead = reading(clock, at=clock.now() + SKEW + timedelta(seconds=1))
    body = is_problem(attendant.readings(permit.number, [ahead]), 422)
    assert body["reasons"][0]["rule"] == "reading_in_future"
    within = reading(clock, at=clock.now() + SKEW)
    assert attendant.readings(permit.number, [within]).status_code == 201
    assert len(stored(world, permit)) == 1


def test_a_reading_from_before_the_permit_existed_is_refused(world, attendant, clock):
    permit = world.working()
    early = reading(clock, at=permit.created_at - timedelta(minutes=1))
    body = is_problem(attendant.readings(permit.number, [early]), 422)
    assert body["reasons"][0]["rule"] == "reading_before_permit"


def test_reasons_are_in_the_callers_language_and_cite_the_rule(world, attendant, clock):
    permit = world.working()
    attendant.lang = "en"
    body = is_problem(
        attendant.readings(permit.number, [reading(clock, gas="o2", value=101, unit="%vol")]), 422
    )
    reason = body["reasons"][0]
    assert reason["rule"] == "readings_plausible" and reason["cite"] == "003 第十二条"
    assert reason["message"].startswith("Item 1: Invalid reading: o2 reading 101")


@pytest.mark.parametrize("batch", [[], "readings", [[1, 2]], None])
def test_a_batch_that_is_not_a_list_of_readings_is_refused(world, attendant, batch):
    permit = world.working()
    is_problem(attendant.post(f"/permits/{permit.number}/readings", {"readings": batch}), 422)


def test_a_batch_has_at_most_a_thousand_readings(world, attendant, clock):
    permit = world.working()
    body = is_problem(attendant.readings(permit.number, [reading(clock)] * 1001), 422)
    assert body["reasons"][0]["rule"] == "batch_too_large"
    assert attendant.readings(permit.number, [reading(clock)] * 1000).status_code == 201


def test_a_thousand_bad_readings_answer_with_the_first_fifty_reasons(world, attendant, clock):
    permit = world.working()
    body = is_problem(attendant.readings(permit.number, [reading(clock, value=-1)] * 1000), 422)
    assert len(body["reasons"]) == 51 and body["reasons"][-1]["rule"] == "more_problems"


def test_only_the_attendant_sends_readings_as_a_person(app, world, clock):
    permit = world.working()
    for username in ("principal", "entrant", "requester"):
        body = is_problem(
            Api.signed_in(app, username).readings(permit.number, [reading(clock)]), 409
        )
        assert body["reasons"][0]["rule"] == "by_attendant"


def test_a_draft_permit_takes_no_readings(world, attendant, clock):
    permit = world.permit()
    body = is_problem(attendant.readings(permit.number, [reading(clock)]), 409)
    assert body["reasons"][0]["rule"] == "readings_in" and body["reasons"][0]["cite"]


def test_a_detector_past_its_calibration_date_cannot_report(world, attendant, clock):
    permit = world.working()
    world.detector.due_on = world.today - timedelta(days=1)
    world.session.commit()
    body = is_problem(attendant.readings(permit.number, [reading(clock)]), 422)
    assert body["reasons"][0]["rule"] == "detector_usable"


# -- stored by their own time ---------------------------------------------------------------


def test_a_batch_is_stored_judged_and_audited_with_a_digest(world, attendant, clock):
    permit = world.working()
    batch = [reading(clock, value=0.4), reading(clock, gas="co", value=5, unit="ppm"),
             reading(clock, gas="o2", value=20.8, unit="%vol", point="lower")]
    answer = attendant.readings(permit.number, batch)
    assert answer.status_code == 201
    assert answer.get_json() | {"batch": 0} == {
        "number": permit.number, "batch": 0, "stored": 3, "alarms": 0, "suspended": False,
        "state": "working", "version": permit.version,
    }
    rows = stored(world, permit)
    assert [(r.gas, r.point, r.unit, r.passed) for r in rows] == [
        ("h2s", "", "mg/m3", True), ("co", "", "ppm", True), ("o2", "lower", "%vol", True),
    ]
    co = rows[1]
    assert co.limit_unit == "mg/m3" and co.value_in_limit_unit == pytest.approx(5 * 28.01 / 22.4)
    assert {r.detector_id for r in rows} == {world.detector.id}
    entry = world.session.scalars(
        select(AuditEntry).where(AuditEntry.subject_type == "reading_batches")
    ).one()
    batch_row = world.session.get(ReadingBatch, entry.subject_id)
    assert entry.event == "readings" and entry.actor_role == "attendant"
    assert entry.data["digest"] == batch_row.digest and entry.data["count"] == 3


def test_late_readings_are_accepted_and_placed_by_their_own_time(world, attendant, clock):
    permit = world.working()
    now = clock.now()
    assert attendant.readings(permit.number, [reading(clock, value=0.3)]).status_code == 201
    buffered = [reading(clock, value=0.1 * k, at=now - timedelta(minutes=5 - k))
                for k in range(3)]  # sent late, by a detector that was offline
    assert attendant.readings(permit.number, buffered).status_code == 201
    rows = stored(world, permit)
    assert [r.taken_at for r in rows] == sorted(r.taken_at for r in rows)
    assert rows[-1].value == 0.3 and rows[0].taken_at == now - timedelta(minutes=5)
    latest = alarms.latest_by_detector(world.session, world.session.get(Permit, permit.id))
    assert latest[0].last_at == now and latest[0].readings[0].value == 0.3


# -- alarms --------------------------------------------------------------------------------


def test_an_out_of_range_reading_suspends_a_working_permit_in_the_same_request(
    world, attendant, clock
):
    permit = world.working()
    world.fire(permit, "check_in", person=world.entrant.id)
    answer = attendant.readings(
        permit.number, [reading(clock, value=0.3), reading(clock, value=15.0),
                        reading(clock, value=16.0)]
    )
    assert answer.status_code == 201
    assert answer.get_json()["suspended"] is True and answer.get_json()["state"] == "suspended"
    assert state_of(world, permit) == "suspended"
    alarm = world.session.scalars(select(Alarm)).one()
    assert (alarm.gas, alarm.value, alarm.readings_over, alarm.permit_state, alarm.moved_to) == (
        "h2s", 15.0, 2, "working", "suspended"
    )
    entry = world.session.scalars(
        select(AuditEntry).where(AuditEntry.event == "alarm")
    ).one()
    assert entry.actor_id is None and entry.actor_role == "system"
    assert entry.data["from"] == "working" and entry.data["to"] == "suspended"
    assert entry.data["reading"]["value"] == 15.0 and entry.data["headcount"] == 1


def test_a_late_out_of_range_reading_still_raises_the_alarm(world, attendant, clock):
    permit = world.working()
    clock.advance(minutes=25)
    late = reading(clock, gas="o2", value=18.0, unit="%vol",
                   at=clock.now() - timedelta(minutes=20))
    answer = attendant.readings(permit.number, [reading(clock, value=0.2), late])
    assert answer.get_json()["suspended"] is True
    alarm = world.session.scalars(select(Alarm)).one()
    assert alarm.gas == "o2" and alarm.taken_at == clock.now() - timedelta(minutes=20)


def test_an_alarm_after_the_test_sends_the_permit_back_to_ventilate_before_work(
    world, attendant, clock
):
    permit = world.drive(world.permit(), "tested")
    answer = attendant.readings(permit.number, [reading(clock, value=12.0)])
    assert answer.get_json()["state"] == "ventilating"
    world.session.refresh(permit)
    with pytest.raises(Blocked):
        world.fire(permit, "start_work")


def test_an_out_of_range_reading_while_suspended_is_recorded_without_a_move(
    world, attendant, clock
):
    permit = world.working()
    world.fire(permit, "suspend")
    version = permit.version
    answer = attendant.readings(permit.number, [reading(clock, value=20.0)])
    assert answer.get_json() | {"batch": 0} == {
        "number": permit.number, "batch": 0, "stored": 1, "alarms": 1, "suspended": False,
        "state": "suspended", "version": version,
    }
    alarm = world.session.scalars(select(Alarm)).one()
    assert alarm.moved_to is None and alarm.permit_state == "suspended"


def test_one_alarm_per_detector_gas_and_point_in_a_batch(world, attendant, clock):
    permit = world.working()
    batch = [reading(clock, value=v, point=p) for v in (11, 12) for p in ("upper", "lower")]
    batch.append(reading(clock, gas="o2", value=19.0, unit="%vol"))
    assert attendant.readings(permit.number, batch).get_json()["alarms"] == 3
    rows = world.session.scalars(select(Alarm).order_by(Alarm.id)).all()
    assert sorted((a.gas, a.point, a.readings_over) for a in rows) == [
        ("h2s", "lower", 2), ("h2s", "upper", 2), ("o2", "", 1)
    ]
    assert sum(a.moved_to == "suspended" for a in rows) == 3


def _back_to_work(world, permit) -> None:
    """What it takes after an alarm or an evacuation: everyone out, ventilate, a new passing
    test, start work; refused at each earlier step."""
    for person in sorted(permit.inside):
        world.fire(permit, "check_out", person=person)
    with pytest.raises(Blocked, match="Cannot check in while suspended"):
        world.fire(permit, "check_in", person=world.entrant.id)
    world.fire(permit, "resume")
    assert permit.state == "ventilating"
    for event in ("check_in", "start_work"):
        with pytest.raises(Blocked):
            world.fire(permit, event, **({"person": world.entrant.id} if event == "check_in"
                                          else {}))
    world.fire(permit, "record_gas_test", readings=world.readings(permit, h2s=12.0))
    assert permit.state == "ventilating"  # a failing test lets nobody in either
    with pytest.raises(Blocked):
        world.fire(permit, "start_work")
    world.fire(permit, "record_gas_test")
    world.fire(permit, "start_work")
    world.fire(permit, "check_in", person=world.entrant.id)
    assert permit.headcount == 1


def test_after_an_alarm_nobody_enters_until_a_new_passing_test(world, attendant, clock):
    permit = world.working()
    world.fire(permit, "check_in", person=world.entrant.id)
    attendant.readings(permit.number, [reading(clock, value=15.0)])
    world.session.expire_all()
    permit = world.session.get(Permit, permit.id)
    assert permit.state == "suspended" and permit.headcount == 1
    _back_to_work(world, permit)
    assert alarms.open_alarms(world.session, permit) == []


def test_after_an_evacuation_nobody_enters_until_a_new_passing_test(world):
    permit = world.working()
    world.fire(permit, "check_in", person=world.entrant.id)
    world.fire(permit, "evacuate")
    assert permit.state == "suspended"
    _back_to_work(world, permit)


def test_an_alarm_is_open_until_a_passing_test_after_it(world, attendant, clock):
    permit = world.working()
    attendant.readings(permit.number, [reading(clock, value=15.0)])
    world.session.expire_all()
    permit = world.session.get(Permit, permit.id)
    assert len(alarms.open_alarms(world.session, permit)) == 1
    world.fire(permit, "resume")
    world.fire(permit, "record_gas_test", readings=world.readings(permit, h2s=11.0))
    assert len(alarms.open_alarms(world.session, permit)) == 1
    world.fire(permit, "record_gas_test")
    assert alarms.open_alarms(world.session, permit) == []


def test_a_concurrent_event_never_loses_the_alarm(world, clock, sessions):
    """The alarm meets a check-in committed after the permit was read: the engine's version
    check refuses it (Conflict), and the whole batch goes again on the new state."""
    permit = world.working()
    with sessions() as late:
        stale = late.get(Permit, permit.id)
        _ = (stale.equipment, stale.people)
        world.fire(permit, "check_in", person=world.entrant.id)  # commits meanwhile
        with pytest.raises(Conflict):
            readings.ingest(late, stale, [reading(clock, value=15.0)],
                            source=readings.Source(None, world.attendant), clock=clock, skew=SKEW)
        late.rollback()
        fresh = late.get(Permit, permit.id)
        result = readings.ingest(late, fresh, [reading(clock, value=15.0)],
                                 source=readings.Source(None, world.attendant), clock=clock,
                                 skew=SKEW)
        late.commit()
    assert result.moved and state_of(world, permit) == "suspended"


# -- silence and pauses ------------------------------------------------------------------------


def test_a_detector_that_stops_reporting_during_work_shows_as_silent(
    app, world, attendant, clock
):
    permit = world.working()
    attendant.readings(permit.number, [reading(clock)])
    clock.advance(minutes=5)  # the draft pack's silence: 5 min
    assert attendant.get(f"/permits/{permit.number}").get_json()["silent_detectors"] == []
    clock.advance(seconds=1)
    detail = attendant.get(f"/permits/{permit.number}").get_json()
    assert detail["silent_detectors"] == ["D-01"]
    live = _web_live(app, permit)
    assert live["silent_detectors"][0]["detector"] == "D-01"
    assert live["silent_detectors"][0]["minutes"] == 5 and live["signal"].endswith("D-01")
    attendant.readings(permit.number, [reading(clock)])
    assert attendant.get(f"/permits/{permit.number}").get_json()["silent_detectors"] == []


def test_a_detector_that_never_reported_is_not_called_silent(world, attendant, clock):
    permit = world.working()
    clock.advance(minutes=30)
    assert attendant.get(f"/permits/{permit.number}").get_json()["silent_detectors"] == []


def test_a_pause_longer_than_60_minutes_needs_a_new_test_before_anyone_enters(world, clock):
    """GB 30871 (draft pack): continuous readings are no gas test."""
    permit = world.working()
    world.fire(permit, "check_in", person=world.entrant.id)
    world.fire(permit, "record_gas_test")  # passing, but taken before the pause
    world.fire(permit, "check_out", person=world.entrant.id)
    clock.advance(minutes=61)
    reasons = engine.blocked_by(world.session, permit, "check_in", world.attendant, clock=clock,
                                data={"person": world.entrant.id})
    assert {"retest_after_interruption", "fresh_gas_test"} <= {r.rule for r in reasons}
    world.fire(permit, "record_gas_test")
    world.fire(permit, "check_in", person=world.entrant.id)
    assert permit.headcount == 1


def test_a_pause_of_less_than_60_minutes_needs_only_a_fresh_test(world, clock):
    permit = world.working()
    world.fire(permit, "check_in", person=world.entrant.id)
    world.fire(permit, "check_out", person=world.entrant.id)
    world.fire(permit, "record_gas_test")
    clock.advance(minutes=20)
    world.fire(permit, "check_in", person=world.entrant.id)
    assert permit.headcount == 1


# -- everyone on the permit sees it ---------------------------------------------------------


def _web_client(app, username: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"username": username, "password": "demo",
                                         "csrf_token": csrf})
    assert answer.status_code == 302
    return client


def _web_live(app, permit, username: str = "attendant") -> dict:
    return _web_client(app, username).get(f"/permits/{permit.number}/live.json").get_json()


def test_the_alarm_shows_on_the_live_page_of_everyone_on_the_permit(app, world, attendant, clock):
    permit = world.working()
    before = _web_live(app, permit)
    attendant.readings(permit.number, [reading(clock, value=15.0)])
    for username in ("attendant", "entrant", "principal", "requester"):
        live = _web_live(app, permit, username)
        assert live["state"] == "suspended" and live["alarm"] is True
        assert live["version"] != before["version"] and live["signal"] != before["signal"]
        assert live["alarms"][0]["value"] == 15.0 and live["alarms"][0]["limit"] == "≤ 10 mg/m3"
        assert live["alarms"][0]["cite"].startswith("003 第十三条")
        page = _web_client(app, username).get(f"/permits/{permit.number}").get_data(as_text=True)
        assert "气体超限报警：硫化氢 15 mg/m3（限值 ≤ 10 mg/m3）" in page
        assert 'data-live-signal="' + live["signal"] + '"' in page


def test_the_monitoring_readings_show_on_the_live_page(app, world, attendant, clock):
    permit = world.working()
    attendant.readings(permit.number, [reading(clock, value=0.7),
                                       reading(clock, gas="o2", value=20.7, unit="%vol")])
    live = _web_live(app, permit)
    assert [(r["gas"], r["value"], r["passed"]) for r in live["monitoring"]] == [
        ("h2s", 0.7, True), ("o2", 20.7, True)
    ]
    page = _web_client(app, "entrant").get(f"/permits/{permit.number}").get_data(as_text=True)
    assert 'data-reading="D-01:h2s:"' in page and "持续检测" in page


def test_a_gateways_stale_view_of_the_permit_is_a_conflict_and_the_retry_raises_the_alarm(
    world, clock, sessions
):
    """A gateway reads the permit lean (access.permit_for_detector); an event committed after
    that read makes the alarm a Conflict, and the batch sent again suspends the permit."""
    from permit import access, tokens

    permit = world.working()
    issued = tokens.issue_device_token(world.session, world.enterprise.id, "D-01", clock=clock)
    world.session.commit()
    with sessions() as gateway:
        bearer = tokens.authenticate(gateway, issued.token, now=clock.now())
        seen = access.permit_for_detector(gateway, world.enterprise.id, bearer.detector.id,
                                          permit.number)
        world.fire(permit, "check_in", person=world.entrant.id)  # commits meanwhile
        source = readings.Source(bearer.token_id, None, bearer.detector)
        with pytest.raises(Conflict):
            readings.ingest(gateway, seen, [reading(clock, value=15.0)], source=source,
                            clock=clock, skew=SKEW)
        gateway.rollback()
        seen = access.permit_for_detector(gateway, world.enterprise.id, bearer.detector.id,
                                          permit.number)
        result = readings.ingest(gateway, seen, [reading(clock, value=15.0)], source=source,
                                 clock=clock, skew=SKEW)
        gateway.commit()
    assert result.moved and result.state == "suspended" and result.version == seen.version + 1
    assert state_of(world, permit) == "suspended"


# -- the common reading's fast path agrees with the full checks ------------------------------

_PLAIN_WINDOW = (
    datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
    datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
)
_PLAIN_DETECTORS = {
    "D-01": readings._Detector(1, "D-01", frozenset({"o2", "lel", "h2s", "co"}), None),
    "D-02": readings._Detector(2, "D-02", frozenset({"o2"}), None),
    "D-09": readings._Detector(9, "D-09", frozenset({"o2", "h2s"}), {"zh": "过期", "en": "due"}),
}


_PLAIN_TIMES = st.one_of(
    st.datetimes(
        min_value=datetime(2026, 11, 23, 7, 50),
        max_value=datetime(2026, 11, 23, 9, 10),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=8))]),
    ).map(lambda t: t.isoformat()),
    st.sampled_from(["2026-11-23T08:30:00", "yesterday", " 2026-11-23T08:30Z", None, 5]),
)


@pytest.mark.parametrize("only", ["", "D-01"])
@settings(max_examples=600, deadline=None)
@given(
    item=st.one_of(
        st.fixed_dictionaries(
            {
                "detector": st.sampled_from(["D-01", "D-02", "D-09", "X-1", "", None, 7]),
                "gas": st.sampled_from(["o2", "lel", "h2s", "co", "co2", "radon"]),
                "unit": st.sampled_from(["%vol", "%LEL", "mg/m3", "ppm", "PPM", "%", "ppb"]),
                "value": st.one_of(
                    st.floats(0, 30),
                    st.integers(0, 40),
                    st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([True, "12.5", None, -1]),
                ),
                "taken_at": _PLAIN_TIMES,
            },
            optional={"point": st.sampled_from(["", "upper", "lower", "roof", None])},
        ),
        st.sampled_from([None, [], "o2", 3, {}]),
    )
)
def test_the_plain_path_agrees_with_the_full_checks_wherever_it_answers(only, item):
    """readings._plain() takes the common reading in a few lookups; where it answers, the full
    checks find nothing wrong and judge the same, and every reading the full checks pass and
    gas.judge_plain() judges is one it answers."""
    wf = get_workflow("confined_space", "draft-2023.1")
    fast = readings._plain(wf, item, _PLAIN_DETECTORS, only, _PLAIN_WINDOW)
    found, detector, taken_at, judged = readings._reasons(
        wf, 1, item, _PLAIN_DETECTORS, only, _PLAIN_WINDOW, SKEW
    )
    if fast is not None:
        assert found == []
        assert fast == (detector.id, detector.serial, taken_at, judged)
    elif not found:
        assert gas.judge_plain(item, wf) is None  # judged by the full judge() instead


def test_the_common_reading_takes_the_plain_path():
    wf = get_workflow("confined_space", "draft-2023.1")
    item = {"detector": "D-01", "gas": "h2s", "unit": "mg/m3", "value": 12,
            "taken_at": "2026-11-23T16:30:00+08:00"}
    fast = readings._plain(wf, item, _PLAIN_DETECTORS, "", _PLAIN_WINDOW)
    assert fast.detector_id == 1 and fast.judged.passed is False
    assert fast.taken_at == datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    for late in ("2026-11-23T17:00:01+08:00", "2026-11-23T07:59:59Z"):  # outside the window
        assert readings._plain(wf, {**item, "taken_at": late}, _PLAIN_DETECTORS, "",
                               _PLAIN_WINDOW) is None
    assert readings._plain(wf, {**item, "detector": "D-02"}, _PLAIN_DETECTORS, "",
                           _PLAIN_WINDOW) is None  # D-02 does not measure H2S
