"""Gaps in the monitoring record during work: longer than the pack's recording interval."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .workflow import Workflow


@dataclass(frozen=True)
class Gap:
    start: datetime
    end: datetime

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60


def gaps(times: Iterable[datetime], workflow: Workflow) -> list[Gap]:
    """Silences between consecutive readings longer than the interval the pack sets."""
    limit = timedelta(seconds=workflow.figure("gas_tests", "monitoring_interval").seconds())
    ordered = sorted(times)
    return [Gap(a, b) for a, b in zip(ordered, ordered[1:], strict=False) if b - a > limit]
