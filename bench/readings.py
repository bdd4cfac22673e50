"""Gas readings ingested per second through the API beside a bare bulk insert, and how soon an
out-of-range reading shows as suspended on the live page. Prints ONE JSON document.

Ingestion: batches of 100 readings POSTed to /api/v1/permits/<n>/readings with a device
token and an Idempotency-Key, through the real Flask app in-process (the WSGI test client:
bearer check, JSON, per-item validation, judging by the rule pack, the batch row, the readings
in one executemany, the audit entry, the idempotency record, one commit), beside a same-run
baseline that inserts the very same rows into the same readings table with one Core
executemany and one commit per batch. Arms alternate in rounds, after a warm-up.

Alarm latency: the app under gunicorn (sync workers) on loopback; a phone polls live.json
every LIVE_POLL_SECONDS as the permit page's script does (at a random phase), while a
gateway posts one out-of-range reading: the time from the post to the first poll that sees
`suspended`. Also the server path alone: the same with a poll every 50 ms.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path.pop(0)
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from typing import Any  # noqa: E402

os.environ["PERMIT_FAST_HASHES"] = "1"  # before permit is imported: sign-in is not measured

import sqlalchemy  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bench.harness import fresh_schema, revision  # noqa: E402
from bench.http import counting, serving  # noqa: E402
from bench.http_load import fetch  # noqa: E402
from permit import db, gas, tokens  # noqa: E402
from permit.clock import FixedClock  # noqa: E402
from permit.engine import workflow_of  # noqa: E402
from permit.models import Permit, Reading  # noqa: E402
from tests.factories import PASSWORD, World  # noqa: E402

RATE_GOAL_PG = 5000.0  # readings/s on PostgreSQL
RATIO_GOAL = 0.40  # of the bare baseline's rate
ALARM_GOAL_S = 5.0
BATCH = 100
GASES = [("o2", 20.9, "%vol"), ("lel", 0.0, "%LEL"), ("h2s", 0.3, "mg/m3"), ("co", 1.0, "mg/m3")]
READINGS = Reading.__table__

APP_DOES = (
    "POST /api/v1/permits/<n>/readings, 100 readings a batch, device token, Idempotency-Key, "
    "in-process WSGI test client: the token (one SELECT), the permit found through the "
    "detector (one SELECT), each reading checked (detector, gas, unit, physical range, time) "
    "and judged by the pack's limits, the batch row, the readings in one executemany, the "
    "batch's audit entry (hash chain: head SELECT FOR UPDATE, INSERT, UPDATE), the answer kept "
    "under its key (one INSERT), one commit; 201 checked. These statements are compiled once "
    "and run on the driver's cursor (permit.db PreparedRead/PreparedWrite)."
)
BASELINE_DOES = (
    "The very same reading rows (as the app stores them, judged beforehand), inserted into the "
    "same readings table with one Core executemany and one commit per batch of 100: no HTTP, "
    "no JSON, no checks, no batch row, no audit, no idempotency."
)


# -- data ------------------------------------------------------------------------------------


@dataclass
class Scene:
    number: str
    permit_id: int
    detector_id: int
    token: str
    start: datetime  # the first reading's time
    clock: FixedClock  # the app's: a little after the last reading


def fresh_database(url: str) -> None:
    """An empty, migrated database at the URL: a SQLite file is removed first, with its WAL."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
    engine = db.make_engine(url)
    try:
        fresh_schema(engine)
    finally:
        engine.dispose()


def prepare(url: str, base: datetime, readings: int) -> Scene:
    """One enterprise (tests.factories.World), one working permit with detector D-01, and a
    device token for D-01. The readings follow 1 ms apart from a minute after the work began."""
    engine = db.make_engine(url)
    try:
        with db.session_factory(engine)() as s:
            clock = FixedClock(base)
            world = World(s, clock)
            world.build()
            permit = world.working()
            token = tokens.issue_device_token(s, world.enterprise.id, "D-01", clock=clock)
            s.commit()
            start = clock.now() + timedelta(minutes=1)
            app_clock = FixedClock(start + timedelta(milliseconds=readings + 1000))
            return Scene(permit.number, permit.id, world.detector.id, token.token, start,
                         app_clock)
    finally:
        engine.dispose()


