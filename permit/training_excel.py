"""Training records (art. 7) as an Excel workbook, in the layout of a sign-in and assessment
sheet: one row per attendee per session. Import checks every row before it records anything,
and names each bad cell by row and column in the reader's language; rows of one session (same
date, kind, topic, trainer and hours) become one session, recorded as the form records it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from . import spreadsheet, training
from .clock import Clock
from .errors import Reason, plain
from .models import Contractor, Enterprise, TrainingRecord, TrainingSession, User
from .spreadsheet import CellError, Choices, Column, text
from .workflow import Workflow

SHEET = "培训记录"
OPTIONS_SHEET = "填写说明"
MAX_ROWS = spreadsheet.MAX_ROWS
LENGTHS = {"topic": 200, "trainer": 120}
MAX_HOURS = 24  # as the form: one session is at most a day
HOURS_TEXT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:学时|小时|课时|h|hours?)?\s*$", re.IGNORECASE)
RESULT_WORDS = {
    "合格": True,
    "通过": True,
    "passed": True,
    "pass": True,
    "不合格": False,
    "未通过": False,
    "不通过": False,
    "failed": False,
    "fail": False,
}

COLUMNS = (
    Column("seq", "序号", "No.", 6, imported=False),
    Column("held_on", "日期", "Date", 12, style="date", aliases=("培训日期", "考核日期")),
    Column("topic", "培训主题", "Topic", 30, aliases=("主题", "培训内容")),
    Column("kind", "培训类别", "Kind", 30, aliases=("能力项", "培训类别/能力项", "类别")),
    Column("trainer", "培训人", "Trainer", 14, aliases=("授课人", "培训讲师", "讲师")),
    Column("hours", "学时", "Hours", 6, aliases=("课时",)),
    Column("name", "姓名", "Name", 12),
    Column("username", "用户名", "Username", 14, style="code", aliases=("工号", "账号")),
    Column("company", "单位", "Company", 20, imported=False),
    Column("result", "考核结果", "Result", 10, aliases=("结果", "考核")),
)
# The name first: it finds the header row. Trainer and hours are checked on new rows only.
LAYOUT = spreadsheet.Layout(
    SHEET, COLUMNS, required=("name", "held_on", "topic", "kind", "trainer", "hours", "result")
)


@dataclass
class ImportResult(spreadsheet.Checked):
    created: int = 0  # records
    sessions: int = 0  # new sessions (records may also join a session already recorded)
    unchanged: int = 0  # rows already recorded


# -- export ----------------------------------------------------------------------------------


def records(session: Session, enterprise_id: int, year: int | None = None) -> list[TrainingRecord]:
    """The training records of the enterprise's people and its contractors' workers, in the
    order they were held."""
    query = (
        select(TrainingRecord)
        .join(User, TrainingRecord.user_id == User.id)
        .where(User.enterprise_id == enterprise_id)
        .options(selectinload(TrainingRecord.session), selectinload(TrainingRecord.user))
        .order_by(TrainingRecord.taken_on, TrainingRecord.session_id, TrainingRecord.id)
    )
    if year is not None:
        query = query.where(
            TrainingRecord.taken_on >= date(year, 1, 1),
            TrainingRecord.taken_on <= date(year, 12, 31),
        )
    return list(session.scalars(query))


def _companies(session: Session, enterprise: Enterprise) -> dict[int | None, str]:
    found = session.scalars(select(Contractor).where(Contractor.enterprise_id == enterprise.id))
    return {None: enterprise.name, **{c.id: c.name for c in found}}


def _kind_name(wf: Workflow, kind: str) -> str:
    return wf.section("training").get(kind, {}).get("zh", kind)


def write(
    session: Session,
    enterprise: Enterprise,
    found: Iterable[TrainingRecord],
    wf: Workflow,
    *,
    title: str,
) -> bytes:
    """The workbook: the records sheet, and a sheet of the values each column accepts with
    the people a row may name."""
    companies = _companies(session, enterprise)

    def row(seq: int, record: TrainingRecord) -> dict[str, Any]:
        held = record.session
        return {
            "seq": seq,
            "held_on": record.taken_on,
            "topic": record.topic,
            "kind": _kind_name(wf, record.kind),
            "trainer": held.trainer if held else None,
            "hours": held.hours if held else None,
            "name": record.user.name,
            "username": record.user.username,
            "company": companies.get(record.user.contractor_id, ""),
            "result": "合格" if record.passed else "不合格",
        }

    people = _people(session, enterprise.id)
    return spreadsheet.write(
        LAYOUT,
        (row(seq, r) for seq, r in enumerate(found, start=1)),
        title=title,
        options_sheet=OPTIONS_SHEET,
        choices=[
            Choices("培训类别", [s["zh"] for s in wf.section("training").values()], 40, "kind"),
            Choices("考核结果", ["合格", "不合格"], 10, field="result"),
            Choices("姓名", [p.name for p in people if p.active], 12, field="name"),
            Choices("用户名", [p.username or "" for p in people if p.active], 14),
            Choices("单位", [companies.get(p.contractor_id, "") for p in people if p.active], 24),
        ],
        notes=[
            "每名参训人员一行；日期、培训类别、培训主题、培训人和学时相同的行为同一次培训。",
            "姓名须为本企业或承包单位在册人员；同名时填写用户名。考核结果填“合格”或“不合格”。",
            f"日期格式 2026-05-01，不得晚于当天；学时大于0且不超过{MAX_HOURS}。",
            "序号、单位只供阅读，导入时不读取。",
            "已记录的行（同一人、日期、类别和主题）不重复记录；任何一行有误则整表不导入。",
        ],
        freeze="C3",
    )


def _people(session: Session, enterprise_id: int) -> list[User]:
    """Everyone a row may name: the enterprise's people and its contractors' workers, as the
    training form offers them."""
    return list(
        session.scalars(
            select(User)
            .where(User.enterprise_id == enterprise_id)
            .options(selectinload(User.trainings))
            .order_by(User.contractor_id.is_not(None), User.name, User.id)
        )
    )


# -- import ----------------------------------------------------------------------------------


def read(data: bytes) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each non-empty row of the records sheet as (row number, field → cell value)."""
    return spreadsheet.read(data, LAYOUT, max_rows=MAX_ROWS)


