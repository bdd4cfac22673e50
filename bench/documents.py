"""Documents: the warning-sign and permit PDFs' render times (warm, median), and the public scan
page's requests/s beside a static page of the same bytes served by the same gunicorn in the
same run. Prints ONE JSON document.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path.pop(0)  # bench/http.py must never shadow the standard library's http
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from typing import Any  # noqa: E402

os.environ["PERMIT_FAST_HASHES"] = "1"  # before permit is imported: sign-in is not measured

import sqlalchemy  # noqa: E402

from bench.harness import fresh_schema, revision  # noqa: E402
from bench.http import _kinds, _version, counting, progress, scenario, serving  # noqa: E402
from bench.http_baseline import STATIC_DOES  # noqa: E402
from bench.http_cpu import CpuMeter  # noqa: E402
from bench.http_load import FAILED, HTTP_ERROR, OK, LoadGenerator, fetch  # noqa: E402
from permit import db, documents  # noqa: E402
from permit.clock import FixedClock  # noqa: E402
from permit.documents import PdfCache, permit_form  # noqa: E402
from permit.documents import sign as sign_document  # noqa: E402
from tests.factories import World  # noqa: E402
from web import dispose  # noqa: E402

PERMIT_PDF_GOAL_MS = 300.0
SCAN_RATIO_GOAL = 0.5
BASE_URL = "https://permits.example.com"

SCAN_DOES = (
    "GET /s/<token> of a space with a working permit and one person inside, anonymous, no "
    "cookie: ONE statement (the miss throttle's COUNT for the client, the space by token, the "
    "pack in force, the emergency number, the live permits, each one's latest gas test and "
    "headcount) on the page's own autocommit pool, the template (rendered once per distinct "
    "status); Cache-Control: no-store"
)


# -- the data -------------------------------------------------------------------------------


@dataclass
class Scene:
    permit: str
    space: str
    token: str


def prepare(url: str) -> Scene:
    """Fresh schema; one enterprise (tests.factories.World) with a permit that has lived a
    shift: at work, two entrants in and out, a second gas test, a pause, resumed, closed."""
    engine = db.make_engine(url)
    try:
        fresh_schema(engine)
        # The app serves on the wall clock: the history below takes 22 minutes of the world's
        # clock, so the scan page's permit had its gas test some 20 minutes ago, fresh (30
        # minutes) for the whole run.
        clock = FixedClock(datetime.now(UTC) - timedelta(minutes=40))
        with db.session_factory(engine)() as s:
            world = World(s, clock)
            world.build()
            s.commit()
            permit = world.working()
            for person in (world.entrant, world.entrant2):
                world.fire(permit, "check_in", person=person.id)
            world.fire(permit, "record_gas_test")
            for person in (world.entrant, world.entrant2):
                world.fire(permit, "check_out", person=person.id)
            world.fire(permit, "suspend", reason="午休")
            world.fire(permit, "finish")
            world.fire(permit, "close")
            live = world.working()  # the scan page's permit
            world.fire(live, "check_in", person=world.entrant.id)
            return Scene(permit.number, world.pit.code, world.pit.qr_token)
    finally:
        engine.dispose()


# -- PDF render times -----------------------------------------------------------------------


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def timed_runs(fn, runs: int, warmup: int) -> dict[str, Any]:
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return {
        "median_ms": _median_ms(wall),
        "min_ms": round(min(wall) * 1000, 1),
        "p90_ms": round(sorted(wall)[int(0.9 * (len(wall) - 1))] * 1000, 1),
        "cpu_median_ms": _median_ms(cpu),
    }


def pdf_times(url: str, scene: Scene, runs: int, warmup: int, folder: Path) -> dict[str, Any]:
    """Each document three ways, in this process after warm-up (fonts configured, the
    template compiled): rendered from the records (no cache), served again unchanged (the
    cache), and — the baseline — WeasyPrint alone on the same HTML, prepared beforehand."""
    from permit.models import Permit, Space

    engine = db.make_engine(url)
    cache = PdfCache(folder / "pdf-cache")
    out: dict[str, Any] = {}
    try:
        with db.session_factory(engine)() as s:
            permit = s.scalars(sqlalchemy.select(Permit).where(Permit.number == scene.permit)).one()
            space = s.scalars(sqlalchemy.select(Space).where(Space.code == scene.space)).one()
            now = datetime.now(UTC)
            jobs = {
                "permit_pdf": (
                    lambda **kw: permit_form.permit_pdf(
                        s, permit, base_url=BASE_URL, now=now, **kw
                    ),
                    lambda: documents.html(
                        "permit.html", f=permit_form.form(s, permit, base_url=BASE_URL, now=now)
                    ),
                ),
                "sign_pdf_a4": (
                    lambda **kw: sign_document.sign_pdf(
                        s, [space], base_url=BASE_URL, size="A4", now=now, **kw
                    ),
                    lambda: documents.html(
                        "sign.html",
                        pages=sign_document.pages(s, [space], base_url=BASE_URL, now=now),
                        size="A4",
                        k=1.0,
                    ),
                ),
            }
            for name, (render, source) in jobs.items():
                pdf = render()
                html = source()
                s.expire_all()  # each render loads the records afresh, as a request would
                result = {
                    "bytes": len(pdf),
                    "render": timed_runs(lambda r=render: (s.expire_all(), r()), runs, warmup),
                    "cached": timed_runs(
                        lambda r=render: (s.expire_all(), r(cache=cache)), runs, warmup
                    ),
                    "baseline_weasyprint_only": timed_runs(
                        lambda h=html: documents._write_pdf(h), runs, warmup
                    ),
                }
                base = result["baseline_weasyprint_only"]["median_ms"]
                result["render_over_baseline"] = (
                    round(result["render"]["median_ms"] / base, 2) if base else None
                )
                out[name] = result
            # A site's signs in one document: the per-page cost once the fonts are shared.
            spaces = list(s.scalars(sqlalchemy.select(Space).order_by(Space.code)))
            batch = timed_runs(
                lambda: sign_document.sign_pdf(s, spaces, base_url=BASE_URL, size="A3", now=now),
                max(3, runs // 4),
                1,
            )
            batch["spaces"] = len(spaces)
            out["sign_pdf_batch_a3"] = batch
    finally:
        engine.dispose()
    goal = out["permit_pdf"]
    out["goal"] = f"permit PDF <= {PERMIT_PDF_GOAL_MS:g} ms warm (median)"
    out["render_within_goal"] = goal["render"]["median_ms"] <= PERMIT_PDF_GOAL_MS
    out["served_within_goal"] = goal["cached"]["median_ms"] <= PERMIT_PDF_GOAL_MS
    return out


# -- the scan page under load ---------------------------------------------------------------


@dataclass
class PageClient:
    """An anonymous phone: GETs one page per arm, keeps no cookie."""

    port: int
    paths: dict[str, str]  # arm ("app", "baseline") -> path

    def login(self) -> None:
        """Nobody signs in to scan a sign."""

    def once(self, kind: str, arm: str) -> tuple[float, float, int]:
        start, t0 = time.time(), time.perf_counter()
        try:
            r = fetch(self.port, "GET", self.paths[arm])
        except OSError:
            return start, time.perf_counter() - t0, FAILED
        return start, time.perf_counter() - t0, OK if r.status == 200 else HTTP_ERROR


def scan_page(url: str, scene: Scene, secret: str, folder: Path) -> dict[str, Any]:
    """The page in-process once: its bytes (the baseline serves exactly these) and the SQL
    statements it sends."""
    from bench.http_app import build

    app = build({"DATABASE_URL": url, "SECRET_KEY": secret, "PDF_CACHE_DIR": ""})
    engine = app.extensions["db_engine"]
    try:
        client = app.test_client()
        client.get(f"/s/{scene.token}")  # warm
        # a prepared read runs on the driver's cursor but tells the engine's listeners
        with counting(engine) as counts, counting(app.extensions["scan_engine"]) as scans:
            r = client.get(f"/s/{scene.token}")
        counts.update(scans)
        if r.status_code != 200 or 'data-status="working"' not in r.get_data(as_text=True):
            raise RuntimeError(f"scan page: HTTP {r.status_code}, not the working status")
        page = folder / "scan-page.html"
        page.write_bytes(r.data)
        return {"bytes": len(r.data), "statements": _kinds(counts), "file": str(page)}
    finally:
        dispose(app)


def run_backend(url: str, args, folder: Path) -> dict[str, Any]:
    started = time.perf_counter()
    load_before = os.getloadavg()
    scene = prepare(url)
    progress(started, "data prepared")
    result: dict[str, Any] = {"dialect": sqlalchemy.engine.make_url(url).get_backend_name()}
    result["pdf"] = pdf_times(url, scene, args.runs, args.warmup_runs, folder)
    progress(
        started,
        f"permit PDF {result['pdf']['permit_pdf']['render']['median_ms']} ms, "
        f"sign {result['pdf']['sign_pdf_a4']['render']['median_ms']} ms",
    )
    secret = secrets.token_hex(32)
    page = scan_page(url, scene, secret, folder)
    with serving(
        url,
        secret,
        workers=args.workers,
        csrf=True,
        live_reads=2,
        folder=folder,
        env={"BENCH_HTTP_STATIC_PAGE": page["file"], "PDF_CACHE_DIR": ""},
    ) as server:
        progress(started, f"gunicorn up on port {server.port}")
        paths = {"app": f"/s/{scene.token}", "baseline": "/_baseline/static-page"}
        static = fetch(server.port, "GET", paths["baseline"])
        if static.status != 200 or len(static.body) != page["bytes"]:
            raise RuntimeError("the static page is not the scan page's size")
        clients = [PageClient(server.port, paths) for _ in range(args.clients)]
        meter = CpuMeter(server.pid, url)
        gen = None
        try:
            gen = LoadGenerator(clients, args.client_processes)
            scan = scenario(gen, meter, "scan", args.warmup, args.duration, 0.0, server.pid)
        finally:
            if gen is not None:
                gen.close()
            meter.close()
    scan["page_bytes"] = page["bytes"]
    scan["statements_per_request"] = page["statements"]
    result["scan"] = scan
    progress(
        started,
        f"scan: app {scan['app']['requests_per_s']}, static "
        f"{scan['baseline']['requests_per_s']} requests/s",
    )
    result["within_goal"] = result["pdf"]["served_within_goal"] and scan["throughput_within_goal"]
    result["load_average"] = {
        "before": [round(x, 2) for x in load_before],
        "after": [round(x, 2) for x in os.getloadavg()],
    }
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed renders per figure (15)")
    parser.add_argument("--warmup-runs", type=int, default=3, help="untimed renders first (3)")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per HTTP arm (8)")
    parser.add_argument("--warmup", type=float, default=2.0, help="untimed seconds per arm (2)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument("--workers", type=int, default=2 * cores, help="gunicorn sync workers")
    parser.add_argument("--client-processes", type=int, default=4, help="load processes (4)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    started = time.perf_counter()
    import weasyprint

    report: dict[str, Any] = {
        "benchmark": "documents: sign and permit PDFs; the public scan page over HTTP",
        **revision(),
        "python": platform.python_version(),
        "weasyprint": weasyprint.__version__,
        "flask": _version("flask"),
        "gunicorn": _version("gunicorn"),
        "cpu_count": cores,
        "pdf": {
            "does": (
                "in-process, after warm-up: 'render' builds the document from the records "
                "(SQL, template, WeasyPrint with the CJK font subset and embedded), no cache; "
                "'cached' is the same call with the on-disk cache keyed by the HTML's hash "
                "(an unchanged permit downloaded again); the baseline is WeasyPrint alone "
                "writing the same HTML, prepared beforehand"
            ),
            "permit": "one permit after a shift: 2 gas tests, 4 entry-log rows, a pause, "
            "4 signatures (2 pages)",
            "runs": args.runs,
            "warmup_runs": args.warmup_runs,
        },
        "scan": {
            "app_does": SCAN_DOES,
            "baseline_does": STATIC_DOES,
            "server": f"gunicorn, {args.workers} sync workers, --preload, 127.0.0.1",
            "clients": f"{args.clients} anonymous clients over {args.client_processes} "
            "processes, a new connection per request",
            "duration_s": {"per_arm": args.duration, "warmup_per_arm": args.warmup},
            "order": "app (half), static (full), app (other half)",
        },
        "goals": {
            "permit_pdf_ms": f"<= {PERMIT_PDF_GOAL_MS:g} (warm, median)",
            "scan_throughput_ratio": f">= {SCAN_RATIO_GOAL:g} (scan page / static page)",
        },
        "backends": {},
    }
    with tempfile.TemporaryDirectory(prefix="permit-bench-documents-") as tmp:
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
