"""The regulator's board: each figure on a small tree (a city, two districts, a street), the
enforcement plan of art. 16, the scope of each node, and a fixed number of statements."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from permit import inspections, oversight, packs, registers
from permit.errors import NotFound
from permit.models import Campaign, Finding, Space
from permit.workflow import WorkflowError

from .factories import VisitWorld


class OversightWorld(VisitWorld):
    """VisitWorld's tree (滨江区 with 长河街道, 萧山区) with enterprises of every kind:

    滨江区 / 长河街道  BJ1 light    H2S sewage pool (listed), CO2 fermentation tank (listed), a
                                  trench with no poisoning hazard
    滨江区 / 长河街道  BJ4 catering (not an industry the rules name)
    滨江区 / 长河街道  BJ5 textile  a CO flue of no listed class
    滨江区            BJ2 machinery an oil tank (listed, no poisoning hazard); a retired CO pipe
    滨江区            BJ3 市政      (an excluded sector) an H2S well
    萧山区            XS1 light    an H2S sewage pool
    """

    def build(self) -> OversightWorld:
        super().build()
        self.city_regulator = self.overseer("钱处长", "regulator", self.city, "regulator-city")
        self.bj2 = self.enterprise("BJ2", self.district, industry="machinery")
        self.bj3 = self.enterprise("BJ3", self.district, industry="市政")
        self.bj4 = self.enterprise("BJ4", self.street, industry="catering")
        self.bj5 = self.enterprise("BJ5", self.street, industry="textile")
        self.space(self.ent, "BJ1-01", "sewage_pool", ["h2s", "o2_deficiency"])
        self.space(self.ent, "BJ1-02", "fermentation_tank", ["co2"])
        self.space(self.ent, "BJ1-03", None, ["o2_deficiency"])
        self.space(self.bj2, "BJ2-01", "oil_tank", ["flammable"])
        old = self.space(self.bj2, "BJ2-02", None, ["co"])
        registers.retire_space(self.session, old, clock=self.clock, reason="拆除")
        self.space(self.bj3, "BJ3-01", None, ["h2s"])
        self.space(self.bj5, "BJ5-01", None, ["co"])
        self.space(self.other_ent, "XS1-01", "sewage_pool", ["h2s"])
        return self

    def visit(self, ent=None):
        """A visit planned by 滨江区's regulator with its two experts."""
        return inspections.plan(
            self.session,
            enterprise=ent or self.ent,
            planned_on=self.clock.now().date() + timedelta(days=3),
            lead=self.regulator,
            experts=[self.expert, self.expert2],
            clock=self.clock,
        )

    def space(self, ent, code: str, cls: str | None, hazards: list[str]) -> Space:
        return registers.add_space(
            self.session,
            ent,
            code=code,
            name=f"{code} 有限空间",
            catalogue_class=cls,
            hazards=hazards,
            clock=self.clock,
        )

    def campaign(self, name: str, node=None) -> Campaign:
        today = self.clock.now().date()
        found = Campaign(
            jurisdiction_id=(node or self.district).id,
            name=name,
            starts_on=date(today.year, 3, 1),
            ends_on=date(today.year, 12, 31),
            created_by_id=self.regulator.id,
            created_at=self.clock.now(),
        )
        self.session.add(found)
        self.session.flush()
        return found

    def visits(self) -> None:
        """Campaign A: a visit to BJ1 at the follow-up with three problems (one judged fixed,
        one not fixed, one not judged yet) and one to BJ5 notified; outside any campaign, a
        visit to BJ1 planned; one in 萧山区 which 滨江区 never counts; campaign B: none."""
        self.campaign_a = self.campaign("第一批专家指导服务")
        self.campaign_b = self.campaign("回头看专项")
        first = self.visit()
        first.campaign_id = self.campaign_a.id
        self.drive(first, "consultation")
        self.judge_all(first, problem_at=(5, 6, 7))
        self.fire(first, "end_consultation")
        self.fire(first, "accept")
        for point in (5, 6, 7):
            inspections.answer(
                self.session, first, point, "已整改", actor=self.principal, clock=self.clock
            )
        self.fire(first, "follow_up")
        assert first.state == "follow_up"
        # 回头看: the team's verdicts, as the follow-up records them.
        by_point = {f.checkpoint: f for f in inspections.findings_of(self.session, first)}
        by_point[5].followup = "fixed"
        by_point[6].followup = "not_fixed"
        second = self.visit(self.bj5)
        second.campaign_id = self.campaign_a.id
        self.drive(second, "notified")
        self.visit()
        self.plan(ent=self.other_ent, experts=[self.other_expert])
        self.first = first
        self.session.flush()