@dataclass(frozen=True)
class _Row:
    number: int
    person: User
    kind: str
    held_on: date
    topic: str
    trainer: str
    hours: float | None
    passed: bool

    @property
    def record_key(self) -> tuple[int, str, date, str]:
        return (self.person.id, self.kind, self.held_on, self.topic)

    @property
    def session_key(self) -> tuple[date, str, str, str, float | None]:
        return (self.held_on, self.kind, self.topic, self.trainer, self.hours)


@dataclass
class _Checker:
    """Reads one row's cells into a _Row, noting every bad cell on the way."""

    wf: Workflow
    today: date
    people: Sequence[User]
    number: int = 0
    errors: list[CellError] = field(default_factory=list)

    def __post_init__(self) -> None:
        training_kinds = self.wf.section("training")
        self.kinds = spreadsheet.label_index(training_kinds, "zh", "en", "short_zh", "short_en")
        self.by_username = {p.username.lower(): p for p in self.people if p.username}
        self.by_name: dict[str, list[User]] = {}
        for person in self.people:
            self.by_name.setdefault(text(person.name), []).append(person)

    def bad(self, column: str, zh: str, en: str, **params: Any) -> None:
        self.errors.append(
            LAYOUT.error(self.number, column, plain(f"training_{column}", zh, en, **params))
        )

    def required(self, values: Mapping[str, Any], column: str) -> str:
        value = text(values.get(column))
        if not value:
            self.bad(column, "不能为空", "must not be empty")
        elif len(value) > LENGTHS.get(column, len(value)):
            n = LENGTHS[column]
            self.bad(column, "超过 {n} 个字", "longer than {n} characters", n=n)
        return value

    def held_on(self, values: Mapping[str, Any]) -> date | None:
        day, problem = spreadsheet.past_date(values.get("held_on"), self.today, "training_held_on")
        if problem is not None:
            self.errors.append(LAYOUT.error(self.number, "held_on", problem))
            return None
        if day is None:
            self.bad("held_on", "不能为空", "must not be empty")
        return day

    def kind(self, values: Mapping[str, Any]) -> str | None:
        given = self.required(values, "kind")
        if not given:
            return None
        kind = self.kinds.get(given.lower())
        if kind is None:
            self.bad("kind", "未知培训类别 '{v}'", "unknown kind of training '{v}'", v=given)
        return kind

    def hours(self, values: Mapping[str, Any]) -> float | None:
        value = values.get("hours")
        if isinstance(value, int | float) and not isinstance(value, bool):
            hours: float | None = float(value)
        else:
            found = HOURS_TEXT.match(text(value))
            hours = float(found.group(1)) if found else None
        if hours is None or not 0 < hours <= MAX_HOURS:  # NaN fails this too
            if text(value):
                self.bad(
                    "hours",
                    "'{v}' 不是学时：应大于0且不超过{n}",
                    "'{v}' is no number of hours: more than 0 and at most {n}",
                    v=text(value),
                    n=MAX_HOURS,
                )
            return None
        return hours

    def result(self, values: Mapping[str, Any]) -> bool | None:
        given = self.required(values, "result")
        if not given:
            return None
        passed = RESULT_WORDS.get(given.lower())
        if passed is None:
            self.bad(
                "result",
                "'{v}' 应为“合格”或“不合格”",
                "'{v}' is neither 合格 (passed) nor 不合格 (failed)",
                v=given,
            )
        return passed

    def person(self, values: Mapping[str, Any]) -> User | None:
        name = self.required(values, "name")
        username = text(values.get("username"))
        if username:
            found = self.by_username.get(username.lower())
            if found is None:
                self.bad(
                    "username",
                    "本企业及承包单位中没有用户名 '{v}'",
                    "no one of this enterprise or its contractors has the username '{v}'",
                    v=username,
                )
            elif name and text(found.name) != name:
                self.bad(
                    "username",
                    "'{v}' 是{who}的用户名，不是{name}的",
                    "'{v}' is the username of {who}, not of {name}",
                    v=username,
                    who=found.name,
                    name=name,
                )
                return None
            return found
        if not name:
            return None
        named = self.by_name.get(name, [])
        if not named:
            self.bad(
                "name",
                "本企业及承包单位中没有 '{v}'",
                "nobody called '{v}' in this enterprise or its contractors",
                v=name,
            )
            return None
        if len(named) > 1:
            self.bad(
                "name",
                "有 {n} 人名为 '{v}'：请填写用户名",
                "{n} people are called '{v}': give the username",
                n=len(named),
                v=name,
            )
            return None
        return named[0]

    def row(self, number: int, values: Mapping[str, Any]) -> _Row | None:
        self.number = number
        before = len(self.errors)
        held_on = self.held_on(values)
        topic = self.required(values, "topic")
        kind = self.kind(values)
        trainer = text(values.get("trainer"))
        if len(trainer) > LENGTHS["trainer"]:
            self.bad("trainer", "超过 {n} 个字", "longer than {n} characters", n=LENGTHS["trainer"])
        hours = self.hours(values)
        person = self.person(values)
        passed = self.result(values)
        if len(self.errors) > before or None in (held_on, kind, person, passed):
            # no record can be matched to it: say too what it would lack as a new one
            self.needs(trainer, hours is None and not text(values.get("hours")), None)
            return None
        return _Row(number, person, kind, held_on, topic, trainer, hours, passed)

    def needs(self, trainer: str, no_hours: bool, person: User | None) -> None:
        """What a row must hold to become a new record: a row already recorded may leave the
        trainer and hours out (records kept before sessions were have neither)."""
        if not trainer:
            self.bad("trainer", "不能为空", "must not be empty")
        if no_hours:
            self.bad(
                "hours",
                "不能为空：应大于0且不超过{n}",
                "must not be empty: more than 0 and at most {n}",
                n=MAX_HOURS,
            )
        if person is not None and not person.active:
            self.bad(
                "name",
                "{v} 已停用，不能新增培训记录",
                "{v} is deactivated: no new training can be recorded",
                v=person.name,
            )


