"""What every benchmark does around its measurement: the commit it measured, a fresh schema,
a run on SQLite and on PostgreSQL when BENCH_POSTGRES_URL is set, and the JSON report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from permit import db

ROOT = Path(__file__).resolve().parent.parent


def git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def revision() -> dict[str, Any]:
    """The commit measured, and whether tracked files differed from it."""
    status = git("status", "--porcelain", "--untracked-files=no")
    return {
        "git_commit": git("rev-parse", "--short", "HEAD") or None,
        "git_dirty": None if status is None else bool(status),
    }


def fresh_schema(engine: Engine) -> None:
    """Migrate an empty database: PostgreSQL's public schema dropped and made again first (a
    SQLite benchmark database is a new file)."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    db.migrate(engine)


def settle(engine: Engine) -> None:
    """After the bulk generation, PostgreSQL as autovacuum keeps a database people use: the
    planner's statistics fresh and the dead row versions of the generation gone (the running
    tallies are updated once per row written). Otherwise autovacuum may start in the middle of
    the timed requests and their p95 measures it. SQLite needs neither."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def run_and_print(
    report: dict[str, Any], run: Callable[[str], dict[str, Any]], started: float
) -> int:
    """`run(url)` on a temporary SQLite file, then on PostgreSQL when BENCH_POSTGRES_URL is
    set, each backend's result under report["backends"]; whether every measured backend met
    its goals; the report printed as JSON."""
    with tempfile.TemporaryDirectory(prefix="permit-bench-") as tmp:
        report["backends"]["sqlite"] = run(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
    pg_url = os.environ.get("BENCH_POSTGRES_URL")
    if pg_url:
        report["backends"]["postgresql"] = run(pg_url)
    else:
        report["backends"]["postgresql"] = {"skipped": "BENCH_POSTGRES_URL is not set"}
    measured = [
        b["within_goal"] for b in report["backends"].values() if b.get("within_goal") is not None
    ]
    report["within_goal"] = all(measured) if measured else None
    report["seconds"] = round(time.perf_counter() - started, 1)
    json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0
