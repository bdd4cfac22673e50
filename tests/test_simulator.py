"""The detector simulator posts through the HTTP API as a gateway would: `permit
simulate-detector` against the app served on a loopback port, and `permit device-token`."""

from __future__ import annotations

import json
import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from werkzeug.serving import make_server

from permit import simulator
from permit.clock import FixedClock, SystemClock
from permit.models import Alarm, Permit, Reading
from web.cli import cli

from .factories import World


@pytest.fixture
def site(engine, sessions, make_app, monkeypatch):
    """The app on the wall clock, served from a thread; a working permit whose gas test was
    taken minutes ago; DATABASE_URL pointing the command line at the same database."""
    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    clock = FixedClock(datetime.now(UTC) - timedelta(minutes=15))
    session = sessions()
    world = World(session, clock)
    world.build()
    permit = world.working()
    session.commit()
    app = make_app(CLOCK=SystemClock())
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", permit, session
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    session.close()


def device_token(runner: CliRunner, serial: str = "D-01") -> str:
    result = runner.invoke(cli, ["device-token", "QY1", serial])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_the_simulator_sends_readings_and_a_spike_suspends_the_permit(site):
    url, permit, session = site
    runner = CliRunner()
    token = device_token(runner)
    assert token.startswith("ptw_")
    result = runner.invoke(
        cli,
        ["simulate-detector", permit.number, "--rate", "40/s", "--duration", "2.5",
         "--spike", "h2s=15mg/m3@1s", "--url", url, "--token", token, "--seed", "1"],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert "ALARM" in result.output and summary["state"] == "suspended"
    assert 1.0 <= summary["suspended_after_s"] < 2.5
    session.expire_all()
    assert session.get(Permit, permit.id).state == "suspended"
    stored = session.scalar(
        select(func.count()).select_from(Reading).where(Reading.batch_id.is_not(None))
    )
    assert stored == summary["stored"] == summary["sent"] >= 60
    alarm = session.scalars(select(Alarm).order_by(Alarm.id)).first()
    assert (alarm.gas, alarm.value, alarm.moved_to) == ("h2s", 15.0, "suspended")


def test_a_gas_the_detector_cannot_measure_stops_the_simulator_with_the_reason(site):
    url, permit, _ = site
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["simulate-detector", permit.number, "--gases", "co2", "--duration", "1",
         "--url", url, "--token", device_token(runner)],
    )
    assert result.exit_code == 1
    assert "refused (HTTP 422)" in result.output and "does not measure co2" in result.output


def test_a_revoked_token_gets_nowhere(site):
    url, permit, _ = site
    result = CliRunner().invoke(
        cli, ["simulate-detector", permit.number, "--duration", "1", "--url", url,
              "--token", "ptw_revoked-or-never-issued"],
    )
    assert result.exit_code == 1 and "HTTP 401" in result.output


def test_device_tokens_are_issued_only_for_a_detector_of_that_enterprise(site):
    runner = CliRunner()
    assert "no enterprise" in runner.invoke(cli, ["device-token", "NOPE", "D-01"]).output
    refused = runner.invoke(cli, ["device-token", "QY1", "F-01"])
    assert refused.exit_code != 0 and "F-01" in refused.output


def test_an_unreachable_server_is_named(site, monkeypatch):
    _, permit, _ = site
    monkeypatch.setattr(simulator.time, "sleep", lambda s: None)
    result = CliRunner().invoke(
        cli, ["simulate-detector", permit.number, "--duration", "1", "--url",
              "http://127.0.0.1:9", "--token", "ptw_x"],
    )
    assert result.exit_code == 1 and "cannot reach" in result.output


@pytest.mark.parametrize(
    ("text", "spike"),
    [
        ("h2s=15mg/m3@60s", simulator.Spike("h2s", 15.0, "mg/m3", 60.0, 10.0)),
        ("o2=17%vol@30+5s", simulator.Spike("o2", 17.0, "%vol", 30.0, 5.0)),
        ("LEL=12%LEL@0s", simulator.Spike("lel", 12.0, "%LEL", 0.0, 10.0)),
    ],
)
def test_spikes_are_read_as_written(text, spike):
    assert simulator.parse_spike(text) == spike


@pytest.mark.parametrize("text", ["h2s=15@60s", "h2s:15mg/m3@60s", "h2s=15mg/m3", "=1ppm@1s"])
def test_a_malformed_spike_is_refused_with_an_example(text):
    with pytest.raises(simulator.SimulatorError, match="e.g. h2s=15mg/m3@60s"):
        simulator.parse_spike(text)


def test_rates_and_batches():
    assert simulator.parse_rate("10/s") == simulator.parse_rate("10") == 10.0
    with pytest.raises(simulator.SimulatorError):
        simulator.parse_rate("fast")
    assert simulator.batches(2, 100) == (2, 1.0)
    assert simulator.batches(5000, 100) == (100, 0.02)


def test_normal_air_stays_within_the_limits_and_a_spike_lasts_its_hold():
    air = simulator.Air(["o2", "h2s"], [simulator.Spike("h2s", 15.0, "mg/m3", 5.0, 2.0)],
                        random.Random(7))
    normal = [air.reading("o2", t)[0] for t in range(200)]
    assert all(19.5 <= v <= 23.5 for v in normal)
    assert air.reading("h2s", 5.5) == (15.0, "mg/m3")
    assert air.reading("h2s", 7.5)[0] < 10


def test_the_demo_tells_how_to_send_live_readings_to_its_working_permit(session, clock):
    from permit import demo

    demo.load(session, clock)
    session.commit()
    working = session.scalars(select(Permit).where(Permit.state == "working")).first()
    hint = demo.detector_hint(session)
    assert f"simulate-detector {working.number}" in hint
    assert "device-token DEMO D-01" in hint
    assert "D-01" in [e.serial for e in working.equipment]
