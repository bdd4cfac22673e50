"""Key supervision (重点监管) is derived from the catalogue and the hazards, never typed."""

from __future__ import annotations

from permit.catalogue import catalogue, is_key_supervision, key_supervision_reasons
from permit.models import Space
from permit.workflow import get

WF = get("confined_space", "draft-2023.1")


def space(industry="light", cls=None, hazards=()):
    return Space(industry=industry, catalogue_class=cls, hazards=list(hazards))


def test_the_catalogue_holds_all_nine_industries_of_the_appendix():
    cat = catalogue()
    assert len(cat.industries) == 9
    assert cat.industries["chemical"]["zh"] == "危险化学品生产、化工及医药行业"
    assert {c.key for c in cat.classes_of("commerce")} == {"grease_trap", "sewage_pool"}


def test_a_listed_class_is_key_supervision():
    assert is_key_supervision(space("metallurgy", "gas_pipeline"), WF)
    assert "有人孔管道" in key_supervision_reasons(space("metallurgy", "gas_pipeline"), WF)[0]


def test_a_class_listed_for_another_industry_is_not():
    assert not is_key_supervision(space("metallurgy", "grease_trap"), WF)


def test_h2s_or_co_poisoning_risk_makes_any_space_key_supervision():
    assert is_key_supervision(space("metallurgy", None, ["h2s"]), WF)
    assert is_key_supervision(space("textile", None, ["co"]), WF)
    assert not is_key_supervision(space("textile", None, ["o2_deficiency", "drowning"]), WF)