@pytest.fixture
def ow(session, clock) -> OversightWorld:
    w = OversightWorld(session, clock).build()
    w.visits()
    session.commit()
    return w


def board(ow, user=None, code=None, days: int = 0):
    return oversight.board(
        ow.session, user or ow.regulator, ow.clock.now() + timedelta(days=days), code
    )


def by_code(found) -> dict:
    return {e.code: e for e in found.enterprises}


def test_the_district_board_counts_the_enterprises_under_the_rules_by_industry(ow):
    found = board(ow)
    assert found.node.code == "HZ-BJ"
    assert sorted(by_code(found)) == ["BJ1", "BJ2", "BJ5"]
    assert [(k, n) for k, _, n in found.by_industry] == [
        ("machinery", 1),
        ("light", 1),
        ("textile", 1),
    ]


def test_enterprises_outside_the_rules_are_counted_apart_with_the_article_that_says_why(ow):
    groups = {tuple(e.code for e in g.enterprises): g.reason for g in board(ow).out_of_scope}
    assert set(groups) == {("BJ3",), ("BJ4",)}
    assert "排除的领域" in groups[("BJ3",)].message("zh")
    assert "不在适用行业之列" in groups[("BJ4",)].message("zh")
    assert all(r.cite.startswith("003 第二条") for r in groups.values())


def test_key_supervision_spaces_are_counted_per_enterprise_and_per_category(ow):
    found = board(ow)
    lines = by_code(found)
    # BJ1: two listed classes of three; BJ2: its oil tank (the retired CO pipe is gone);
    # BJ5: a CO flue of no listed class (the appendix's note).
    assert (lines["BJ1"].key_spaces, lines["BJ1"].spaces) == (2, 3)
    assert (lines["BJ2"].key_spaces, lines["BJ2"].spaces) == (1, 1)
    assert (lines["BJ5"].key_spaces, lines["BJ5"].spaces) == (1, 1)
    assert [(c.key, c.count) for c in found.categories] == [
        ("machinery:槽罐", 1),
        ("light:槽罐", 1),
        ("light:公辅设备设施", 1),
        ("hazard", 1),
    ]
    assert found.key_spaces == 4  # BJ3's H2S well is outside the rules: not counted
    assert found.categories[-1].cite.startswith("003 附录注")


def test_visits_are_counted_by_campaign_and_state_for_this_year(ow):
    found = board(ow)
    campaigns = {c.name: c for c in found.campaigns}
    a, b, none = campaigns["第一批专家指导服务"], campaigns["回头看专项"], campaigns[None]
    assert dict(a.by_state) == {"follow_up": 1, "notified": 1}
    assert (a.total, a.done) == (2, 1)
    assert (b.total, b.done) == (0, 0)  # a campaign with nothing planned yet still shows
    assert dict(none.by_state) == {"planned": 1}
    assert (found.visits, found.visits_done) == (3, 1)  # 萧山区's visit is not ours
    assert found.campaigns[-1].campaign_id is None
    assert by_code(found)["BJ1"].visits == {"follow_up": 1, "planned": 1}


