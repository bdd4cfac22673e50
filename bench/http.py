"""The attendant's two hot requests over HTTP under concurrent phones, beside a bare baseline.

Serves the real app with gunicorn (sync workers) and drives it with 16 concurrent clients on
loopback: the step confirmation (check in / check out an entrant on one's own permit) and the
live page (live.json). A bare Flask + SQLAlchemy baseline doing the same number of reads and
writes runs in the same gunicorn, same run, same database. Prints ONE JSON document.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path.pop(0)  # this file is named http.py: never let it shadow the standard library's
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from importlib import metadata  # noqa: E402
from typing import Any  # noqa: E402

# Before permit is imported: the sign-in's Argon2id cost is deliberate, not request overhead.
os.environ["PERMIT_FAST_HASHES"] = "1"

import sqlalchemy  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402

from bench.harness import fresh_schema, revision  # noqa: E402
from bench.http_baseline import (  # noqa: E402
    LIVE_DOES,
    PING_DOES,
    STEP_DOES,
    BEntry,
    BPermit,
    BReading,
    BUser,
    HttpBase,
)
from bench.http_cpu import CpuMeter  # noqa: E402
from bench.http_load import Client, LoadGenerator, fetch, figures  # noqa: E402
from permit import db  # noqa: E402
from permit.clock import FixedClock  # noqa: E402
from permit.engine import workflow_of  # noqa: E402
from permit.models import EntryLog, Permit, User  # noqa: E402
from permit.status import live_status  # noqa: E402
from tests.factories import PASSWORD, World  # noqa: E402

THROUGHPUT_GOAL = 0.5  # app requests/s at least half the bare baseline's
P95_GOAL_MS = 100.0  # and a phone waits at most 100 ms at the 95th percentile
USERNAME = "attendant"

APP_DOES = {
    "step": (
        "POST /permits/<number>/events/check_in|check_out with csrf_token, version and person, "
        "as the permit page's form sends it; the app: session cookie → Flask-Login user, CSRF "
        "check, access.permit_for, engine.apply (guards, entry-log row, version bump, audit "
        "hash chain with its head row locked), commit, flash, 303 to the permit page."
    ),
    "live": "GET /permits/<number>/live.json: Flask-Login user, access.permit_for, live_status",
}


# -- the data ------------------------------------------------------------------------------


@dataclass
class Scene:
    step: list[str]  # one permit number per client, for the step confirmation
    live: list[str]  # one per client, for the live page (one entrant inside)
    probe: str  # for counting statements, never loaded
    entrant: int
    baseline_step: list[str]
    baseline_live: list[str]
    baseline_probe: str


def prepare(url: str, clients: int) -> Scene:
    """Fresh schema, one enterprise (tests.factories.World), 2 × clients + 1 working permits
    whose attendant is the user "attendant", and the baseline's own rows."""
    engine = db.make_engine(url)
    try:
        fresh_schema(engine)
        HttpBase.metadata.create_all(engine)
        sessions = db.session_factory(engine)
        # The app runs on the wall clock: each permit is driven from 15 minutes ago, so its gas
        # test (valid 30 minutes) is fresh for the whole run and its window is open.
        base = datetime.now(UTC) - timedelta(minutes=15)
        clock = FixedClock(base)
        with sessions() as s:
            world = World(s, clock)
            world.build()
            s.commit()
            permits = []
            for _ in range(2 * clients + 1):
                clock.set(base)
                permits.append(world.working())
            step, live, probe = permits[:clients], permits[clients : 2 * clients], permits[-1]
            for permit in live:
                world.fire(permit, "check_in", person=world.entrant.id)
            status = live_status(live[0], workflow_of(live[0]), datetime.now(UTC))
            readings = status["last_test"]["readings"]

            s.add_all(
                [
                    BUser(
                        id=u.id,
                        username=u.username,
                        name=u.name,
                        enterprise_id=u.enterprise_id,
                        active=u.active,
                    )
                    for u in s.scalars(select(User))
                ]
            )
            s.flush()
            now = datetime.now(UTC)
            names = {
                "step": [f"B-S{i + 1:03d}" for i in range(clients)],
                "live": [f"B-L{i + 1:03d}" for i in range(clients)],
                "probe": ["B-P001"],
            }
            rows = {}
            for kind, numbers in names.items():
                for number in numbers:
                    rows[number] = BPermit(
                        number=number,
                        enterprise_id=world.enterprise.id,
                        state="working",
                        attendant_id=world.attendant.id,
                        hazards=list(probe.hazards),
                        updated_at=now,
                        last_event="start_work",
                        headcount=1 if kind == "live" else 0,
                    )
            s.add_all(rows.values())
            s.flush()
            for number, row in rows.items():
                s.add_all([BReading(permit_id=row.id, **r) for r in readings])
                if number.startswith("B-L"):
                    s.add(
                        BEntry(
                            permit_id=row.id,
                            user_id=world.entrant.id,
                            direction="in",
                            at=now,
                            recorded_by_id=world.attendant.id,
                        )
                    )
            s.commit()
            return Scene(
                step=[p.number for p in step],
                live=[p.number for p in live],
                probe=probe.number,
                entrant=world.entrant.id,
                baseline_step=names["step"],
                baseline_live=names["live"],
                baseline_probe=names["probe"][0],
            )
    finally:
        engine.dispose()


