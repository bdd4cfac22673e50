"""Who may take part today: training validity (art. 7) and attendant competence (art. 4)."""

from __future__ import annotations

import calendar
from datetime import date

from .models import TrainingRecord, User
from .workflow import Workflow, figure


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def valid_until(record: TrainingRecord, workflow: Workflow) -> date | None:
    """The last day a passed record counts; None for a failed one."""
    if not record.passed:
        return None
    spec = workflow.section("training").get(record.kind)
    if spec is None:
        return None
    period = figure(spec["valid_for"])
    if period.unit == "month":
        return add_months(record.taken_on, int(period.value))
    from datetime import timedelta

    return record.taken_on + timedelta(seconds=period.seconds())


def is_qualified(user: User, kind: str, on: date, workflow: Workflow) -> bool:
    for record in user.trainings:
        if record.kind != kind or record.taken_on > on:
            continue
        until = valid_until(record, workflow)
        if until is not None and on < until:
            return True
    return False


def required_kinds(permit_role: str, guard: str, workflow: Workflow) -> list[str]:
    """The training kinds a person in this permit role needs, checked by this guard."""
    return [
        kind
        for kind, spec in workflow.section("training").items()
        if permit_role in spec.get("required_of", [])
        and spec.get("guard", "people_trained") == guard
    ]
