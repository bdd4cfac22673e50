"""Who may take part today: training validity (art. 7) and attendant competence (art. 4)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from .models import TrainingRecord, User
from .workflow import Workflow, figure


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def valid_until(record: TrainingRecord, workflow: Workflow) -> date | None:
    """The last day a passed record counts (a 12-month record taken on 1 March counts up to
    the last day of February); None for a failed one."""
    if not record.passed:
        return None
    return passed_until(record.kind, record.taken_on, workflow)


def passed_until(kind: str, taken_on: date, workflow: Workflow) -> date | None:
    """The last day a passed record of this kind taken on that day counts; None for a kind the
    pack does not know."""
    spec = workflow.section("training").get(kind)
    if spec is None:
        return None
    period = figure(spec["valid_for"])
    if period.unit == "month":
        return add_months(taken_on, int(period.value)) - timedelta(days=1)
    return taken_on + timedelta(seconds=period.seconds()) - timedelta(days=1)


def is_qualified(user: User, kind: str, on: date, workflow: Workflow) -> bool:
    for record in user.trainings:
        if record.kind != kind or record.taken_on > on:
            continue
        until = valid_until(record, workflow)
        if until is not None and on <= until:
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


def unfit_reasons(user: User, permit_role: str, on: date, workflow: Workflow) -> list[dict]:
    """Why this person cannot take this role on a permit on that day (empty when fit), for
    pickers that show ineligible people disabled with the reason."""
    reasons = []
    for kind, spec in workflow.section("training").items():
        if permit_role in spec.get("required_of", []) and not is_qualified(
            user, kind, on, workflow
        ):
            reasons.append(
                {
                    "zh": f"无有效{spec['zh']}",
                    "en": f"no valid {spec['en'].lower()}",
                    "cite": spec["cite"],
                }
            )
    return reasons


def competence_kinds(workflow: Workflow) -> list[str]:
    """The attendant's skills (art. 4 para. 2), each assessed and recorded on its own."""
    return required_kinds("attendant", "attendant_competent", workflow)


def latest_valid_until(user: User, kind: str, workflow: Workflow) -> date | None:
    dates = [d for r in user.trainings if r.kind == kind and (d := valid_until(r, workflow))]
    return max(dates) if dates else None
