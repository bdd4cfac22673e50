"""The ledger's Excel import and export of a large 台账, beside bare openpyxl + ORM, as JSON."""
from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import sqlalchemy
from openpyxl import Workbook, load_workbook
from sqlalchemy import JSON, ForeignKey, MetaData, String, UniqueConstraint, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

os.environ["PERMIT_FAST_HASHES"] = "1"

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path.pop(0)  # this file is named ledger.py: never let it shadow permit.ledger
sys.path.insert(0, str(ROOT))

from bench.harness import fresh_schema, revision, run_and_print  # noqa: E402
from permit import db, ledger, ledger_excel, registers  # noqa: E402
from permit.catalogue import catalogue  # noqa: E402
from permit.clock import FixedClock, local_date  # noqa: E402
from permit.models import Space, User  # noqa: E402
from permit.models.base import UTCDateTime  # noqa: E402
from permit.workflow import get as get_workflow  # noqa: E402

GOALS = {"import_new": 3.0, "import_unchanged": 3.0, "export": 2.0}
WF = get_workflow("confined_space", "draft-2023.1")

DOES = {
    "import_new": (
        "ledger_excel.import_ledger of a workbook of N new spaces into an enterprise with an "
        "empty ledger, committed: every row validated (catalogue, hazard names, dates, lists), "
        "then each space created through registers.add_space with its audit entry on the "
        "enterprise's hash chain. A new enterprise per run."
    ),
    "import_unchanged": (
        "ledger_excel.import_ledger of the export of the same N spaces: every row validated and "
        "compared with the ledger, nothing written (0 created, 0 updated, N unchanged)."
    ),
    "export": (
        "ledger.spaces (all, by code, key supervision derived) and ledger_excel.write: the "
        "styled workbook with the options sheet and drop-downs, as bytes."
    ),
}
BASELINE_DOES = {
    "import_new": (
        "openpyxl read_only over the same workbook, each row's cells split into lists as text, "
        "one ORM insert into a table of its own (bench_ledger_spaces) plus one row standing for "
        "the audit entry (no chain), one commit. No validation, no lookups."
    ),
    "import_unchanged": (
        "openpyxl read_only over the same workbook and one SELECT of the enterprise's rows of "
        "bench_ledger_spaces; each row compared as raw text with the stored one."
    ),
    "export": (
        "One SELECT of bench_ledger_spaces and a plain openpyxl Workbook with a header row and "
        "the raw values, saved as bytes. No styles, no options sheet, no names looked up."
    ),
}


class BenchBase(DeclarativeBase):
    metadata = MetaData()
    type_annotation_map = {datetime: UTCDateTime, dict: JSON, list: JSON}