def _already(row: _Row, record: TrainingRecord) -> list[Reason]:
    """Why a row that names a record already kept disagrees with it: an import adds records,
    it never changes one (a wrong record is corrected by a new assessment, not an edit)."""
    found = []
    if record.passed != row.passed:
        was = {"zh": "合格", "en": "passed"} if record.passed else {"zh": "不合格", "en": "failed"}
        found.append(
            plain(
                "training_result",
                "已记录为“{was}”，导入不修改已有记录",
                "already recorded as {was}: an import does not change a record",
                was=was,
            )
        )
    held = record.session
    if held is not None and row.trainer and text(held.trainer) != row.trainer:
        found.append(
            plain(
                "training_trainer",
                "已记录的培训人为 '{was}'，导入不修改已有记录",
                "already recorded with the trainer '{was}': an import does not change a record",
                was=held.trainer,
            )
        )
    if held is not None and row.hours is not None and held.hours != row.hours:
        found.append(
            plain(
                "training_hours",
                "已记录为 {was} 学时，导入不修改已有记录",
                "already recorded as {was} hours: an import does not change a record",
                was=f"{held.hours:g}",
            )
        )
    return found


def import_records(
    session: Session,
    user: User,
    data: bytes,
    *,
    wf: Workflow,
    today: date,
    clock: Clock,
) -> ImportResult:
    """Check every row; if none is bad, record the new ones, a session per group of rows (or
    into the session already recorded with the same date, kind, topic, trainer and hours).
    Rows already recorded are counted and left. The caller commits."""
    enterprise = session.get(Enterprise, user.enterprise_id)
    people = _people(session, enterprise.id)
    kept: dict[tuple, list[TrainingRecord]] = {}
    for person in people:
        for record in person.trainings:
            key = (person.id, record.kind, record.taken_on, text(record.topic))
            kept.setdefault(key, []).append(record)
    checker = _Checker(wf, today, people)
    result = ImportResult()
    first_row: dict[tuple, int] = {}
    new: list[_Row] = []
    for number, values in read(data):
        row = checker.row(number, values)
        if row is None:
            continue
        if row.record_key in first_row:
            checker.bad(
                "name",
                "与第 {row} 行重复（同一人、日期、培训类别和主题）",
                "repeats row {row} (the same person, date, kind and topic)",
                row=first_row[row.record_key],
            )
            continue
        first_row[row.record_key] = number
        recorded = kept.get(row.record_key)
        if not recorded:
            checker.needs(row.trainer, row.hours is None, row.person)
            new.append(row)
            continue
        # a failed assessment and its retake may share a day and a topic: match the result
        record = next((r for r in recorded if r.passed == row.passed), recorded[0])
        for reason in _already(row, record):
            column = reason.rule.removeprefix("training_")
            checker.errors.append(LAYOUT.error(number, column, reason))
        result.unchanged += 1
    result.errors = sorted(checker.errors, key=lambda e: (e.row, LAYOUT.position(e.field)))
    if result.errors:
        return result
    _record(session, enterprise, new, result, wf=wf, clock=clock, actor=user)
    result.applied = True
    return result


