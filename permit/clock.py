"""Injectable clocks: the engine never reads the wall clock directly."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to: for tests, demos and benchmarks."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment


@cache
def local_zone() -> ZoneInfo:
    """Where the work happens: dates on certificates and training records are local dates.
    A setting of the installation (PERMIT_TZ), read once per process."""
    return ZoneInfo(os.environ.get("PERMIT_TZ", "Asia/Shanghai"))


def local_date(moment: datetime):
    return moment.astimezone(local_zone()).date()


def local_midnight(day: date) -> datetime:
    """The moment a local day begins, in UTC: where a period of whole local days starts."""
    return datetime.combine(day, time.min, tzinfo=local_zone()).astimezone(UTC)


def local_text(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")
