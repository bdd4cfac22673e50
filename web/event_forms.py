"""Turning an event's form into the data the engine expects (and nothing else)."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

SCALARS = ("password", "reason", "isolation", "person", "detector")
LISTS = ("acknowledged", "confirmed")


def event_data(form: MultiDict) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key in SCALARS:
        if key in form:
            data[key] = form.get(key, "").strip()
    for key in LISTS:
        if key in form:
            data[key] = [v for v in form.getlist(key) if v]
    isolation = [v for v in form.getlist("isolation_removed") if v]
    if isolation:  # the measures ticked, plus any note typed beside them
        note = data.get("isolation", "")
        data["isolation"] = "；".join(isolation + ([note] if note else []))
    readings = []
    for key in form:
        if not key.startswith("reading:"):
            continue
        _, gas, point = key.split(":", 2)
        value = form.get(key, "").strip()
        if value == "":
            continue  # an empty field is a missing reading, which the guard names
        try:
            number: Any = float(value)
        except ValueError:
            number = value  # the guard explains what is wrong with it
        readings.append(
            {
                "gas": gas,
                "point": point,
                "value": number,
                "unit": form.get(f"unit:{gas}:{point}", ""),
            }
        )
    if readings or "detector" in form:
        data["readings"] = readings
    return data
