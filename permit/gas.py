"""Gas readings judged against the workflow's limits, with explicit unit conversion.

mg/m³ = ppm × M / Vm, with M the molar mass (g/mol) and Vm the molar volume the workflow
states (24.45 L/mol at 25 °C and 101.325 kPa); 1 %vol = 10,000 ppm.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from .workflow import Figure, Workflow, figure

UNIT_ALIASES = {
    "%vol": "%vol",
    "% vol": "%vol",
    "vol%": "%vol",
    "%": "%vol",
    "%v/v": "%vol",
    "%lel": "%LEL",
    "% lel": "%LEL",
    "lel%": "%LEL",
    "mg/m3": "mg/m3",
    "mg/m³": "mg/m3",
    "mg/m^3": "mg/m3",
    "ppm": "ppm",
}


def normalise_unit(unit: str) -> str | None:
    return UNIT_ALIASES.get(str(unit).strip().lower())


class Judged(NamedTuple):
    """A reading judged by the limits (a tuple: monitoring judges them by the hundred)."""

    gas: str
    point: str
    value: float
    unit: str
    value_in_limit_unit: float
    limit_unit: str
    passed: bool


@dataclass(frozen=True)
class _Limits:
    """One gas's limits as figures, derived once per workflow: readings arrive by the hundred."""

    limit_unit: str
    low: Figure | None
    high: Figure | None
    molar_mass: float | None


def _limits(workflow: Workflow) -> dict[str, _Limits]:
    table = workflow.derived.get("gas_limits")
    if table is None:
        table = {}
        for name, spec in workflow.section("gases").items():
            low, high = spec.get("min"), spec.get("max")
            table[name] = _Limits(
                (high or low)["unit"],
                figure(low) if low else None,
                figure(high) if high else None,
                spec.get("molar_mass"),
            )
        workflow.derived["gas_limits"] = table
    return table


def _molar_volume(workflow: Workflow) -> float:
    if "molar_volume" not in workflow.derived:
        raw = workflow.section("conversion")["molar_volume"]
        workflow.derived["molar_volume"] = figure(raw).value
    return workflow.derived["molar_volume"]


def convert(value: float, unit: str, to: str, gas: str, workflow: Workflow) -> float:
    """Convert a concentration of one gas between %vol, ppm and mg/m³ (%LEL converts to itself)."""
    if unit == to:
        return value
    if "%LEL" in (unit, to):
        raise ValueError(f"cannot convert {unit} to {to}")
    molar_mass = _limits(workflow)[gas].molar_mass
    molar_volume = _molar_volume(workflow)
    ppm = {"ppm": value, "%vol": value * 10_000}.get(unit)
    if ppm is None:  # mg/m3
        if molar_mass is None:
            raise ValueError(f"no molar mass for {gas}")
        ppm = value * molar_volume / molar_mass
    if to == "ppm":
        return ppm
    if to == "%vol":
        return ppm / 10_000
    if molar_mass is None:
        raise ValueError(f"no molar mass for {gas}")
    return ppm * molar_mass / molar_volume


def problems(reading: Mapping[str, Any], workflow: Workflow) -> list[dict[str, Any]]:
    """Why a reading is not a measurement at all: unknown gas or unit, NaN, out of range."""
    gases = workflow.section("gases")
    gas = reading.get("gas")
    if not isinstance(gas, str) or gas not in gases:  # a list or an object names no gas
        return [{"problem": {"zh": f"未知气体 {gas!r}", "en": f"unknown gas {gas!r}"}}]
    unit = normalise_unit(reading.get("unit", ""))
    if unit is None or unit not in gases[gas]["units"]:
        allowed = ", ".join(gases[gas]["units"])
        return [
            {
                "problem": {
                    "zh": f"{gases[gas]['zh']}的单位 {reading.get('unit')!r} 无效"
                    f"（可用：{allowed}）",
                    "en": f"unit {reading.get('unit')!r} is not valid for {gas} ({allowed})",
                }
            }
        ]
    value = reading.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            value = float(str(value).strip())
        except ValueError:
            return [
                {
                    "problem": {
                        "zh": f"{gases[gas]['zh']}的读数 {reading.get('value')!r} 不是数字",
                        "en": f"{gas} reading {reading.get('value')!r} is not a number",
                    }
                }
            ]
    bounds = workflow.section("plausible")[unit]
    if not math.isfinite(value) or not bounds["min"] <= value <= bounds["max"]:
        return [
            {
                "problem": {
                    "zh": f"{gases[gas]['zh']}读数 {value} {unit} 超出物理范围"
                    f"（{bounds['min']}～{bounds['max']}）",
                    "en": f"{gas} reading {value} {unit} is outside the physical range "
                    f"{bounds['min']}–{bounds['max']}",
                }
            }
        ]
    points = workflow.section("gas_tests").get("deep_points", [])
    point = reading.get("point") or ""
    if point and point not in points:
        return [
            {
                "problem": {
                    "zh": f"未知检测部位 {point!r}",
                    "en": f"unknown sampling point {point!r}",
                }
            }
        ]
    return []