def batches(scene: Scene, count: int, offset: int) -> list[list[dict[str, Any]]]:
    """`count` batches of readings in range, cycling over the detector's four gases."""
    out = []
    for b in range(count):
        items = []
        for k in range(BATCH):
            n = offset + b * BATCH + k
            gas_name, value, unit = GASES[n % len(GASES)]
            items.append(
                {
                    "detector": "D-01",
                    "taken_at": (scene.start + timedelta(milliseconds=n)).isoformat(),
                    "gas": gas_name,
                    "value": round(value + 0.01 * (n % 7), 2),
                    "unit": unit,
                }
            )
        out.append(items)
    return out


def rows_of(scene: Scene, items: list[dict[str, Any]], wf) -> list[dict[str, Any]]:
    """The rows the app stores for a batch, built beforehand (the baseline does not judge)."""
    rows = []
    for item in items:
        judged = gas.judge(item, wf)
        rows.append(
            {
                "permit_id": scene.permit_id,
                "gas_test_id": None,
                "gas": judged.gas,
                "point": judged.point,
                "value": judged.value,
                "unit": judged.unit,
                "value_in_limit_unit": judged.value_in_limit_unit,
                "limit_unit": judged.limit_unit,
                "passed": judged.passed,
                "taken_at": datetime.fromisoformat(item["taken_at"]),
                "detector_id": scene.detector_id,
                "batch_id": None,
            }
        )
    return rows


# -- ingestion --------------------------------------------------------------------------------