# -- counting statements -------------------------------------------------------------------


@contextmanager
def counting(engine) -> Iterator[Counter]:
    counts: Counter = Counter()

    def before(conn, cursor, statement, parameters, context, executemany):
        counts[statement.lstrip().split(None, 1)[0].upper()] += 1

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", before)


def count_statements(url: str, scene: Scene, secret: str) -> dict[str, Any]:
    """One untimed call of each endpoint in-process (Flask test client), counting the SQL sent
    (BEGIN/COMMIT are not counted). The live count sets how many SELECTs the baseline sends."""
    from bench.http_app import build

    app = build({"DATABASE_URL": url, "SECRET_KEY": secret, "WTF_CSRF_ENABLED": False})
    engine = app.extensions["db_engine"]
    try:
        client = app.test_client()
        signed = client.post("/login", data={"username": USERNAME, "password": PASSWORD})
        if signed.status_code != 302:
            raise RuntimeError(f"in-process sign-in refused: HTTP {signed.status_code}")
        version = client.get(f"/permits/{scene.probe}/live.json").get_json()["version"]
        client.get(f"/permits/{scene.live[0]}/live.json")  # warm: first-call imports, caches
        with counting(engine) as step:
            r = client.post(
                f"/permits/{scene.probe}/events/check_in",
                data={"version": version, "person": scene.entrant},
            )
        if r.status_code != 303 or not r.location.endswith(f"/permits/{scene.probe}"):
            raise RuntimeError(f"in-process check_in refused: HTTP {r.status_code} {r.location}")
        with counting(engine) as live:
            r = client.get(f"/permits/{scene.live[0]}/live.json")
        live_bytes = len(r.data)
        reads = sum(live.values())
        app.config["BENCH_HTTP_LIVE_READS"] = reads
        with counting(engine) as base_step:
            r = client.post(
                f"/_baseline/permits/{scene.baseline_probe}/events/check_in",
                data={"version": 1, "person": scene.entrant},
            )
        if r.status_code != 303:
            raise RuntimeError(f"in-process baseline step: HTTP {r.status_code}")
        with counting(engine) as base_live:
            r = client.get(f"/_baseline/permits/{scene.baseline_live[0]}/live.json")
        return {
            "live_reads": reads,
            "statements": {
                "step": {"app": _kinds(step), "baseline": _kinds(base_step)},
                "live": {"app": _kinds(live), "baseline": _kinds(base_live)},
            },
            "live_json_bytes": {"app": live_bytes, "baseline": len(r.data)},
        }
    finally:
        engine.dispose()


def _kinds(counts: Counter) -> dict[str, Any]:
    return {"total": sum(counts.values()), **dict(sorted(counts.items()))}