def judge(reading: Mapping[str, Any], workflow: Workflow) -> Judged:
    """Pass or fail one plausible reading by the limit table. Call problems() first."""
    gas = reading["gas"]
    limits = _limits(workflow)[gas]
    unit = normalise_unit(reading["unit"])
    assert unit is not None
    value = float(reading["value"])
    converted = convert(value, unit, limits.limit_unit, gas, workflow)
    point = reading.get("point") or ""
    return Judged(gas, point, value, unit, converted, limits.limit_unit, _passes(converted, limits))


def _passes(converted: float, limits: _Limits) -> bool:
    """Within the gas's limits, each bound strict or inclusive as the pack says."""
    passed = True
    if (low := limits.low) is not None:
        passed &= converted > low.value if low.strict else converted >= low.value
    if (high := limits.high) is not None:
        passed &= converted < high.value if high.strict else converted <= high.value
    return passed


class _Scale(NamedTuple):
    """What judging one gas sent in one spelling of a unit needs, derived once per workflow."""

    unit: str
    low: float
    high: float
    points: frozenset[str]
    limits: _Limits


def _scales(workflow: Workflow) -> dict[tuple[str, str], _Scale]:
    table = workflow.derived.get("gas_scales")
    if table is None:
        table = {}
        points = frozenset(workflow.section("gas_tests").get("deep_points", []))
        plausible = workflow.section("plausible")
        limits = _limits(workflow)
        for name, spec in workflow.section("gases").items():
            spellings = {u: u for u in spec["units"]}
            spellings |= {k: v for k, v in UNIT_ALIASES.items() if v in spec["units"]}
            for spelling, unit in spellings.items():
                bounds = plausible[unit]
                table[(name, spelling)] = _Scale(
                    unit, bounds["min"], bounds["max"], points, limits[name]
                )
        workflow.derived["gas_scales"] = table
    return table


def judge_plain(reading: Mapping[str, Any], workflow: Workflow) -> Judged | None:
    """The judgement of a reading in the common case, in a few lookups: a known gas in one of
    its units, a number (not a string, not a bool) within the physical range, no sampling
    point or a known one. None for anything else, which problems() then explains and judge()
    judges. Where it answers it agrees with problems() and judge() (a property test checks
    it): readings arrive by the thousand from every detector at work."""
    gas, unit = reading.get("gas"), reading.get("unit")
    if type(gas) is not str or type(unit) is not str:  # a list or an object: no key
        return None
    scale = _scales(workflow).get((gas, unit))
    value = reading.get("value")
    if scale is None or type(value) not in (int, float):
        return None
    if not scale.low <= value <= scale.high:  # NaN is never within
        return None
    point = reading.get("point") or ""
    if point and point not in scale.points:
        return None
    limits = scale.limits
    value = float(value)
    if scale.unit == limits.limit_unit:  # as convert() would: the value itself
        converted = value
    else:
        converted = convert(value, scale.unit, limits.limit_unit, gas, workflow)
    passed = _passes(converted, limits)
    return Judged(gas, point, value, scale.unit, converted, limits.limit_unit, passed)


def gases_to_test(hazards: list[str], workflow: Workflow) -> list[str]:
    """Oxygen always, and every gas a listed hazard names (art. 12)."""
    wanted = list(workflow.section("gas_tests").get("always", []))
    known = workflow.section("hazards")
    for hazard in hazards:
        gas = known.get(hazard, {}).get("gas")
        if gas and gas not in wanted:
            wanted.append(gas)
    return wanted


def limit_text(gas: str, workflow: Workflow, lang: str = "zh") -> str:
    """'19.5–23.5 %vol', '≤ 10 mg/m3', '< 10 %LEL': the acceptable entry condition as printed."""
    spec = workflow.section("gases")[gas]
    low, high = spec.get("min"), spec.get("max")
    if low and high:
        return f"{low['value']:g}–{high['value']:g} {high['unit']}"
    if high:
        return f"{'<' if high.get('strict') else '≤'} {high['value']:g} {high['unit']}"
    return f"{'>' if low.get('strict') else '≥'} {low['value']:g} {low['unit']}"