def ingestion(url: str, args) -> dict[str, Any]:
    from web import create_app

    fresh_database(url)
    total = args.batches + args.warmup
    scene = prepare(url, datetime(2026, 11, 23, 8, 0, tzinfo=UTC), total * BATCH)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(16),
                      "CLOCK": scene.clock})
    engine = app.extensions["db_engine"]
    try:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {scene.token}", "Content-Type": "application/json"}
        path = f"/api/v1/permits/{scene.number}/readings"
        with db.session_factory(engine)() as s:
            wf = workflow_of(s.get(Permit, scene.permit_id))
        app_batches = batches(scene, total, 0)
        bodies = [json.dumps({"readings": b}).encode() for b in app_batches]
        base_rows = [rows_of(scene, b, wf) for b in app_batches]  # the same rows again

        def post(i: int) -> float:
            t = time.perf_counter()
            answer = client.post(path, data=bodies[i],
                                 headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
            elapsed = time.perf_counter() - t
            if answer.status_code != 201:
                raise RuntimeError(f"batch refused: {answer.status_code} {answer.get_json()}")
            return elapsed

        def bare(i: int) -> float:
            t = time.perf_counter()
            with engine.begin() as conn:
                conn.execute(insert(READINGS), base_rows[i])
            return time.perf_counter() - t

        for i in range(args.warmup):  # untimed: first-call imports, caches, the pool
            post(i)
            bare(i)
        with counting(engine) as statements:
            post(args.warmup)
        timed = {"app": [], "baseline": []}
        order = [("app", post), ("baseline", bare)]
        i = args.warmup + 1
        while i < total:
            for name, arm in order:
                for j in range(i, min(i + args.round, total)):
                    timed[name].append(arm(j))
            i += args.round
            order.reverse()  # the arms take turns going first, so drift hits both alike
    finally:
        engine.dispose()
    result: dict[str, Any] = {}
    for name, times in timed.items():
        seconds = sum(times)
        result[name] = {
            "batches": len(times),
            "readings": len(times) * BATCH,
            "readings_per_s": round(len(times) * BATCH / seconds, 1),
            "batch_median_ms": round(statistics.median(times) * 1000, 2),
            "batch_p90_ms": round(sorted(times)[int(0.9 * (len(times) - 1))] * 1000, 2),
        }
    result["ratio"] = round(result["app"]["readings_per_s"] / result["baseline"]["readings_per_s"],
                            3)
    result["statements_per_batch"] = {"total": sum(statements.values()),
                                      **dict(sorted(statements.items()))}
    return result


# -- alarm latency ----------------------------------------------------------------------------


def _post_json(port: int, path: str, body: Any, token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json",
                 **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        with refused:
            return refused.code, json.loads(refused.read() or b"null")


def _web_cookie(port: int, username: str) -> str:
    """Sign in with the login form, as the phone's browser did: the session cookie."""
    form = fetch(port, "GET", "/login")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', form.body).group(1).decode()
    jar = dict(form.cookies)
    body = f"csrf_token={token}&username={username}&password={PASSWORD}".encode()
    signed = fetch(port, "POST", "/login", body=body,
                   cookie="; ".join(f"{k}={v}" for k, v in jar.items()))
    if signed.status != 302:
        raise RuntimeError(f"sign-in refused: HTTP {signed.status}")
    jar.update(signed.cookies)
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def _watch(port: int, number: str, cookie: str, every: float, phase: float, posted: dict,
           seen: dict, stop: threading.Event) -> None:
    """A phone on the permit page: poll live.json every `every` seconds from `phase` on."""
    next_at = time.monotonic() + phase
    while not stop.is_set():
        pause = next_at - time.monotonic()
        if pause > 0 and stop.wait(pause):
            return
        next_at += every
        live = json.loads(fetch(port, "GET", f"/permits/{number}/live.json", cookie=cookie).body)
        if live["state"] == "suspended" and "at" in posted:
            seen["at"] = time.monotonic()
            return


def alarm_latency(url: str, args, folder: Path) -> dict[str, Any]:
    """Trials on fresh working permits under gunicorn, on the wall clock."""
    fresh_database(url)
    engine = db.make_engine(url)
    trials = args.alarm_trials
    try:
        with db.session_factory(engine)() as s:
            clock = FixedClock(datetime.now(UTC) - timedelta(minutes=15))
            world = World(s, clock)
            world.build()
            numbers = []
            for _ in range(2 * trials):
                clock.set(datetime.now(UTC) - timedelta(minutes=15))
                numbers.append(world.working().number)
            token = tokens.issue_device_token(s, world.enterprise.id, "D-01", clock=clock).token
            s.commit()
    finally:
        engine.dispose()
    rng = random.Random(7)
    poll_every = 3.0  # web/__init__.py LIVE_POLL_SECONDS, what app.js polls at
    page, server_path, post_ms = [], [], []
    secret = secrets.token_hex(32)
    with serving(url, secret, workers=args.workers, csrf=True, live_reads=1,
                 folder=folder) as server:
        cookie = _web_cookie(server.port, "attendant")
        for k, number in enumerate(numbers):
            tight = k % 2 == 1  # the odd trials measure the server path alone
            every = 0.05 if tight else poll_every
            posted: dict[str, float] = {}
            seen: dict[str, float] = {}
            stop = threading.Event()
            watcher = threading.Thread(
                target=_watch,
                args=(server.port, number, cookie, every, 0.0 if tight else
                      rng.uniform(0, poll_every), posted, seen, stop),
            )
            watcher.start()
            time.sleep(0.2 if tight else rng.uniform(0, poll_every))
            reading = {"detector": "D-01", "taken_at": datetime.now(UTC).isoformat(),
                       "gas": "h2s", "value": 15.0, "unit": "mg/m3"}
            posted["at"] = time.monotonic()
            status, answer = _post_json(server.port, f"/api/v1/permits/{number}/readings",
                                        {"readings": [reading]}, token)
            post_ms.append((time.monotonic() - posted["at"]) * 1000)
            if status != 201 or answer["state"] != "suspended":
                stop.set()
                raise RuntimeError(f"the alarm did not suspend {number}: {status} {answer}")
            watcher.join(timeout=poll_every + 30)
            stop.set()
            if "at" not in seen:
                raise RuntimeError(f"the live page never showed {number} suspended")
            (server_path if tight else page).append((seen["at"] - posted["at"]) * 1000)
    return {
        "trials": trials,
        "poll_every_s": poll_every,
        "page_ms": {"median": round(statistics.median(page)), "max": round(max(page)),
                    "all": [round(x) for x in page]},
        "server_path_ms": {"median": round(statistics.median(server_path)),
                           "max": round(max(server_path))},
        "post_ms": {"median": round(statistics.median(post_ms), 1),
                    "max": round(max(post_ms), 1)},
        "within_goal": max(page) <= ALARM_GOAL_S * 1000,
    }


# -- the run ---------------------------------------------------------------------------------


def run_backend(url: str, args, folder: Path) -> dict[str, Any]:
    started = time.perf_counter()
    print(f"  ingestion ({args.batches} batches per arm)", file=sys.stderr, flush=True)
    result: dict[str, Any] = {"ingestion": ingestion(url, args)}
    engine = db.make_engine(url)
    try:
        result["dialect"] = engine.dialect.name
        with engine.connect():
            result["server_version"] = ".".join(map(str, engine.dialect.server_version_info or ()))
    finally:
        engine.dispose()
    print(f"  alarm latency ({args.alarm_trials} trials)", file=sys.stderr, flush=True)
    result["alarm"] = alarm_latency(url, args, folder)
    ing = result["ingestion"]
    rate_goal = RATE_GOAL_PG if result["dialect"] == "postgresql" else None
    result["goals"] = {
        "ratio": ing["ratio"] >= RATIO_GOAL,
        "rate": None if rate_goal is None else ing["app"]["readings_per_s"] >= rate_goal,
        "alarm": result["alarm"]["within_goal"],
    }
    result["within_goal"] = all(v for v in result["goals"].values() if v is not None)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=300, help="timed batches per arm (300)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed batches per arm (20)")
    parser.add_argument("--round", type=int, default=20, help="batches per turn of an arm (20)")
    parser.add_argument("--alarm-trials", type=int, default=5,
                        help="alarm trials at the page's poll (and as many at 50 ms) (5)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    started = time.perf_counter()
    report: dict[str, Any] = {
        "benchmark": "readings: ingestion through the API and alarm latency",
        **revision(),
        "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__,
        "cpu_count": os.cpu_count(),
        "batch": BATCH,
        "app_does": APP_DOES,
        "baseline_does": BASELINE_DOES,
        "alarm_does": (
            "gunicorn (sync workers); a gateway POSTs one H2S reading of 15 mg/m3 (limit 10) to "
            "a working permit; page_ms: until a live.json poll every 3 s (the permit page's, "
            "signed-in cookie, random phase) shows 'suspended'; server_path_ms: the same with a "
            "poll every 50 ms"
        ),
        "goals": {
            "postgresql_readings_per_s": f">= {RATE_GOAL_PG:g}",
            "ratio": f">= {RATIO_GOAL:g} (app readings/s / baseline readings/s)",
            "alarm_page_ms": f"<= {ALARM_GOAL_S * 1000:g} (max over trials)",
        },
        "backends": {},
    }
    with tempfile.TemporaryDirectory(prefix="permit-bench-readings-") as tmp:
        folder = Path(tmp)
        print("== sqlite", file=sys.stderr)
        report["backends"]["sqlite"] = run_backend(
            f"sqlite:///{folder / 'bench.sqlite3'}", args, folder
        )
        pg_url = os.environ.get("BENCH_POSTGRES_URL")
        if pg_url:
            print("== postgresql", file=sys.stderr)
            report["backends"]["postgresql"] = run_backend(pg_url, args, folder)
        else:
            report["backends"]["postgresql"] = {"skipped": "BENCH_POSTGRES_URL is not set"}
    measured = [b for b in report["backends"].values() if "within_goal" in b]
    report["within_goal"] = all(b["within_goal"] for b in measured)
    report["seconds"] = round(time.perf_counter() - started, 1)
    json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
