"""Whether an enterprise's emergency drills are due, by the pack it is judged by."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .packs import Pack
from .qualification import add_months
from .workflow import figure


@dataclass(frozen=True)
class DrillStatus:
    status: str  # "met", "overdue", "not_set" (the pack leaves the period to the enterprise)
    due_on: date | None
    cite: str


def drill_status(
    pack: Pack, last_drill: date | None, today: date, enterprise_period_months: int | None = None
) -> DrillStatus:
    spec = pack.section("drills")
    if spec["set_by"] == "rule":
        period = figure(spec["period"])
        months = int(period.value)
    elif enterprise_period_months:
        months = enterprise_period_months
    else:
        return DrillStatus("not_set", None, spec["cite"])
    if last_drill is None:
        return DrillStatus("overdue", None, spec["cite"])
    due = add_months(last_drill, months)
    return DrillStatus("met" if today <= due else "overdue", due, spec["cite"])