def test_next_year_the_visits_start_again_but_the_open_problems_stay(ow):
    next_year = (date(ow.clock.now().year + 1, 1, 5) - ow.clock.now().date()).days
    found = board(ow, days=next_year)
    assert found.visits == 0 and found.year == ow.clock.now().year + 1
    assert found.total("open_problems") == 2


def test_open_overdue_and_flagged_problems(ow):
    # Before the deadline: two open (one judged not fixed, one not judged), none overdue.
    lines = by_code(board(ow))
    assert (lines["BJ1"].open_problems, lines["BJ1"].overdue, lines["BJ1"].flagged) == (2, 0, 1)
    deadline = min(f.deadline for f in ow.session.scalars(select(Finding)) if f.deadline)
    after = (deadline - ow.clock.now().date()).days + 1
    found = board(ow, days=after)
    assert (found.total("open_problems"), found.total("overdue"), found.total("flagged")) == (
        2,
        2,
        1,
    )
    on_the_day = board(ow, days=after - 1)
    assert on_the_day.total("overdue") == 0  # the deadline day itself is not overdue


def test_the_enforcement_plan_picks_exactly_the_enterprises_with_h2s_or_co_spaces(ow):
    found = board(ow)
    plan = {t.enterprise.code: t for t in found.plan}
    # Not BJ2 (its CO pipe is retired), not BJ3 (outside the rules), not XS1 (萧山区).
    assert set(plan) == {"BJ1", "BJ5"}
    assert [h["zh"] for h in plan["BJ1"].hazards] == ["硫化氢中毒"]
    assert [h["zh"] for h in plan["BJ5"].hazards] == ["一氧化碳中毒"]
    assert plan["BJ1"].cite.startswith("003 第十六条")
    # The items art. 16 stresses; with a catalogue-listed space also signs and isolation.
    assert [s.key for s in plan["BJ5"].stress] == ["attendants", "approval", "equipment"]
    assert [s.key for s in plan["BJ1"].stress] == [
        "attendants",
        "approval",
        "equipment",
        "signs",
        "isolation",
    ]
    assert all(s.cite.startswith("003 第十六条") for s in plan["BJ1"].stress)
    city = {t.enterprise.code for t in board(ow, user=ow.city_regulator).plan}
    assert city == {"BJ1", "BJ5", "XS1"}


def test_under_order_13_a_carbon_dioxide_space_makes_a_target_too(ow):
    brewery = ow.enterprise("BJ6", ow.district, industry="light", pack="order13-2024")
    ow.space(brewery, "BJ6-01", None, ["co2"])
    ow.session.commit()
    plan = {t.enterprise.code: t for t in board(ow).plan}
    assert set(plan) == {"BJ1", "BJ5", "BJ6"}  # BJ1's CO2 tank under the draft: not a reason
    assert [h["zh"] for h in plan["BJ6"].hazards] == ["二氧化碳窒息"]
    assert plan["BJ6"].cite.startswith("令13")
    assert "signs" not in {s.key for s in plan["BJ6"].stress}


def test_a_node_shows_its_subtree_and_links_to_its_children(ow):
    district = board(ow)
    assert [(c.node.code, c.enterprises, c.in_scope, c.targets) for c in district.children] == [
        ("HZ-BJ-CH", 3, 2, 2)
    ]
    street = board(ow, code="HZ-BJ-CH")
    assert sorted(by_code(street)) == ["BJ1", "BJ5"]
    assert [n.code for n in street.path] == ["HZ-BJ", "HZ-BJ-CH"]
    assert street.visits == 3  # the street's visits: BJ1's two and BJ5's one
    assert {t.enterprise.code for t in street.plan} == {"BJ1", "BJ5"}


