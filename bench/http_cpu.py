"""CPU the server side spent: gunicorn's workers and, on PostgreSQL, the database backends
serving them, read from /proc (Linux). On a machine shared with other work, CPU per request
moves much less than requests per second, so the benchmark reports both."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.pool import NullPool

from permit import db

PROC = Path("/proc")
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return raw.rsplit(")", 1)[1].split()  # fields after the command name, from "state"


def children(pid: int) -> list[int]:
    found = []
    for entry in PROC.iterdir() if PROC.is_dir() else []:
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float | None:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / TICK if fields else None  # utime + stime


class CpuMeter:
    """Snapshots of the CPU time of the gunicorn master's workers and, for PostgreSQL, of the
    backends connected to the benchmark's database (listed from pg_stat_activity)."""

    def __init__(self, master: int, url: str) -> None:
        self.master = master
        self.available = PROC.is_dir()
        self.engine = (
            db.make_engine(url, poolclass=NullPool) if url.startswith("postgresql") else None
        )

    def pids(self) -> list[int]:
        pids = children(self.master)
        if self.engine is not None:
            with self.engine.connect() as conn:
                pids += conn.scalars(
                    text(
                        "SELECT pid FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).all()
        return pids

    def snapshot(self) -> dict[int, float]:
        if not self.available:
            return {}
        return {p: s for p in self.pids() if (s := cpu_seconds(p)) is not None}

    def since(self, before: dict[int, float]) -> float | None:
        """CPU seconds spent since `before` (processes started meanwhile count whole)."""
        if not self.available:
            return None
        after = self.snapshot()
        return sum(s - before.get(p, 0.0) for p, s in after.items())

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()