class BenchSpace(BenchBase):
    __tablename__ = "bench_ledger_spaces"
    __table_args__ = (UniqueConstraint("batch", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    batch: Mapped[int]
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(200))
    industry: Mapped[str] = mapped_column(String(40))
    catalogue_class: Mapped[str] = mapped_column(String(80))
    hazards: Mapped[list]
    isolation_measures: Mapped[list]
    control_measures: Mapped[list]
    deep: Mapped[str] = mapped_column(String(8))
    sign_placed_on: Mapped[date | None]
    notice_board_placed_on: Mapped[date | None]


class BenchAudit(BenchBase):
    __tablename__ = "bench_ledger_audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("bench_ledger_spaces.id"))
    data: Mapped[dict]
    at: Mapped[datetime]


def sample_spaces(n: int, today: date) -> list[Space]:
    """N plausible spaces across the catalogue, unsaved: what a big enterprise's sheet holds."""
    cat = catalogue()
    classes = list(cat.classes.values())
    hazards = list(WF.section("hazards"))
    out = []
    for i in range(n):
        cls = classes[i % len(classes)]
        out.append(
            Space(
                code=f"S-{i:05d}",
                name=f"{cls.zh} {i} 号",
                location=f"{i % 17 + 1} 号车间",
                industry=cls.industry,
                catalogue_class=cls.key if i % 5 else None,
                hazards=[hazards[i % len(hazards)], hazards[(i * 7 + 1) % len(hazards)]],
                isolation_measures=["入口上锁", "设置隔离栏"],
                control_measures=["作业前强制通风", "持续检测、记录", f"专人监护 {i}"],
                deep=bool(i % 2),
                sign_placed_on=today - timedelta(days=i % 300) if i % 9 else None,
                notice_board_placed_on=today - timedelta(days=30) if i % 4 == 0 else None,
                retired_at=None,
            )
        )
    return out


class Scene:
    def __init__(self, sessions, clock: FixedClock, rows: int) -> None:
        self.sessions, self.clock, self.rows = sessions, clock, rows
        self.today = local_date(clock.now())
        self.workbook = ledger_excel.write(sample_spaces(rows, self.today), WF, title="bench")
        self.batches = 0
        with sessions() as session:  # the ledger the unchanged import and the export read
            self.keeper_id = self._enterprise(session)
            ledger_excel.import_ledger(
                session, session.get(User, self.keeper_id), self.workbook,
                wf=WF, today=self.today, clock=clock,
            )
            session.commit()
        self.exported = self.export()
        self.base_batch = self.baseline_import_new()

    def _enterprise(self, session) -> int:
        self.batches += 1
        ent = registers.create_enterprise(
            session, code=f"B{self.batches}", name="基准", industry="light", clock=self.clock
        )
        user = registers.add_user(
            session, enterprise=ent, name="管理员", roles=["admin"], clock=self.clock
        )
        return user.id

    # -- the ledger ------------------------------------------------------------------------

    def import_new(self) -> None:
        with self.sessions() as session:
            keeper = session.get(User, self._enterprise(session))
            session.commit()
            result = ledger_excel.import_ledger(
                session, keeper, self.workbook, wf=WF, today=self.today, clock=self.clock
            )
            session.commit()
        assert result.created == self.rows and not result.errors, result.errors[:3]

    def import_unchanged(self) -> None:
        with self.sessions() as session:
            result = ledger_excel.import_ledger(
                session, session.get(User, self.keeper_id), self.exported,
                wf=WF, today=self.today, clock=self.clock,
            )
            session.commit()
        assert result.unchanged == self.rows and not result.errors, result.errors[:3]

    def export(self) -> bytes:
        with self.sessions() as session:
            user = session.get(User, self.keeper_id)
            found = ledger.spaces(session, user, ledger.Filters(status="all"), WF)
            data = ledger_excel.write(found, WF, title="bench")
        assert len(found) == self.rows
        return data

    # -- the baseline ----------------------------------------------------------------------

    def _rows(self, data: bytes):
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            rows = book.worksheets[0].iter_rows(min_row=3, values_only=True)
            yield from (r for r in rows if r and r[1] is not None)
        finally:
            book.close()

    def baseline_import_new(self) -> int:
        self.batches += 1
        batch = self.batches
        now = self.clock.now()
        with self.sessions() as session:
            for r in self._rows(self.workbook):
                space = BenchSpace(
                    batch=batch, code=str(r[1]), name=str(r[2]), location=str(r[3] or ""),
                    industry=str(r[4]), catalogue_class=str(r[5] or ""),
                    hazards=str(r[7] or "").split("、"),
                    isolation_measures=str(r[8] or "").split("；"),
                    control_measures=str(r[9] or "").split("；"), deep=str(r[10]),
                    sign_placed_on=r[11].date() if r[11] else None,
                    notice_board_placed_on=r[12].date() if r[12] else None,
                )
                session.add(space)
                session.flush()
                session.add(BenchAudit(space_id=space.id, data={"code": space.code}, at=now))
            session.commit()
        return batch

    def baseline_import_unchanged(self) -> None:
        with self.sessions() as session:
            query = select(BenchSpace).where(BenchSpace.batch == self.base_batch)
            stored = {s.code: s for s in session.scalars(query)}
            same = sum(
                1
                for r in self._rows(self.exported)
                if (s := stored.get(str(r[1]))) is not None and s.name == str(r[2])
                and "、".join(s.hazards) == str(r[7] or "")
                and "；".join(s.control_measures) == str(r[9] or "")
            )
        assert same == self.rows, same

    def baseline_export(self) -> bytes:
        with self.sessions() as session:
            query = select(BenchSpace).where(BenchSpace.batch == self.base_batch)
            rows = session.scalars(query.order_by(BenchSpace.code)).all()
            book = Workbook()
            sheet = book.active
            sheet.append([c.zh for c in ledger_excel.COLUMNS])
            for i, s in enumerate(rows, 1):
                sheet.append([
                    i, s.code, s.name, s.location, s.industry, s.catalogue_class, "",
                    "、".join(s.hazards), "；".join(s.isolation_measures),
                    "；".join(s.control_measures), s.deep, s.sign_placed_on,
                    s.notice_board_placed_on, None, "在用",
                ])
            out = io.BytesIO()
            book.save(out)
        return out.getvalue()


def figures(seconds: list[float]) -> dict[str, Any]:
    ordered = sorted(seconds)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "min_ms": round(ordered[0] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def run_backend(url: str, rows: int, repeats: int) -> dict[str, Any]:
    engine = db.make_engine(url)
    try:
        fresh_schema(engine)
        BenchBase.metadata.create_all(engine)
        scene = Scene(db.session_factory(engine), FixedClock(), rows)
        tasks: dict[str, dict[str, Callable[[], Any]]] = {
            "import_new": {"ledger": scene.import_new, "baseline": scene.baseline_import_new},
            "import_unchanged": {
                "ledger": scene.import_unchanged,
                "baseline": scene.baseline_import_unchanged,
            },
            "export": {"ledger": scene.export, "baseline": scene.baseline_export},
        }
        result: dict[str, Any] = {
            "dialect": engine.dialect.name,
            "server_version": ".".join(map(str, engine.dialect.server_version_info or ())),
            "rows": rows,
            "repeats": repeats,
        }
        for task, arms in tasks.items():
            for run in arms.values():  # warm-up, untimed
                run()
            times: dict[str, list[float]] = {name: [] for name in arms}
            for i in range(repeats):
                for name in list(arms) if i % 2 == 0 else list(reversed(arms)):
                    start = time.perf_counter()
                    arms[name]()
                    times[name].append(time.perf_counter() - start)
            ratio = statistics.median(times["ledger"]) / statistics.median(times["baseline"])
            result[task] = {
                "ledger": {
                    **figures(times["ledger"]),
                    "rows_per_s": round(rows / statistics.median(times["ledger"])),
                },
                "baseline": figures(times["baseline"]),
                "ratio": round(ratio, 2),
                "within_goal": ratio <= GOALS[task],
            }
        result["within_goal"] = all(result[t]["within_goal"] for t in tasks)
        return result
    finally:
        engine.dispose()



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1000, help="spaces in the workbook")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per arm and task")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    report: dict[str, Any] = {
        "benchmark": "ledger: Excel import and export of a large 台账, in-process",
        **revision(),
        "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__,
        "openpyxl": openpyxl.__version__,
        "ledger_does": DOES,
        "baseline_does": BASELINE_DOES,
        "figures": "median over the timed runs; ledger and baseline alternate, same run",
        "ratio": "median ledger time / median baseline time, per task",
        "goals": {task: f"ratio <= {goal:g}" for task, goal in GOALS.items()},
        "backends": {},
    }
    return run_and_print(report, lambda url: run_backend(url, args.rows, args.repeats), started)


if __name__ == "__main__":
    sys.exit(main())
