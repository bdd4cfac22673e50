"""Test data: a small, valid enterprise, and permits driven to any state."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from permit import engine, registers
from permit.clock import FixedClock, local_date
from permit.models import Permit, User
from permit.qualification import competence_kinds
from permit.workflow import get as get_workflow

PASSWORD = "demo"

# The happy path, event by event, with the data each event needs.
PATH = [
    "submit",
    "approve",
    "release_isolation",
    "brief",
    "start_ventilation",
    "record_gas_test",
    "start_work",
]
STATE_AFTER = {
    "submit": "pending_approval",
    "approve": "approved",
    "release_isolation": "isolation_released",
    "brief": "briefed",
    "start_ventilation": "ventilating",
    "record_gas_test": "tested",
    "start_work": "working",
}
START_WORK_ITEMS = ["ppe", "rescue_equipment", "communication", "ventilation_running"]
FINISH_ITEMS = ["people_out", "tools_out", "entrance_closed", "isolation_restored"]


class World:
    """The seed's pack unless told otherwise: the design's behaviour is the draft's."""

    def __init__(self, session: Session, clock: FixedClock, pack: str = "draft-2023") -> None:
        self.session = session
        self.clock = clock
        self.pack = pack

    @property
    def today(self) -> date:
        return local_date(self.clock.now())

    def person(
        self,
        name: str,
        roles=(),
        *,
        trained: bool = True,
        competent: bool = False,
        username: str | None = None,
        enterprise=None,
        contractor=None,
    ) -> User:
        user = registers.add_user(
            self.session,
            enterprise=enterprise or self.enterprise,
            name=name,
            roles=roles,
            username=username,
            password=PASSWORD if username else None,
            clock=self.clock,
            contractor=contractor,
        )
        if trained:
            registers.record_training(
                self.session,
                user,
                kind="annual",
                passed=True,
                taken_on=self.today - timedelta(days=30),
                clock=self.clock,
            )
        if competent:
            for kind in competence_kinds(get_workflow("confined_space")):
                registers.record_training(
                    self.session,
                    user,
                    kind=kind,
                    passed=True,
                    taken_on=self.today - timedelta(days=30),
                    clock=self.clock,
                )
        return user

    def build(self) -> None:
        s, c = self.session, self.clock
        self.enterprise = registers.create_enterprise(
            s,
            code="QY1",
            name="示例食品有限公司",
            industry="light",
            clock=c,
            emergency_phone="0571-12345678",
            rule_pack=self.pack,
        )
        self.principal = self.person("王主任", ["principal"], username="principal")
        self.deputy = self.person("李副总", ["deputy"], username="deputy")
        self.approver = self.person("赵科长", ["approver"], username="approver")
        self.requester = self.person("钱工", ["approver"], username="requester")
        self.attendant = self.person("孙监护", ["attendant"], competent=True, username="attendant")
        self.entrant = self.person("周作业", ["entrant"], username="entrant")
        self.entrant2 = self.person("吴作业", ["entrant"])
        self.rescuer = self.person("郑救援", ["rescuer"])
        due = self.today + timedelta(days=180)
        self.detector = registers.add_equipment(
            s,
            self.enterprise,
            kind="gas_detector",
            serial="D-01",
            name="泵吸式四合一检测仪",
            gases=["o2", "lel", "h2s", "co"],
            pump_suction=True,
            due_on=due,
            clock=c,
        )
        self.fan = registers.add_equipment(
            s, self.enterprise, kind="fan", serial="F-01", name="防爆轴流风机", due_on=due, clock=c
        )
        self.scba = registers.add_equipment(
            s,
            self.enterprise,
            kind="scba",
            serial="R-01",
            name="正压式空气呼吸器",
            due_on=due,
            clock=c,
        )
        self.harness = registers.add_equipment(
            s,
            self.enterprise,
            kind="harness",
            serial="H-01",
            name="全身式安全带",
            due_on=due,
            clock=c,
        )
        self.pit = registers.add_space(
            s,
            self.enterprise,
            code="WS-01",
            name="1号污水处理池",
            clock=c,
            catalogue_class="sewage_pool",
            hazards=["h2s", "o2_deficiency"],
            control_measures=["作业前强制通风30分钟", "持续检测硫化氢浓度"],
            isolation_measures=["入口上锁", "隔离栏"],
            sign_placed_on=self.today,
            deep=True,
        )
        self.tank = registers.add_space(
            s,
            self.enterprise,
            code="TK-01",
            name="贮糖罐",
            clock=c,
            catalogue_class="sugar_tank",
            hazards=["o2_deficiency"],
            control_measures=["通风换气"],
            isolation_measures=["上锁"],
        )

    def equipment(self):
        return [self.detector, self.fan, self.scba, self.harness]

    def permit(self, **overrides: Any) -> Permit:
        """A draft permit that would pass every submit guard unless overridden."""
        now = self.clock.now()
        fields: dict[str, Any] = dict(
            space=self.pit,
            requester=self.requester,
            task_type="cleaning",
            purpose="清淤",
            window_start=now - timedelta(minutes=5),
            window_end=now + timedelta(hours=8),
            attendant=self.attendant,
            entrants=[self.entrant, self.entrant2],
            rescuers=[self.rescuer],
            equipment=self.equipment(),
        )
        fields.update(overrides)
        permit = registers.create_permit(self.session, clock=self.clock, **fields)
        self.session.commit()
        return permit

    # -- events ------------------------------------------------------------------------

    def readings(self, permit: Permit, **values: float) -> list[dict[str, Any]]:
        """Passing readings for every gas the permit needs; override with h2s=15.0 etc."""
        from permit import gas
        from permit.engine import workflow_of

        wf = workflow_of(permit)
        default = {"o2": 20.9, "lel": 0, "h2s": 0.5, "co": 1, "co2": 800}
        units = {"o2": "%vol", "lel": "%LEL", "h2s": "mg/m3", "co": "mg/m3", "co2": "mg/m3"}
        points = ["upper", "middle", "lower"] if permit.space.deep else [""]
        return [
            {"gas": g, "value": values.get(g, default[g]), "unit": units[g], "point": p}
            for g in gas.gases_to_test(permit.hazards, wf)
            for p in points
        ]

    def data_for(self, permit: Permit, event: str, **extra: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "approve": {"password": PASSWORD},
            "reject": {"reason": "措施不全"},
            "release_isolation": {"isolation": "入口上锁已解除"},
            "brief": {
                "acknowledged": [u.id for u in permit.entrants],
                "confirmed": list(permit.control_measures),
            },
            "record_gas_test": {
                "detector": self.detector.id,
                "readings": self.readings(permit),
                "confirmed": ["outside_upwind"],
            },  # asked by GB 46768 packs
            "start_work": {"confirmed": START_WORK_ITEMS},
            "finish": {"confirmed": FINISH_ITEMS},
            "suspend": {"reason": "午休"},
            "cancel": {"reason": "计划变更"},
            "report_accident": {"reason": "人员晕倒"},
        }.get(event, {})
        data.update(extra)
        return data

    def actor_for(self, permit: Permit, event: str) -> User | None:
        if event == "expire":
            return None  # the clock's: permit.tick fires it as the system
        if event == "submit":
            return permit.requester
        if event in {"approve", "reject", "close"}:
            return self.principal if permit.risk_tier == "major" else self.approver
        return permit.attendant

    def fire(self, permit: Permit, event: str, actor: User | None = None, **data: Any):
        """Apply one event as the person who would, commit; roll back and re-raise on refusal."""
        actor = actor or self.actor_for(permit, event)
        self.clock.advance(minutes=1)  # each step takes time: "after ventilation" means after
        try:
            result = engine.apply(
                self.session,
                permit,
                event,
                actor,
                self.data_for(permit, event, **data),
                clock=self.clock,
            )
        except Exception:
            self.session.rollback()
            raise
        self.session.commit()
        return result

    def drive(self, permit: Permit, until: str) -> Permit:
        """Run the happy path until the permit is in state `until`."""
        for event in PATH:
            if permit.state == until:
                break
            self.fire(permit, event)
        assert permit.state == until, permit.state
        return permit

    def working(self, **overrides: Any) -> Permit:
        return self.drive(self.permit(**overrides), "working")


