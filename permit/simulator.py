"""A gas detector's gateway, simulated: readings around normal air with a little noise, sent
in batches through the HTTP API with a device token, for demos and load tests. A spike sets
one gas to a value from a moment on, for a while: the permit should be suspended at once.

    permit simulate-detector DEMO-2026-0004 --rate 2/s --spike h2s=15mg/m3@30s

Each batch carries an Idempotency-Key and is sent again (same key) when the link fails, so a
retry never records twice. Standard library only: a gateway is a small box.
"""

from __future__ import annotations

import json
import random
import re
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from .clock import Clock

# Normal air, as a four-in-one detector reads it: value, unit, noise (one standard deviation).
NORMAL: dict[str, tuple[float, str, float]] = {
    "o2": (20.9, "%vol", 0.05),
    "lel": (0.0, "%LEL", 0.3),
    "h2s": (0.2, "mg/m3", 0.1),
    "co": (1.0, "mg/m3", 0.5),
    "co2": (800.0, "mg/m3", 40.0),
}
SPIKE = re.compile(
    r"^(?P<gas>[a-z0-9]+)=(?P<value>-?[0-9.]+)\s*(?P<unit>%vol|%LEL|mg/m3|ppm)"
    r"@(?P<at>[0-9.]+)s?(?:\+(?P<hold>[0-9.]+)s?)?$",
    re.IGNORECASE,
)
RATE = re.compile(r"^(?P<n>[0-9.]+)\s*(?:/s)?$")
RETRIES = 3


class SimulatorError(ValueError):
    pass


@dataclass(frozen=True)
class Spike:
    gas: str
    value: float
    unit: str
    at: float  # seconds after the start
    hold: float = 10.0  # seconds it lasts

    def active(self, t: float) -> bool:
        return self.at <= t < self.at + self.hold


def parse_rate(text: str) -> float:
    match = RATE.match(text.strip())
    if not match or float(match["n"]) <= 0:
        raise SimulatorError(f"rate {text!r}: expected readings per second, e.g. 10/s")
    return float(match["n"])


def parse_spike(text: str) -> Spike:
    """'h2s=15mg/m3@60s' (for 10 s) or 'o2=17%vol@30s+5s'."""
    match = SPIKE.match(text.strip())
    if not match:
        raise SimulatorError(
            f"spike {text!r}: expected GAS=VALUEUNIT@SECONDS[+SECONDS], e.g. h2s=15mg/m3@60s"
        )
    unit = {"%vol": "%vol", "%lel": "%LEL", "mg/m3": "mg/m3", "ppm": "ppm"}[match["unit"].lower()]
    hold = float(match["hold"]) if match["hold"] else 10.0
    return Spike(match["gas"].lower(), float(match["value"]), unit, float(match["at"]), hold)


@dataclass
class Air:
    """What the detector reads at a moment: normal air with noise, or a spike."""

    gases: list[str]
    spikes: list[Spike] = field(default_factory=list)
    rng: random.Random = field(default_factory=random.Random)

    def reading(self, gas: str, t: float) -> tuple[float, str]:
        for spike in self.spikes:
            if spike.gas == gas and spike.active(t):
                return spike.value, spike.unit
        value, unit, noise = NORMAL[gas]
        reading = value + self.rng.gauss(0, noise)
        if gas == "o2":
            reading = min(max(reading, 0.0), 100.0)
        else:
            reading = max(reading, 0.0)
        return round(reading, 2), unit


@dataclass
class Summary:
    sent: int = 0
    stored: int = 0
    batches: int = 0
    retries: int = 0
    alarms: int = 0
    state: str = ""
    suspended_after: float | None = None  # seconds from the start to the first suspension
    elapsed: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "stored": self.stored,
            "batches": self.batches,
            "retries": self.retries,
            "alarms": self.alarms,
            "state": self.state,
            "suspended_after_s": self.suspended_after,
            "elapsed_s": round(self.elapsed, 3),
            "readings_per_s": round(self.stored / self.elapsed, 1) if self.elapsed else 0.0,
        }


def post(
    url: str, token: str, body: dict[str, Any], key: str, timeout: float = 10
) -> tuple[int, Any]:
    """POST a JSON body; (status, parsed answer). Raises URLError when the link fails."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept-Language": "en",
            "Idempotency-Key": key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as refused:
        with refused:
            return refused.code, json.loads(refused.read() or b"null")


def batches(rate: float, size: int) -> tuple[int, float]:
    """Readings per batch and seconds between batches for a rate: about one batch a second at
    low rates, batches of `size` as often as needed at high ones."""
    per_batch = max(1, min(size, round(rate)))
    return per_batch, per_batch / rate


def run(
    base_url: str,
    permit: str,
    token: str,
    *,
    rate: float,
    duration: float,
    clock: Clock,
    air: Air,
    detector: str | None = None,
    point: str = "",
    size: int = 100,
    say: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> Summary:
    """Send readings for `duration` seconds at `rate` readings per second; stop early when the
    server refuses a batch (the reasons are printed)."""
    url = f"{base_url.rstrip('/')}/api/v1/permits/{quote(permit, safe='')}/readings"
    per_batch, interval = batches(rate, size)
    summary = Summary()
    start = monotonic()
    gases = _cycle(air.gases)
    next_at = start
    while (now_s := monotonic()) - start < duration:
        if now_s < next_at:
            sleep(next_at - now_s)
        t = monotonic() - start
        taken = clock.now()
        items = []
        for k in range(per_batch):
            gas = next(gases)
            value, unit = air.reading(gas, t)
            # readings of one batch are spread over its interval, oldest first
            moment = taken - timedelta(seconds=interval * (per_batch - 1 - k) / per_batch)
            item = {"taken_at": moment.isoformat(), "gas": gas, "value": value, "unit": unit}
            if detector:
                item["detector"] = detector
            if point:
                item["point"] = point
            items.append(item)
        status, answer = _send(url, token, {"readings": items}, summary, say)
        summary.sent += len(items)
        summary.batches += 1
        next_at += interval
        if status != 201:
            say(f"refused (HTTP {status}): " + "; ".join(_reasons(answer)))
            break
        summary.stored += answer["stored"]
        summary.alarms += answer["alarms"]
        if answer["state"] != summary.state:
            say(f"t={t:.1f}s permit {permit}: {answer['state']}")
        summary.state = answer["state"]
        if answer["suspended"] and summary.suspended_after is None:
            summary.suspended_after = round(t, 3)
            say(f"t={t:.1f}s ALARM: a reading outside the limits suspended {permit}")
    summary.elapsed = monotonic() - start
    return summary


def _cycle(gases: list[str]) -> Iterator[str]:
    while True:
        yield from gases


def _send(
    url: str, token: str, body: dict, summary: Summary, say: Callable[[str], None]
) -> tuple[int, Any]:
    key = str(uuid.uuid4())
    for attempt in range(RETRIES + 1):
        try:
            return post(url, token, body, key)
        except (urllib.error.URLError, TimeoutError, ConnectionError) as failed:
            if attempt == RETRIES:
                raise SimulatorError(f"cannot reach {url}: {failed}") from failed
            summary.retries += 1
            say(f"link failed ({failed}); sending the same batch again")
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def _reasons(answer: Any) -> list[str]:
    if isinstance(answer, dict):
        reasons = [r.get("message", "") for r in answer.get("reasons", [])]
        return reasons or [str(answer.get("detail") or answer.get("title") or answer)]
    return [str(answer)]
