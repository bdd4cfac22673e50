"""Whether a piece of equipment may be assigned to work on a given day (art. 10)."""

from __future__ import annotations

from datetime import date

from .models import Equipment


def unusable_reason(item: Equipment, on: date) -> dict[str, str] | None:
    if item.status != "in_service":
        return {"zh": "不在用", "en": "out of service"}
    if item.due_on is None:
        return {"zh": "无检定/校准记录", "en": "no calibration record"}
    if item.due_on < on:
        return {
            "zh": f"自{item.due_on}起超过检定/校准有效期",
            "en": f"calibration overdue since {item.due_on}",
        }
    return None