def placed_overseer(
    session: Session, clock: FixedClock, node, name: str, role: str, username: str
) -> User:
    """An expert or a regulator, signing in with PASSWORD, placed at a jurisdiction node."""
    from permit import jurisdictions

    user = registers.add_user(
        session,
        enterprise=None,
        name=name,
        roles=[role],
        username=username,
        password=PASSWORD,
        clock=clock,
    )
    jurisdictions.place(session, user, node, clock=clock)
    return user


def placed_enterprise(
    session: Session, clock: FixedClock, node, code: str, name: str, industry: str, pack: str
):
    """An enterprise judged by a pack, placed at a jurisdiction node."""
    from permit import jurisdictions

    ent = registers.create_enterprise(
        session, code=code, name=name, industry=industry, clock=clock, rule_pack=pack
    )
    jurisdictions.place(session, ent, node, clock=clock)
    return ent


class VisitWorld:
    """A city with two districts, an enterprise in each, two experts and a regulator in the
    first district, and one expert in the second: enough for scoping and a full visit."""

    def __init__(self, session: Session, clock: FixedClock, pack: str = "draft-2023") -> None:
        self.session = session
        self.clock = clock
        self.pack = pack

    def overseer(self, name: str, role: str, node, username: str) -> User:
        return placed_overseer(self.session, self.clock, node, name, role, username)

    def enterprise(self, code: str, node, industry: str = "light", pack: str | None = None):
        return placed_enterprise(
            self.session, self.clock, node, code, f"{code} 有限公司", industry, pack or self.pack
        )

    def places(self) -> None:
        """The jurisdiction tree: a city, two districts, a street in the first."""
        from permit import jurisdictions

        s, c = self.session, self.clock
        self.city = jurisdictions.add(s, code="HZ", name="杭州市", level="city", clock=c)
        self.district = jurisdictions.add(
            s, code="HZ-BJ", name="滨江区", level="district", parent=self.city, clock=c
        )
        self.street = jurisdictions.add(
            s, code="HZ-BJ-CH", name="长河街道", level="street", parent=self.district, clock=c
        )
        self.other_district = jurisdictions.add(
            s, code="HZ-XS", name="萧山区", level="district", parent=self.city, clock=c
        )

    def build(self) -> VisitWorld:
        s, c = self.session, self.clock
        self.places()
        self.ent = self.enterprise("BJ1", self.street)
        self.other_ent = self.enterprise("XS1", self.other_district)
        self.principal = registers.add_user(
            s,
            enterprise=self.ent,
            name="王主任",
            roles=["principal"],
            username="principal",
            password=PASSWORD,
            clock=c,
        )
        self.staff = registers.add_user(
            s,
            enterprise=self.ent,
            name="赵科长",
            roles=["approver"],
            username="approver",
            password=PASSWORD,
            clock=c,
        )
        self.expert = self.overseer("刘专家", "expert", self.district, "expert")
        self.expert2 = self.overseer("陈专家", "expert", self.district, "expert2")
        self.regulator = self.overseer("黄执法", "regulator", self.district, "regulator")
        self.other_expert = self.overseer("萧专家", "expert", self.other_district, "expert-xs")
        self.other_regulator = self.overseer(
            "萧执法", "regulator", self.other_district, "regulator-xs"
        )
        return self

    def plan(self, experts: list[User] | None = None, ent=None):
        from permit import inspections

        return inspections.plan(
            self.session,
            enterprise=ent or self.ent,
            planned_on=local_date(self.clock.now()) + timedelta(days=3),
            lead=self.regulator if ent is None else self.other_regulator,
            experts=[self.expert, self.expert2] if experts is None else experts,
            clock=self.clock,
        )

    def data_for(self, event: str) -> dict[str, Any]:
        from permit import inspections

        wf = inspections.workflow()
        if event == "confirm_equipment":
            return {
                "confirmed": [i["key"] for i in wf.section("checklists")["team_equipment"]["items"]]
            }
        if event == "notify":
            return {"documents": [i["key"] for i in wf.section("documents")["items"]]}
        if event == "kickoff":
            return {
                "attendees": {r["key"]: [f"{r['zh']}甲"] for r in wf.section("attendees")["roles"]}
            }
        if event == "accept":
            return {"password": PASSWORD}
        if event == "close":
            return {"conclusion": "整改已落实"}
        return {}

    def actor_for(self, visit, event: str) -> User:
        return {
            "notify": self.regulator,
            "accept": self.principal,
            "follow_up": self.regulator,
            "close": self.regulator,
        }.get(event, self.expert)

    def fire(self, visit, event: str, actor: User | None = None, **data: Any):
        payload = self.data_for(event)
        payload.update(data)
        applied = engine.apply(
            self.session,
            visit,
            event,
            actor or self.actor_for(visit, event),
            payload,
            clock=self.clock,
        )
        self.session.flush()
        return applied

    def judge_all(self, visit, problem_at: tuple[int, ...] = (5,)) -> None:
        """Every checkpoint judged; problems, fully described, at the numbers given."""
        from permit import inspections

        for point in inspections.checkpoints():
            n = point.number
            if n in problem_at:
                for field, value in (
                    ("result", "problem"),
                    ("methods", ["records"]),
                    ("description", f"第{n}项存在问题"),
                    ("suggestion", "立即整改"),
                    ("deadline", (local_date(self.clock.now()) + timedelta(days=30)).isoformat()),
                    ("responsible", "设备部 钱工"),
                ):
                    inspections.save_field(
                        self.session, visit, n, field, value, actor=self.expert, clock=self.clock
                    )
            else:
                inspections.save_field(
                    self.session, visit, n, "result", "meets", actor=self.expert, clock=self.clock
                )

    def judge_followup(self, visit, not_fixed: tuple[int, ...] = ()) -> None:
        """回头看: a verdict on every problem; those numbered in `not_fixed` are not fixed."""
        from permit import followup, inspections

        for f in inspections.problems(self.session, visit):
            bad = f.checkpoint in not_fixed
            followup.record_verdict(
                self.session,
                visit,
                f.checkpoint,
                "not_fixed" if bad else "fixed",
                "现场仍未整改" if bad else "",
                actor=self.expert,
                clock=self.clock,
            )

    def drive(self, visit, until: str):
        """Fire the happy path until the visit is in the state named."""
        path = [
            "confirm_equipment",
            "notify",
            "kickoff",
            "start_consultation",
            "end_consultation",
            "accept",
            "follow_up",
            "close",
        ]
        from permit import inspections

        events = inspections.workflow().events
        for event in path:
            if visit.state == until and event != "confirm_equipment":
                return visit
            if visit.state not in events[event].sources:  # resumed from a later step
                continue
            if event == "end_consultation" and not inspections.findings_of(self.session, visit):
                self.judge_all(visit)
            if event == "follow_up":
                for f in inspections.problems(self.session, visit):
                    inspections.answer(
                        self.session,
                        visit,
                        f.checkpoint,
                        "已整改",
                        actor=self.principal,
                        clock=self.clock,
                    )
            if event == "close":
                self.judge_followup(visit)
            self.fire(visit, event)
            if visit.state == until:
                return visit
        return visit