def test_nobody_sees_a_node_outside_their_own(ow):
    for user, code in (
        (ow.regulator, "HZ-XS"),
        (ow.regulator, "HZ"),  # the city above them
        (ow.expert, "HZ-XS"),
        (ow.other_regulator, "HZ-BJ"),
        (ow.other_regulator, "HZ-BJ-CH"),
        (ow.regulator, "NOPE"),
        (ow.principal, None),
        (ow.principal, "HZ-BJ"),
    ):
        with pytest.raises(NotFound):
            board(ow, user=user, code=code)
    theirs = board(ow, user=ow.other_regulator)
    assert sorted(by_code(theirs)) == ["XS1"]
    assert {t.enterprise.code for t in theirs.plan} == {"XS1"}


def test_an_expert_sees_the_same_board_as_the_regulator(ow):
    ours, theirs = board(ow), board(ow, user=ow.expert)
    assert by_code(ours).keys() == by_code(theirs).keys()
    assert [t.enterprise.code for t in ours.plan] == [t.enterprise.code for t in theirs.plan]


def _statements(ow) -> int:
    engine = ow.session.get_bind()
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        ow.session.expire_all()
        board(ow, code="HZ-BJ")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_the_board_costs_the_same_number_of_statements_whatever_the_size(ow):
    small = _statements(ow)
    campaign = ow.campaign("更多")
    for n in range(12):
        node = ow.street if n % 2 else ow.district
        ent = ow.enterprise(f"M{n:02d}", node, industry=("light", "textile", "市政")[n % 3])
        for k in range(4):
            ow.space(
                ent, f"M{n:02d}-{k}", "sewage_pool" if k % 2 else None, [["h2s"], ["co"], []][k % 3]
            )
        if n % 3 != 2:
            visit = ow.visit(ent)
            visit.campaign_id = campaign.id if n % 2 else None
    ow.session.commit()
    assert len(board(ow).enterprises) > 10
    assert _statements(ow) == small


@pytest.mark.parametrize("pack", sorted(packs.packs()))
def test_each_packs_enforcement_plan_names_its_hazards_and_form_items_with_citations(pack):
    found = packs.packs()[pack]
    spec = found.section("enforcement_plan")
    source = "003" if pack == "draft-2023" else "令13"
    hazards = found.workflows["confined_space"].section("hazards")
    assert {"h2s", "co"} <= set(spec["hazards"]) <= set(hazards)
    numbers = {c.number for c in inspections.checkpoints()}
    for item in [*spec["stress"], *spec.get("stress_listed", [])]:
        assert set(item["checkpoints"]) <= numbers, item["key"]
    for cite in (spec["cite"], spec["stress_cite"]):
        assert cite.startswith(source)
    assert {i["key"] for i in spec["stress"]} == {"attendants", "approval", "equipment"}


def _load_changed(tmp_path, old: str, new: str):
    source = packs.packs()["draft-2023"].path.read_text(encoding="utf-8")
    assert old in source
    folder = tmp_path / "draft-2023"
    folder.mkdir()
    (folder / "pack.toml").write_text(source.replace(old, new), encoding="utf-8")
    return packs.load(folder)


def test_an_enforcement_plan_without_its_citation_is_refused(tmp_path):
    with pytest.raises(WorkflowError, match="enforcement_plan"):
        _load_changed(tmp_path, 'cite = "003 第十六条：负责', 'zh = "003 第十六条：负责')


def test_an_enforcement_plan_item_without_its_form_items_is_refused(tmp_path):
    with pytest.raises(WorkflowError, match="checkpoints"):
        _load_changed(tmp_path, ", checkpoints = [10, 11] }", " }")


def test_an_enforcement_plan_naming_an_unknown_hazard_is_refused():
    found = packs.packs()["draft-2023"]
    broken = packs.Pack(
        found.id,
        found.path,
        {**found.raw, "enforcement_plan": {**found.section("enforcement_plan"), "hazards": ["h2"]}},
        found.workflows,
    )
    with pytest.raises(WorkflowError, match="h2"):
        packs._check_plan_hazards(broken)
