"""Emergency readiness (art. 14): disposal plans per space or class, drills with their
evaluation, and the flags a permit request raises, on both sides of every date."""

from __future__ import annotations

from datetime import timedelta

import pytest

from permit import emergency, packs
from permit.errors import InvalidInput
from permit.qualification import add_months


@pytest.fixture
def draft():
    return packs.packs()["draft-2023"]


def plan(world, **override):
    fields = dict(
        title="硫化氢中毒现场处置方案",
        steps=["监护人立即呼叫撤离", "启动通风", "佩戴正压式空气呼吸器施救"],
        effective_on=world.today,
        clock=world.clock,
        catalogue_class=world.pit.catalogue_class,
    )
    fields.update(override)
    return emergency.add_plan(world.session, world.enterprise, **fields)


def drill(world, pack, days_ago, **override):
    fields = dict(
        pack=pack,
        held_on=world.today - timedelta(days=days_ago),
        scenario="污水池硫化氢中毒救援",
        participants=[world.attendant, world.rescuer],
        evaluation="撤离用时 2 分钟，呼吸器佩戴熟练",
        clock=world.clock,
    )
    fields.update(override)
    return emergency.record_drill(world.session, world.enterprise, **fields)


def rules(world, pack, space=None):
    return [
        r.rule
        for r in emergency.readiness(
            world.session, space or world.pit, world.enterprise, pack, world.today
        )
    ]


def test_a_space_without_a_plan_is_flagged_with_the_article(world, draft):
    drill(world, draft, 1)
    warnings = emergency.readiness(world.session, world.pit, world.enterprise, draft, world.today)
    assert [w.rule for w in warnings] == ["emergency_plan_missing"]
    assert warnings[0].text("zh").startswith("003 第十四条")
    assert "WS-01" in warnings[0].message("en")
    plan(world)
    assert rules(world, draft) == []


def test_the_spaces_own_plan_comes_before_its_class_plan_and_a_new_one_supersedes(world):
    by_class = plan(world)
    own = plan(world, title="1号池专项方案", catalogue_class=None, space=world.pit)
    assert emergency.plan_for(world.session, world.pit).id == own.id
    assert emergency.plan_for(world.session, world.tank) is None
    newer = plan(world, title="修订版")
    world.session.flush()
    assert by_class.superseded_at is not None and newer.superseded_at is None
    assert {p.id for p in emergency.active_plans(world.session, world.enterprise.id)} == {
        own.id,
        newer.id,
    }


@pytest.mark.parametrize("extra_days, flagged", [(-1, False), (0, False), (1, True)])
def test_a_drill_is_due_six_months_after_the_last(world, draft, extra_days, flagged):
    plan(world)
    six_months_ago = add_months(world.today, -6)
    drill(world, draft, (world.today - six_months_ago).days + extra_days)
    assert (rules(world, draft) == ["emergency_drill_overdue"]) is flagged


def test_no_drill_at_all_is_flagged(world, draft):
    plan(world)
    assert rules(world, draft) == ["emergency_never_drilled"]


def test_under_order_13_the_enterprise_sets_the_period(world):
    order13 = packs.packs()["order13-2024"]
    plan(world)
    drill(world, order13, 100)
    assert rules(world, order13) == ["emergency_period_not_set"]
    world.enterprise.drill_period_months = 3
    assert rules(world, order13) == ["emergency_drill_overdue"]
    world.enterprise.drill_period_months = 4
    assert rules(world, order13) == []


def test_a_drill_needs_its_evaluation_and_its_people(world, draft):
    with pytest.raises(InvalidInput) as caught:
        drill(world, draft, -1, scenario=" ", participants=[], evaluation="")
    assert [r.rule for r in caught.value.reasons] == [
        "drill_in_future",
        "drill_scenario",
        "drill_people",
        "drill_evaluation",
    ]
    assert caught.value.reasons[-1].cite.startswith("003 第十四条")


def test_a_plan_needs_one_scope_a_title_and_steps(world):
    with pytest.raises(InvalidInput) as caught:
        plan(world, space=world.pit, title="", steps=["  "])
    assert [r.rule for r in caught.value.reasons] == ["plan_scope", "plan_title", "plan_steps"]


def test_the_permit_page_flags_readiness_then_shows_the_plan_in_an_emergency(
    make_app, world, clock, draft
):
    from .test_web import signed_in

    app = make_app(WTF_CSRF_ENABLED=False, CLOCK=clock)
    permit = world.permit()
    client = signed_in(app, "requester", lang="en")
    page = client.get(f"/permits/{permit.number}").get_data(as_text=True)
    assert "Emergency readiness" in page and "has no on-site disposal plan" in page
    assert "no emergency drill on record" in page
    plan(world)
    drill(world, draft, 10)
    world.session.commit()
    page = client.get(f"/permits/{permit.number}").get_data(as_text=True)
    assert "Emergency readiness" not in page
    world.drive(permit, "working")
    world.fire(permit, "report_accident", actor=world.attendant, reason="作业人员晕倒")
    assert permit.state == "emergency"
    page = client.get(f"/permits/{permit.number}").get_data(as_text=True)
    assert "On-site disposal plan" in page and "佩戴正压式空气呼吸器施救" in page