def entries_after(url: str, scene: Scene) -> dict[str, Any]:
    """How long the step permits' entry logs grew during the run (the app reads them whole)."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            app = (
                conn.execute(
                    select(func.count())
                    .select_from(EntryLog)
                    .join(Permit)
                    .where(Permit.number.in_(scene.step))
                    .group_by(EntryLog.permit_id)
                )
                .scalars()
                .all()
            )
            base = (
                conn.execute(
                    select(func.count())
                    .select_from(BEntry)
                    .join(BPermit)
                    .where(BPermit.number.in_(scene.baseline_step))
                    .group_by(BEntry.permit_id)
                )
                .scalars()
                .all()
            )
        return {
            "app_max": max(app, default=0),
            "app_mean": round(sum(app) / len(app), 1) if app else 0,
            "baseline_max": max(base, default=0),
        }
    finally:
        engine.dispose()


# -- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    port: int
    pid: int


@contextmanager
def serving(
    url: str,
    secret: str,
    *,
    workers: int,
    csrf: bool,
    live_reads: int,
    folder: Path,
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """gunicorn, sync workers, loopback only, no access log; the app imported once in the
    master (--preload) and forked; always stopped (its whole process group). `env` adds
    settings for the app (see bench/http_app.py)."""
    port = free_port()
    log = folder / f"gunicorn-{port}.log"
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(ROOT),
        "--log-level",
        "warning",
        "--error-logfile",
        str(log),
        "--timeout",
        "60",
        "--preload",
    ]
    if Path("/dev/shm").is_dir():  # the workers' heartbeat files off the disk
        cmd += ["--worker-tmp-dir", "/dev/shm"]
    cmd.append("bench.http_app:from_env()")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": secret,
        "BENCH_HTTP_CSRF": "1" if csrf else "0",
        "BENCH_HTTP_LIVE_READS": str(live_reads),
        "PERMIT_FAST_HASHES": "1",
        **(env or {}),
    }
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({proc.returncode}): {_tail(log)}")
            try:
                if fetch(port, "GET", "/_baseline/ping", timeout=2).status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer within 60 s: {_tail(log)}")
            time.sleep(0.1)
        yield Server(port, proc.pid)
    finally:
        _stop(proc)
        problems = _tail(log)
        if problems:
            print(f"gunicorn log:\n{problems}", file=sys.stderr)


def _stop(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            continue
    try:  # workers left behind by a master that died first
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def wrk_ceiling(port: int, clients: int, seconds: int) -> dict[str, Any] | None:
    """The same constant route measured by wrk, to show the Python clients are not the limit."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    try:
        out = subprocess.run(
            [
                wrk,
                "-t2",
                f"-c{clients}",
                f"-d{seconds}s",
                "--latency",
                f"http://127.0.0.1:{port}/_baseline/ping",
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    errors = re.search(r"Socket errors: (.*)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {
        "requests_per_s": float(rate.group(1)) if rate else None,
        "p99_ms": round(float(p99.group(1)) * scale[p99.group(2)], 2) if p99 else None,
        "socket_errors": errors.group(1).strip() if errors else None,
    }


# -- the load ------------------------------------------------------------------------------


def timed(
    gen: LoadGenerator, meter: CpuMeter, kind: str, arm: str, warmup: float, duration: float
) -> dict[str, Any]:
    """One arm under load, with the CPU the server side spent on it."""
    before = meter.snapshot()
    run = gen.run(kind, arm, warmup, duration)
    run["server_cpu_s"] = meter.since(before)
    return run


def scenario(
    gen: LoadGenerator,
    meter: CpuMeter,
    kind: str,
    warmup: float,
    duration: float,
    profile: float,
    pid: int,
) -> dict[str, Any]:
    """App, baseline, app: the app's time is split around the baseline's so drift on the
    machine hits both alike. Each arm warms up (untimed) first."""
    first = timed(gen, meter, kind, "app", warmup, duration / 2)
    base = timed(gen, meter, kind, "baseline", warmup, duration)
    second = timed(gen, meter, kind, "app", 0.5, duration / 2)
    app = figures([first, second])
    app["first_half_requests_per_s"] = figures([first])["requests_per_s"]
    app["second_half_requests_per_s"] = figures([second])["requests_per_s"]
    baseline = figures([base])
    ratio = (
        app["requests_per_s"] / baseline["requests_per_s"] if baseline["requests_per_s"] else 0.0
    )
    cpu_app, cpu_base = app["server_cpu_ms_per_request"], baseline["server_cpu_ms_per_request"]
    result = {
        "app": app,
        "baseline": baseline,
        "throughput_ratio": round(ratio, 2),
        "cpu_ratio": round(cpu_base / cpu_app, 2) if cpu_app and cpu_base else None,
        "throughput_within_goal": ratio >= THROUGHPUT_GOAL,
        "p95_within_goal": app["p95_ms"] <= P95_GOAL_MS,
    }
    result["within_goal"] = result["throughput_within_goal"] and result["p95_within_goal"]
    if profile:
        from bench.http_profile import profile_while

        print(f"== profile: {kind}, app, {profile:g} s (py-spy, all workers)", file=sys.stderr)
        print(
            profile_while(pid, profile, lambda: gen.run(kind, "app", 0.0, profile)), file=sys.stderr
        )
    return result


def progress(started: float, message: str) -> None:
    print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)


def run_backend(url: str, args, folder: Path, with_wrk: bool) -> dict[str, Any]:
    started = time.perf_counter()
    load_before = os.getloadavg()
    secret = secrets.token_hex(32)
    scene = prepare(url, args.clients)
    progress(started, f"{2 * args.clients + 1} working permits prepared")
    counted = count_statements(url, scene, secret)
    engine = db.make_engine(url)
    try:
        dialect = engine.dialect.name
        with engine.connect():
            server_version = ".".join(map(str, engine.dialect.server_version_info or ()))
    finally:
        engine.dispose()
    result: dict[str, Any] = {"dialect": dialect, "server_version": server_version}
    with serving(
        url,
        secret,
        workers=args.workers,
        csrf=not args.no_csrf,
        live_reads=counted["live_reads"],
        folder=folder,
    ) as server:
        progress(started, f"gunicorn up on port {server.port}")
        clients = [
            Client(
                port=server.port,
                numbers={"app": scene.step[i], "baseline": scene.baseline_step[i]},
                live_numbers={"app": scene.live[i], "baseline": scene.baseline_live[i]},
                person=scene.entrant,
                username=USERNAME,
                password=PASSWORD,
            )
            for i in range(args.clients)
        ]
        meter = CpuMeter(server.pid, url)
        gen = None
        try:
            gen = LoadGenerator(clients, args.client_processes)
            progress(started, f"{args.clients} clients signed in")
            ceiling = figures([timed(gen, meter, "ping", "baseline", 1.0, args.ceiling_duration)])
            if with_wrk:
                ceiling["wrk"] = wrk_ceiling(
                    server.port, args.clients, max(1, round(args.ceiling_duration))
                )
            result["ceiling"] = ceiling
            progress(started, f"ceiling {ceiling['requests_per_s']} requests/s")
            for kind in ("step", "live"):
                result[kind] = scenario(
                    gen, meter, kind, args.warmup, args.duration, args.profile, server.pid
                )
                progress(
                    started,
                    f"{kind}: app {result[kind]['app']['requests_per_s']}, "
                    f"baseline {result[kind]['baseline']['requests_per_s']} requests/s",
                )
        finally:
            if gen is not None:
                gen.close()
            meter.close()
    result["step"]["entries_per_permit_after"] = entries_after(url, scene)
    result["statements_per_request"] = counted["statements"]
    result["live_json_bytes"] = counted["live_json_bytes"]
    result["baseline_live_selects"] = counted["live_reads"]
    result["within_goal"] = result["step"]["within_goal"] and result["live"]["within_goal"]
    result["load_average"] = {
        "before": [round(x, 2) for x in load_before],
        "after": [round(x, 2) for x in os.getloadavg()],
    }
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def main(argv: list[str] | None = None) -> int:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration",
        type=float,
        default=10.0,
        help="measured seconds per arm and scenario (default 10)",
    )
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="untimed seconds before each arm (default 2)"
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument(
        "--workers", type=int, default=2 * cores, help="gunicorn sync workers (default 2 x cores)"
    )
    parser.add_argument(
        "--client-processes",
        type=int,
        default=4,
        help="processes the clients' threads are spread over (4)",
    )
    parser.add_argument(
        "--ceiling-duration", type=float, default=3.0, help="seconds on the constant route (3)"
    )
    parser.add_argument(
        "--no-csrf",
        action="store_true",
        help="serve with WTF_CSRF_ENABLED=False (default: CSRF on)",
    )
    parser.add_argument("--no-wrk", action="store_true", help="skip the wrk cross-check")
    parser.add_argument(
        "--profile",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="after each scenario, sample the workers with py-spy for this "
        "long under load and print hot spots on stderr",
    )
    args = parser.parse_args(argv)
    # A terminated run still stops its gunicorn: SIGTERM unwinds through the finally blocks.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    started = time.perf_counter()
    report: dict[str, Any] = {
        "benchmark": "http: step confirmation and live page under concurrent clients",
        **revision(),
        "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__,
        "flask": _version("flask"),
        "gunicorn": _version("gunicorn"),
        "cpu_count": cores,
        "server": {
            "worker_class": "sync",
            "workers": args.workers,
            "bind": "127.0.0.1",
            "access_log": False,
            "preload": True,
        },
        "clients": args.clients,
        "load_generator": (
            f"{args.clients} Python threads over {args.client_processes} processes, plain "
            "sockets; a new connection per request (gunicorn sync workers close after each "
            "response); each client signs in once as 'attendant' and keeps its own cookie"
        ),
        "duration_s": {
            "per_arm": args.duration,
            "warmup_per_arm": args.warmup,
            "ceiling": args.ceiling_duration,
        },
        "csrf": (
            "disabled (WTF_CSRF_ENABLED=False)"
            if args.no_csrf
            else "enabled: each client reads its token once from the permit page and sends it "
            "with every POST; the baseline does not check it"
        ),
        "password_kdf": "argon2id fast test parameters (PERMIT_FAST_HASHES=1), sign-in only",
        "data": (
            "one enterprise from tests.factories.World; 2 x clients + 1 permits driven to "
            "'working', attendant 'attendant' on all; each client has its own step permit "
            "(no version conflicts between clients) and its own live permit (one entrant "
            "inside); the baseline has its own rows in bench_http_* tables"
        ),
        "scenarios": {
            "step": {
                "app_does": APP_DOES["step"],
                "baseline_does": STEP_DOES,
                "loop": "check_in, check_out, check_in, ... of the same entrant on the "
                "client's own permit, with the version it tracks",
            },
            "live": {"app_does": APP_DOES["live"], "baseline_does": LIVE_DOES},
            "ceiling": PING_DOES,
        },
        "figures": (
            "requests_per_s counts successful requests (step: 303 to the permit page; live: "
            "200) completed in the measured window; percentiles over those; errors = the "
            "rest (refused = 303 back / 409 / 422, then the client re-reads its version). "
            "The app's time is split in two halves around the baseline's."
        ),
        "goals": {
            "throughput_ratio": f">= {THROUGHPUT_GOAL:g} (app / baseline requests/s)",
            "p95_ms": f"<= {P95_GOAL_MS:g} (app)",
        },
        "backends": {},
    }
    with tempfile.TemporaryDirectory(prefix="permit-bench-http-") as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'bench.sqlite3'}"
        with_wrk = not args.no_wrk
        print("== sqlite", file=sys.stderr)
        report["backends"]["sqlite"] = run_backend(url, args, folder, with_wrk)
        pg_url = os.environ.get("BENCH_POSTGRES_URL")
        if pg_url:
            print("== postgresql", file=sys.stderr)
            report["backends"]["postgresql"] = run_backend(pg_url, args, folder, False)
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
