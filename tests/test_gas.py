"""Gas readings: explicit unit conversion and pass/fail computed from the limit table."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from permit import gas
from permit.workflow import get

WF = get("confined_space", "draft-2023.1")


def judge(g, value, unit):
    reading = {"gas": g, "value": value, "unit": unit}
    assert gas.problems(reading, WF) == []
    return gas.judge(reading, WF)


def test_ppm_converts_to_mg_per_m3_with_the_stated_molar_volume():
    # H2S M = 34.08 g/mol, Vm = 22.4 L/mol: 10 ppm = 15.21 mg/m³
    assert gas.convert(10, "ppm", "mg/m3", "h2s", WF) == pytest.approx(15.214, rel=1e-3)
    assert gas.convert(15.214, "mg/m3", "ppm", "h2s", WF) == pytest.approx(10, rel=1e-3)
    assert gas.convert(1, "%vol", "ppm", "co2", WF) == 10_000


@pytest.mark.parametrize(
    "value, unit, passed",
    [
        (10, "mg/m3", True),
        (10.01, "mg/m3", False),  # H2S MAC 10 mg/m³, inclusive
        (6.5, "ppm", True),
        (7.0, "ppm", False),  # 7 ppm = 10.65 mg/m³
    ],
)
def test_hydrogen_sulphide_limit(value, unit, passed):
    assert judge("h2s", value, unit).passed is passed


@pytest.mark.parametrize(
    "value, passed", [(19.4, False), (19.5, True), (23.5, True), (23.6, False)]
)
def test_oxygen_must_be_between_19_5_and_23_5_percent(value, passed):
    assert judge("o2", value, "%vol").passed is passed


@pytest.mark.parametrize("value, passed", [(9.9, True), (10, False)])
def test_flammable_gas_must_stay_below_10_percent_lel(value, passed):
    assert judge("lel", value, "%LEL").passed is passed


def test_carbon_monoxide_limit_in_both_units():
    assert judge("co", 30, "mg/m3").passed
    assert not judge("co", 30.5, "mg/m3").passed
    assert judge("co", 23.9, "ppm").passed  # 23.9 × 28.01 / 22.4 = 29.89 mg/m³
    assert not judge("co", 24, "ppm").passed  # 30.01 mg/m³


@pytest.mark.parametrize(
    "reading",
    [
        {"gas": "o2", "value": 120, "unit": "%vol"},
        {"gas": "o2", "value": -0.1, "unit": "%vol"},
        {"gas": "h2s", "value": float("nan"), "unit": "mg/m3"},
        {"gas": "h2s", "value": float("inf"), "unit": "ppm"},
        {"gas": "h2s", "value": 1, "unit": "%LEL"},
        {"gas": "radon", "value": 1, "unit": "ppm"},
        {"gas": "co", "value": "lots", "unit": "ppm"},
        {"gas": "co", "value": True, "unit": "ppm"},
    ],
)
def test_implausible_readings_are_not_measurements(reading):
    assert gas.problems(reading, WF)


def test_oxygen_is_always_tested_plus_every_hazard_gas():
    assert gas.gases_to_test(["h2s", "drowning"], WF) == ["o2", "h2s"]
    assert gas.gases_to_test(["flammable", "co", "o2_deficiency"], WF) == ["o2", "lel", "co"]


def test_limits_print_as_the_acceptable_entry_conditions():
    assert gas.limit_text("o2", WF) == "19.5–23.5 %vol"
    assert gas.limit_text("lel", WF) == "< 10 %LEL"
    assert gas.limit_text("h2s", WF) == "≤ 10 mg/m3"


# -- the common case's fast path agrees with the full checks -----------------------------------

_UNITS = sorted({*gas.UNIT_ALIASES, *gas.UNIT_ALIASES.values(), "ppb", " mg/m3", "PPM"})


@pytest.mark.parametrize("version", ["draft-2023.1", "order13-2024.1"])
@settings(max_examples=400, deadline=None)
@given(
    g=st.sampled_from(["o2", "lel", "h2s", "co", "co2", "radon"]),
    unit=st.sampled_from(_UNITS),
    value=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(-10, 2_000_000),
        st.booleans(),
        st.sampled_from(["12.5", "lots", None]),
    ),
    point=st.sampled_from([None, "", "upper", "middle", "lower", "roof"]),
)
def test_judge_plain_agrees_with_problems_and_judge_wherever_it_answers(
    version, g, unit, value, point
):
    wf = get("confined_space", version)
    reading = {"gas": g, "unit": unit, "value": value, "point": point}
    fast = gas.judge_plain(reading, wf)
    if gas.problems(reading, wf):
        assert fast is None  # a reading with a problem is never judged
    elif fast is not None:
        assert fast == gas.judge(reading, wf)
    elif type(value) in (int, float):
        # the common case (a number in a listed spelling of a unit) is always covered
        assert unit.strip().lower() != unit and unit not in gas.UNIT_ALIASES.values()