def _record(
    session: Session,
    enterprise: Enterprise,
    rows: Sequence[_Row],
    result: ImportResult,
    *,
    wf: Workflow,
    clock: Clock,
    actor: User,
) -> None:
    groups: dict[tuple, list[_Row]] = {}
    for row in rows:
        groups.setdefault(row.session_key, []).append(row)
    held_before = {
        (s.held_on, s.kind, text(s.topic), text(s.trainer), s.hours): s
        for s in session.scalars(
            select(TrainingSession).where(
                TrainingSession.enterprise_id == enterprise.id,
                TrainingSession.held_on.in_({key[0] for key in groups}),
            )
        )
    }
    for key, group in groups.items():
        attendees = [(row.person, row.passed) for row in group]
        held = held_before.get(key)
        if held is not None:
            training.add_attendees(
                session,
                held,
                workflow=wf,
                attendees=attendees,
                clock=clock,
                actor=actor,
                source="excel",
            )
        else:
            held_on, kind, topic, trainer, hours = key
            training.record_session(
                session,
                enterprise,
                workflow=wf,
                kind=kind,
                topic=topic,
                held_on=held_on,
                trainer=trainer,
                hours=hours,
                attendees=attendees,
                clock=clock,
                actor=actor,
                source="excel",
            )
            result.sessions += 1
        result.created += len(group)
