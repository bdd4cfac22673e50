"""A small tree (a city, two districts, their streets), a campaign in one district and visits
with problems over two months: the data the monthly brief and the summary report are read on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from permit import campaigns, engine, inspections, jurisdictions, registers
from permit.clock import FixedClock
from permit.models import Finding

from .factories import PASSWORD, placed_enterprise, placed_overseer


def at(day: str, hour: int = 9) -> datetime:
    """A local (Asia/Shanghai) time of a day, as the aware UTC moment the columns hold."""
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00").astimezone(UTC)


class CampaignWorld:
    def __init__(self, session: Session, clock: FixedClock) -> None:
        self.session = session
        self.clock = clock

    def user(self, username: str, name: str, role: str, node) -> Any:
        return placed_overseer(self.session, self.clock, node, name, role, username)

    def enterprise(self, code: str, name: str, node, industry: str = "light") -> Any:
        return placed_enterprise(self.session, self.clock, node, code, name, industry, "draft-2023")

    def build(self) -> CampaignWorld:
        s, c = self.session, self.clock
        c.set(at("2026-09-20"))
        add = jurisdictions.add
        self.city = add(s, code="HZ", name="杭州市", level="city", clock=c)
        self.binjiang = add(
            s, code="HZ-BJ", name="滨江区", level="district", parent=self.city, clock=c
        )
        self.changhe = add(
            s, code="HZ-BJ-CH", name="长河街道", level="street", parent=self.binjiang, clock=c
        )
        self.xixing = add(
            s, code="HZ-BJ-XX", name="西兴街道", level="street", parent=self.binjiang, clock=c
        )
        self.xiaoshan = add(
            s, code="HZ-XS", name="萧山区", level="district", parent=self.city, clock=c
        )
        self.chengxiang = add(
            s, code="HZ-XS-CX", name="城厢街道", level="street", parent=self.xiaoshan, clock=c
        )
        self.jia = self.enterprise("E1", "甲公司", self.changhe)
        self.yi = self.enterprise("E2", "乙公司", self.changhe)
        self.bing = self.enterprise("E3", "丙公司", self.xixing)
        self.ding = self.enterprise("E4", "丁公司", self.xixing, industry="市政")  # out of scope
        self.ji = self.enterprise("E6", "己公司", self.xixing)  # in scope, never served
        self.wu = self.enterprise("E5", "戊公司", self.chengxiang)
        self.principal = registers.add_user(
            s,
            enterprise=self.jia,
            name="甲主任",
            roles=["principal"],
            username="principal",
            password=PASSWORD,
            clock=c,
        )
        self.regulator = self.user("regulator", "黄执法", "regulator", self.binjiang)
        self.liu = self.user("expert", "刘专家", "expert", self.binjiang)
        self.chen = self.user("expert2", "陈专家", "expert", self.binjiang)
        self.zhou = self.user("expert3", "周专家", "expert", self.binjiang)
        self.street_regulator = self.user("regulator-ch", "长河执法", "regulator", self.changhe)
        self.city_regulator = self.user("regulator-city", "市执法", "regulator", self.city)
        self.xs_regulator = self.user("regulator-xs", "萧执法", "regulator", self.xiaoshan)
        self.xs_expert = self.user("expert-xs", "萧专家", "expert", self.xiaoshan)
        self.xs_expert2 = self.user("expert-xs2", "萧专家二", "expert", self.xiaoshan)
        self.campaign = campaigns.create(
            s,
            node=self.binjiang,
            name="滨江区秋季专项行动",
            starts_on=date(2026, 10, 1),
            ends_on=date(2026, 12, 31),
            actor=self.regulator,
            clock=c,
        )
        return self

    def visit(self, ent, day: str, team, problems: tuple[int, ...], *, lead=None, campaign=True):
        """A visit planned and run through the engine up to the end of its consultation on
        the day given, with problems at the checkpoints given."""
        lead = lead or self.regulator
        self.clock.set(at(day, 8))
        visit = inspections.plan(
            self.session,
            enterprise=ent,
            planned_on=date.fromisoformat(day),
            lead=lead,
            experts=list(team),
            clock=self.clock,
            campaign=self.campaign if campaign else None,
        )
        wf = inspections.workflow()
        expert = team[0]
        steps = [
            ("confirm_equipment", expert, {"confirmed": _keys(wf, "team_equipment")}),
            ("notify", lead, {"documents": [i["key"] for i in wf.section("documents")["items"]]}),
            (
                "kickoff",
                expert,
                {"attendees": {r["key"]: [r["zh"]] for r in wf.section("attendees")["roles"]}},
            ),
            ("start_consultation", expert, {}),
        ]
        for event, actor, data in steps:
            engine.apply(self.session, visit, event, actor, data, clock=self.clock)
        deadline = (date.fromisoformat(day) + timedelta(days=20)).isoformat()
        for point in inspections.checkpoints():
            n = point.number
            values = [("result", "meets")]
            if n in problems:
                values = [
                    ("result", "problem"),
                    ("description", f"第{n}项问题"),
                    ("suggestion", "立即整改"),
                    ("deadline", deadline),
                ]
            for field, value in values:
                inspections.save_field(
                    self.session, visit, n, field, value, actor=expert, clock=self.clock
                )
        self.clock.advance(hours=5)
        engine.apply(self.session, visit, "end_consultation", expert, {}, clock=self.clock)
        self.session.flush()
        return visit

    def settle(self, visit, checkpoint: int, *, answered: str | None = None, verdict=None):
        """What the enterprise's answer and the follow-up would record (another screen's work):
        set on the columns directly."""
        row = self.session.scalars(
            select(Finding).where(
                Finding.inspection_id == visit.id, Finding.checkpoint == checkpoint
            )
        ).one()
        if answered:
            row.answer = "已整改"
            row.answered_at = at(answered, 10)
        if verdict:
            followup, on = verdict
            row.followup = followup
            row.followed_up_at = at(on, 15)
        self.session.flush()

    def two_months(self) -> CampaignWorld:
        """October: two visits in the district's two streets; November: one more there and
        one in the other district; one visit still to come in December."""
        team_a = (self.liu, self.chen)
        team_b = (self.chen, self.zhou)
        self.v1 = self.visit(self.jia, "2026-10-10", team_a, (5, 9, 15))
        self.v2 = self.visit(self.bing, "2026-10-12", team_b, (5, 20))
        self.v3 = self.visit(self.yi, "2026-11-05", team_a, (5,))
        self.v4 = self.visit(
            self.wu,
            "2026-11-06",
            (self.xs_expert, self.xs_expert2),
            (7,),
            lead=self.xs_regulator,
            campaign=False,
        )
        self.clock.set(at("2026-11-20"))
        self.v5 = inspections.plan(
            self.session,
            enterprise=self.jia,
            planned_on=date(2026, 12, 1),
            lead=self.regulator,
            experts=[self.liu, self.chen],
            clock=self.clock,
            campaign=self.campaign,
        )
        self.settle(self.v1, 5, answered="2026-10-20", verdict=("fixed", "2026-11-08"))
        self.settle(self.v1, 9, answered="2026-11-02", verdict=("not_fixed", "2026-11-08"))
        self.settle(self.v2, 5, answered="2026-11-03", verdict=("fixed", "2026-11-10"))
        self.settle(self.v2, 20, verdict=("not_fixed", "2026-11-10"))
        self.clock.set(at("2026-11-23"))
        return self


def _keys(wf, checklist: str) -> list[str]:
    return [i["key"] for i in wf.section("checklists")[checklist]["items"]]
