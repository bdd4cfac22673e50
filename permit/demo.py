"""The demo enterprise: a steelworks with a realistic ledger, people, equipment and permits."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import (
    attachments,
    campaigns,
    contractors,
    emergency,
    engine,
    equipment,
    gas,
    inspections,
    jurisdictions,
    management,
    packs,
    qualification,
    registers,
    tick,
)
from .clock import Clock, local_date
from .models import Enterprise, Equipment, Permit, PermitEquipment, User

DEMO_CODE = "DEMO"
# The attendant's four skills (art. 4 para. 2), the same keys in both rule packs.
COMPETENCES = (
    "competence_gas_detection",
    "competence_ventilation",
    "competence_respiratory",
    "competence_rescue",
)
DEMO_PASSWORD = "demo"
ACCOUNTS = [  # username = role, password "demo"
    ("principal", "王建国", ["principal"]),
    ("deputy", "李卫东", ["deputy"]),
    ("approver", "赵安全", ["approver"]),
    ("attendant", "孙守望", ["attendant"]),
    ("entrant", "周进", ["entrant"]),
    ("rescuer", "郑救", ["rescuer"]),
    ("contractor", "陈承包", ["contractor"]),
    ("admin", "管理员", ["admin"]),
    ("expert", "刘专家", ["expert"]),
    ("regulator", "黄执法", ["regulator"]),
]

SPACES = [
    # code, name, class, hazards, controls, location, deep
    (
        "GP-01",
        "高炉煤气管道（DN1200 人孔段）",
        "gas_pipeline",
        ["co", "o2_deficiency"],
        ["管道可靠切断并加盲板", "氮气置换后强制通风", "佩戴正压式空气呼吸器"],
        "炼铁厂 2 号高炉东侧",
        False,
    ),
    (
        "GH-01",
        "转炉煤气柜",
        "gas_holder",
        ["co", "o2_deficiency", "flammable"],
        ["煤气柜隔断并吹扫", "连续检测一氧化碳", "防爆工具"],
        "能源中心",
        True,
    ),
    (
        "HS-02",
        "2号热风炉",
        "hot_blast_stove",
        ["co", "heat"],
        ["切断煤气并置换", "降温至40℃以下"],
        "炼铁厂",
        True,
    ),
    (
        "CP-01",
        "排水器冷凝水井",
        "condensate_pit",
        ["co", "h2s", "o2_deficiency"],
        ["强制通风", "持续检测硫化氢、一氧化碳"],
        "煤气管网 3 号排水器",
        True,
    ),
    (
        "WS-01",
        "生活污水处理池",
        None,
        ["h2s", "o2_deficiency", "drowning"],
        ["作业前强制通风30分钟", "持续检测硫化氢浓度", "系安全绳"],
        "厂区污水站",
        True,
    ),
    (
        "AT-01",
        "酸洗线酸罐（有人孔）",
        "acid_alkali_tank",
        ["o2_deficiency", "co2"],
        ["排空并中和清洗", "隔断进料阀门并上锁"],
        "冷轧厂酸洗线",
        False,
    ),
    (
        "BT-01",
        "粗苯储罐",
        "benzene_tank",
        ["flammable", "o2_deficiency"],
        ["排空、蒸汽吹扫", "防爆通风", "防静电"],
        "焦化厂罐区",
        True,
    ),
    (
        "EP-01",
        "烧结机头电除尘器",
        "electrostatic_precipitator",
        ["co", "o2_deficiency", "electric"],
        ["停电挂牌上锁", "通风"],
        "烧结厂",
        False,
    ),
    ("CT-01", "地下电缆沟", None, ["o2_deficiency"], ["通风换气"], "主控楼地下", False),
]

NOTICE_BOARDS = {"GP-01", "GH-01", "HS-02", "CP-01"}  # the ironworks and gas network


def _retired_space(session: Session, ent: Enterprise, clock, today) -> None:
    """A space taken out of service: the ledger keeps it, retired, with the reason."""
    seal = registers.add_space(
        session,
        ent,
        code="WS-00",
        name="旧煤气水封井（已拆除）",
        catalogue_class="condensate_pit",
        hazards=["co", "o2_deficiency"],
        control_measures=["强制通风", "持续检测一氧化碳"],
        isolation_measures=["井盖上锁"],
        location="煤气管网 1 号排水器（原址）",
        deep=True,
        clock=clock,
        sign_placed_on=today - timedelta(days=700),
        industry="metallurgy",
    )
    registers.retire_space(session, seal, clock=clock, reason="管网改造，水封井已拆除并回填")


class _Replay:
    """The demo's history, replayed from half an hour ago a few seconds per step, so that
    its records read like real ones (a test after ventilation, a working permit's last test
    some minutes old) and nothing lies in the future."""

    def __init__(self, end: datetime) -> None:
        self._now = end - timedelta(minutes=30)

    def now(self) -> datetime:
        self._now += timedelta(seconds=5)
        return self._now


def load(session: Session, clock: Clock) -> bool:
    """Create the demo enterprise once. Returns False when it is already there."""
    if session.scalar(select(Enterprise).where(Enterprise.code == DEMO_CODE)):
        return False
    now = clock.now()
    clock = _Replay(now)
    today = local_date(now)
    ent = registers.create_enterprise(
        session,
        code=DEMO_CODE,
        name="华东钢铁制品有限公司（演示）",
        industry="metallurgy",
        emergency_phone="0571-8888 0119",
        rule_pack="draft-2023",
        clock=clock,
    )
    acme = registers.add_contractor(session, ent, name="安达管道工程有限公司", clock=clock)
    _agreement(session, ent, acme, clock, today)
    registers.add_contractor(  # a contractor with no agreement: its permits are refused
        session, ent, name="速清环保服务部（无协议）", clock=clock
    )

    users: dict[str, User] = {}
    for username, name, roles in ACCOUNTS:
        in_enterprise = username not in {"expert", "regulator"}
        users[username] = registers.add_user(
            session,
            enterprise=ent if in_enterprise else None,
            name=name,
            roles=roles,
            username=username,
            password=DEMO_PASSWORD,
            clock=clock,
            contractor=acme if username == "contractor" else None,
            phone="138 0000 0000" if in_enterprise else None,
        )

    def train(user: User, months_ago: int = 2, passed: bool = True, kind: str = "annual") -> None:
        registers.record_training(
            session,
            user,
            kind=kind,
            passed=passed,
            clock=clock,
            taken_on=today - timedelta(days=30 * months_ago),
            topic="有限空间作业专题安全培训",
        )

    for key in ("principal", "deputy", "approver", "attendant", "entrant", "rescuer"):
        train(users[key])
    for kind in COMPETENCES:
        train(users["attendant"], kind=kind)
    crew = [
        registers.add_user(session, enterprise=ent, name=n, roles=["entrant"], clock=clock)
        for n in ("吴强", "郑国庆", "冯立")
    ]
    for worker in crew:
        train(worker)
    expired = registers.add_user(
        session, enterprise=ent, name="蒋过期（培训已过期）", roles=["entrant"], clock=clock
    )
    train(expired, months_ago=14)
    failed = registers.add_user(
        session, enterprise=ent, name="韩未过（考核不合格）", roles=["entrant"], clock=clock
    )
    train(failed, passed=False)
    acme_worker = registers.add_user(
        session, enterprise=ent, name="杨承包工", roles=["entrant"], clock=clock, contractor=acme
    )
    train(acme_worker)
    attendant2 = registers.add_user(
        session, enterprise=ent, name="何监护", roles=["attendant"], clock=clock
    )
    train(attendant2)
    for kind in COMPETENCES:
        train(attendant2, kind=kind)

    due = today + timedelta(days=200)
    detector = registers.add_equipment(
        session,
        ent,
        kind="gas_detector",
        serial="D-01",
        name="泵吸式四合一气体检测报警仪",
        gases=["o2", "lel", "h2s", "co"],
        pump_suction=True,
        due_on=due,
        clock=clock,
    )
    registers.add_equipment(
        session,
        ent,
        kind="gas_detector",
        serial="D-02",
        name="扩散式一氧化碳检测仪（校准过期）",
        gases=["o2", "co"],
        due_on=today - timedelta(days=83),
        clock=clock,
    )
    co2_detector = registers.add_equipment(
        session,
        ent,
        kind="gas_detector",
        serial="D-03",
        name="泵吸式五合一气体检测报警仪",
        gases=["o2", "lel", "h2s", "co", "co2"],
        pump_suction=True,
        due_on=due,
        clock=clock,
    )
    fan = registers.add_equipment(
        session, ent, kind="fan", serial="F-01", name="防爆轴流风机", due_on=due, clock=clock
    )
    scba = registers.add_equipment(
        session, ent, kind="scba", serial="R-01", name="正压式空气呼吸器", due_on=due, clock=clock
    )
    harness = registers.add_equipment(
        session, ent, kind="harness", serial="H-01", name="全身式安全带", due_on=due, clock=clock
    )
    tripod = registers.add_equipment(
        session, ent, kind="tripod", serial="T-01", name="救援三脚架", due_on=due, clock=clock
    )
    kit = [detector, fan, scba, harness]
    _equipment_records(session, ent, clock, detector, scba, tripod)

    spaces = {}
    for code, name, cls, hazards, controls, location, deep in SPACES:
        spaces[code] = registers.add_space(
            session,
            ent,
            code=code,
            name=name,
            catalogue_class=cls,
            hazards=hazards,
            control_measures=controls,
            isolation_measures=["入口上锁", "设置隔离栏"],
            location=location,
            deep=deep,
            clock=clock,
            sign_placed_on=today - timedelta(days=90) if code != "CT-01" else None,
            # Notice boards stand where several spaces share a site (art. 8).
            notice_board_placed_on=today - timedelta(days=80) if code in NOTICE_BOARDS else None,
            industry="metallurgy",
        )
    _emergency_records(session, ent, clock, users)
    _management_records(session, ent, clock)
    _retired_space(session, ent, clock, today)
    session.flush()

    window = dict(window_start=now - timedelta(minutes=30), window_end=now + timedelta(hours=8))
    people = dict(
        attendant=users["attendant"],
        entrants=[users["entrant"], crew[0]],
        rescuers=[users["rescuer"]],
        equipment=kit,
    )

    def permit(space: str, task: str, purpose: str, until: str, **extra) -> Permit:
        fields = {**window, **people, **extra}
        used_detector = fields.pop("detector", detector)
        p = registers.create_permit(
            session,
            space=spaces[space],
            requester=users["approver"],
            task_type=task,
            purpose=purpose,
            clock=clock,
            **fields,
        )
        _drive(session, p, until, users, clock, detector=used_detector)
        return p

    permit("CT-01", "inspection", "电缆沟巡检（草稿）", "draft")
    permit("WS-01", "dredging", "污水池清淤（待主要负责人审批：重大风险）", "pending_approval")
    permit(
        "AT-01",
        "maintenance",
        "酸罐人孔检修（已审批）",
        "approved",
        equipment=[co2_detector, fan, scba, harness],
        detector=co2_detector,
    )
    working = permit(
        "CP-01",
        "cleaning",
        "冷凝水井清理（作业中）",
        "working",
        contractor=acme,
        entrants=[acme_worker, crew[1]],
        supervisor=users["approver"],  # the enterprise's own on-site supervisor (art. 6)
    )
    engine.apply(
        session, working, "check_in", users["attendant"], {"person": acme_worker.id}, clock=clock
    )
    permit("EP-01", "maintenance", "电除尘器检修（已暂停）", "suspended")
    permit(
        "HS-02",
        "inspection",
        "热风炉内部检查（已关闭）",
        "closed",
        attendant=attendant2,
        entrants=[crew[2]],
    )
    permit("BT-01", "cleaning", "苯罐清理（已取消）", "cancelled")
    ent13 = _order13_enterprise(session, clock, now)
    _jurisdiction(session, ent, ent13, users, clock)
    # What a first `permit tick` would remind of: the keepers' bells show the overdue
    # calibration, drill and training at once.
    session.flush()
    for code in (DEMO_CODE, "DEMO13"):
        enterprise_id = session.scalar(select(Enterprise.id).where(Enterprise.code == code))
        tick.remind_due(session, enterprise_id, clock.now(), horizon_days=30)
    return True


VISIT_ACCOUNTS = [  # the expert pair's second expert; 'expert' and 'regulator' are above
    ("expert2", "陈专家", ["expert"]),
]


def _jurisdiction(session: Session, ent: Enterprise, ent13: Enterprise, users, clock) -> None:
    """A city with two districts: the steelworks and its experts and regulator in one, the
    brewery in the other (so the demo expert sees one and not the other); one visit under
    way, at the consultation, with two checkpoints already filled in."""
    city = jurisdictions.add(session, code="HZ", name="杭州市", level="city", clock=clock)
    district = jurisdictions.add(
        session, code="HZ-BJ", name="滨江区", level="district", parent=city, clock=clock
    )
    street = jurisdictions.add(
        session, code="HZ-BJ-CH", name="长河街道", level="street", parent=district, clock=clock
    )
    other = jurisdictions.add(
        session, code="HZ-XS", name="萧山区", level="district", parent=city, clock=clock
    )
    jurisdictions.place(session, ent, street, clock=clock)
    jurisdictions.place(session, ent13, other, clock=clock)
    for username, name, roles in VISIT_ACCOUNTS:
        users[username] = registers.add_user(
            session,
            enterprise=None,
            name=name,
            roles=roles,
            username=username,
            password=DEMO_PASSWORD,
            clock=clock,
        )
    for username in ("expert", "expert2", "regulator"):
        jurisdictions.place(session, users[username], district, clock=clock)
    today = local_date(clock.now())
    campaign = campaigns.create(
        session,
        node=district,
        name="滨江区有限空间专家指导服务专项行动",
        starts_on=today - timedelta(days=7),
        ends_on=today + timedelta(days=60),
        actor=users["regulator"],
        clock=clock,
    )
    visit = inspections.plan(
        session,
        enterprise=ent,
        planned_on=today,
        lead=users["regulator"],
        experts=[users["expert"], users["expert2"]],
        clock=clock,
        campaign=campaign,
    )
    wf = inspections.workflow()
    steps = [
        ("confirm_equipment", users["expert"], {"confirmed": _keys(wf, "checklists")}),
        ("notify", users["regulator"], {"documents": _keys(wf, "documents")}),
        (
            "kickoff",
            users["expert"],
            {
                "attendees": {
                    "regulator_lead": [users["regulator"].name],
                    "local_official": ["长河街道安监站 吴站长"],
                    "expert": [users["expert"].name, users["expert2"].name],
                    "principal": [users["principal"].name],
                    "attendant": [users["attendant"].name],
                }
            },
        ),
        ("start_consultation", users["expert"], {}),
    ]
    for event, actor, data in steps:
        engine.apply(session, visit, event, actor, data, clock=clock)
    for number, field, value in (
        (5, "methods", ["records", "site"]),
        (5, "result", "meets"),
        (6, "methods", ["site"]),
        (6, "result", "problem"),
        (6, "description", "地下电缆沟 CT-01 入口未设置安全警示标志"),
        (6, "suggestion", "按规定在入口醒目位置设置安全警示标志"),
    ):
        inspections.save_field(
            session, visit, number, field, value, actor=users["expert"], clock=clock
        )
    inspections.add_photo(
        session,
        visit,
        6,
        filename="CT-01.jpg",
        data=_photo(),
        actor=users["expert"],
        clock=clock,
    )


def _photo() -> bytes:
    """A stand-in for the phone's picture of the unmarked entrance."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1600, 1200), (120, 124, 128))
    ImageDraw.Draw(image).rectangle((500, 300, 1100, 900), fill=(40, 40, 40))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _keys(wf, section: str) -> list[str]:
    if section == "checklists":
        return [i["key"] for i in wf.section("checklists")["team_equipment"]["items"]]
    return [i["key"] for i in wf.section(section)["items"]]


ORDER13_ACCOUNTS = [  # a second enterprise, judged by the texts in force
    ("principal13", "林总", ["principal"]),
    ("approver13", "高经理（书面委托审批）", ["approver"]),
    ("attendant13", "马监护", ["attendant"]),
    ("admin13", "食品厂管理员", ["admin"]),
]


def _order13_enterprise(session: Session, clock, now: datetime) -> Enterprise:
    """A brewery under Order No. 13 + GB 46768-2025: CO2 in its fermentation tanks makes
    their cleaning major-risk work, approved here by a person the principal authorised."""
    today = local_date(now)
    ent = registers.create_enterprise(
        session,
        code="DEMO13",
        name="华南啤酒有限公司（演示·令13）",
        industry="light",
        emergency_phone="020-8888 0119",
        clock=clock,
        rule_pack="order13-2024",
    )
    users = {
        username: registers.add_user(
            session,
            enterprise=ent,
            name=name,
            roles=roles,
            username=username,
            password=DEMO_PASSWORD,
            clock=clock,
        )
        for username, name, roles in ORDER13_ACCOUNTS
    }
    crew = [
        registers.add_user(session, enterprise=ent, name=n, roles=["entrant"], clock=clock)
        for n in ("罗师傅", "谢师傅")
    ]
    for user in [*users.values(), *crew]:
        registers.record_training(
            session,
            user,
            kind="annual",
            passed=True,
            clock=clock,
            taken_on=today - timedelta(days=40),
            topic="有限空间作业专题安全培训",
        )
    for kind in COMPETENCES:
        registers.record_training(
            session,
            users["attendant13"],
            kind=kind,
            passed=True,
            clock=clock,
            taken_on=today - timedelta(days=40),
        )
    registers.authorise(
        session,
        users["principal13"],
        users["approver13"],
        valid_from=today - timedelta(days=30),
        valid_to=today + timedelta(days=335),
        document_ref="华啤安委〔2026〕2号",
        clock=clock,
    )
    due = today + timedelta(days=200)
    kit = [
        registers.add_equipment(
            session,
            ent,
            kind="gas_detector",
            serial="P-01",
            name="泵吸式五合一气体检测报警仪",
            gases=["o2", "lel", "h2s", "co", "co2"],
            pump_suction=True,
            due_on=due,
            clock=clock,
        ),
        registers.add_equipment(
            session, ent, kind="fan", serial="F-01", name="轴流风机", due_on=due, clock=clock
        ),
        registers.add_equipment(
            session,
            ent,
            kind="scba",
            serial="R-01",
            name="正压式空气呼吸器",
            due_on=due,
            clock=clock,
        ),
        registers.add_equipment(
            session,
            ent,
            kind="harness",
            serial="H-01",
            name="全身式安全带",
            due_on=due,
            clock=clock,
        ),
    ]
    tank = registers.add_space(
        session,
        ent,
        code="FT-03",
        name="3号发酵罐",
        catalogue_class="fermentation_tank",
        hazards=["co2", "o2_deficiency"],
        control_measures=["排空二氧化碳并强制通风", "持续检测"],
        isolation_measures=["进料阀门上锁挂牌"],
        location="发酵车间",
        deep=True,
        clock=clock,
        sign_placed_on=today - timedelta(days=60),
    )
    registers.add_space(
        session,
        ent,
        code="WS-01",
        name="污水处理调节池",
        catalogue_class="sewage_pool",
        hazards=["h2s", "o2_deficiency", "drowning"],
        control_measures=["强制通风", "系安全绳"],
        isolation_measures=["入口上锁"],
        location="污水站",
        deep=True,
        clock=clock,
        sign_placed_on=today - timedelta(days=60),
    )
    session.flush()
    permit = registers.create_permit(
        session,
        space=tank,
        requester=users["admin13"],
        task_type="cleaning",
        purpose="发酵罐清洗（待书面委托人审批）",
        window_start=now - timedelta(minutes=20),
        window_end=now + timedelta(hours=6),
        attendant=users["attendant13"],
        entrants=crew,
        equipment=kit,
        clock=clock,
    )
    engine.apply(session, permit, "submit", users["admin13"], {}, clock=clock)
    return ent


def _drive(
    session: Session, p: Permit, until: str, users: dict[str, User], clock: Clock, detector
) -> None:
    approver = users["principal"]
    attendant = p.attendant
    steps = {
        "submit": (p.requester, {}),
        "approve": (approver, {"password": DEMO_PASSWORD}),
        "release_isolation": (attendant, {"isolation": "入口锁具已打开，隔离栏移开"}),
        "brief": (
            attendant,
            {"acknowledged": [u.id for u in p.entrants], "confirmed": list(p.control_measures)},
        ),
        "start_ventilation": (attendant, {}),
        "record_gas_test": (attendant, {"detector": detector.id, "readings": _readings(p)}),
        "start_work": (
            attendant,
            {"confirmed": ["ppe", "rescue_equipment", "communication", "ventilation_running"]},
        ),
    }
    order = list(steps)
    target = {
        "draft": 0,
        "pending_approval": 1,
        "approved": 2,
        "working": 7,
        "suspended": 7,
        "closed": 7,
        "cancelled": 1,
    }[until]
    for event in order[:target]:
        actor, data = steps[event]
        engine.apply(session, p, event, actor, data, clock=clock)
    if until == "suspended":
        engine.apply(
            session, p, "suspend", attendant, {"reason": "风机故障，暂停作业"}, clock=clock
        )
    elif until == "closed":
        engine.apply(
            session,
            p,
            "finish",
            attendant,
            {"confirmed": ["people_out", "tools_out", "entrance_closed", "isolation_restored"]},
            clock=clock,
        )
        engine.apply(session, p, "close", approver, {}, clock=clock)
    elif until == "cancelled":
        engine.apply(session, p, "cancel", p.requester, {"reason": "生产计划调整"}, clock=clock)


def _readings(p: Permit) -> list[dict]:
    units = {
        "o2": ("%vol", 20.8),
        "lel": ("%LEL", 0),
        "h2s": ("mg/m3", 0.6),
        "co": ("mg/m3", 3),
        "co2": ("mg/m3", 900),
    }
    points = ["upper", "middle", "lower"] if p.space.deep else [""]
    return [
        {"gas": g, "value": units[g][1], "unit": units[g][0], "point": pt}
        for g in gas.gases_to_test(p.hazards, engine.workflow_of(p))
        for pt in points
    ]


def _equipment_records(
    session: Session, ent: Enterprise, clock: Clock, detector, scba, tripod
) -> None:
    """A calibration certificate with its scan, and the attendant's checks: the tripod's
    wire rope failed, so it is out of service."""
    today = local_date(clock.now())
    wf = packs.workflow_for(session, ent.id, "confined_space", today)
    scan = attachments.store(
        session,
        enterprise_id=ent.id,
        filename="D-01 校准证书.pdf",
        data=one_page_pdf("Calibration certificate D-01"),
        clock=clock,
    )
    equipment.record_certificate(
        session,
        detector,
        kind="calibration",
        performed_on=today - timedelta(days=165),
        valid_until=detector.due_on,
        agency="市计量检定测试院",
        certificate_no="JZ2026-0417",
        attachment=scan,
        workflow=wf,
        clock=clock,
    )
    for item in (scba, detector, tripod):
        answers = {point["key"]: True for point in equipment.checklist(wf, item.kind)}
        if item is tripod:
            answers["rope"] = False
        equipment.record_check(session, item, results=answers, workflow=wf, clock=clock, note="")


def _emergency_records(session: Session, ent: Enterprise, clock: Clock, users) -> None:
    """Disposal plans for the gas network's classes; the last drill was eight months ago, so
    every new permit is flagged (art. 14: at least every six months)."""
    today = local_date(clock.now())
    for cls, title, steps in (
        (
            "gas_pipeline",
            "煤气管道一氧化碳中毒现场处置方案",
            [
                "监护人立即呼叫撤离并报告调度",
                "切断气源，强制通风",
                "救援人员佩戴正压式空气呼吸器施救",
            ],
        ),
        (
            "gas_holder",
            "煤气柜一氧化碳中毒现场处置方案",
            ["立即撤离并设置警戒", "通知煤气防护站", "佩戴呼吸器、系安全绳施救"],
        ),
    ):
        emergency.add_plan(
            session,
            ent,
            title=title,
            steps=steps,
            effective_on=today - timedelta(days=300),
            catalogue_class=cls,
            clock=clock,
        )
    emergency.record_drill(
        session,
        ent,
        pack=packs.packs()["draft-2023"],
        held_on=qualification.add_months(today, -8),
        scenario="煤气管道人孔作业人员一氧化碳中毒救援",
        participants=[users["attendant"], users["rescuer"], users["entrant"]],
        evaluation="撤离用时3分钟；呼吸器佩戴熟练；通讯联络需改进",
        clock=clock,
    )


def detector_hint(session: Session) -> str | None:
    """How to make the demo's working permit receive live readings, for `permit demo`."""
    row = session.execute(
        select(Permit.number, Equipment.serial)
        .join(Enterprise, Enterprise.id == Permit.enterprise_id)
        .join(PermitEquipment, PermitEquipment.permit_id == Permit.id)
        .join(Equipment, Equipment.id == PermitEquipment.equipment_id)
        .where(
            Enterprise.code == DEMO_CODE,
            Permit.state == "working",
            Equipment.kind == "gas_detector",
        )
        .order_by(Permit.id)
    ).first()
    if row is None:
        return None
    number, serial = row
    return (
        f"live readings for {number}: permit simulate-detector {number} --rate 2/s "
        f"--spike h2s=15mg/m3@30s --token $(permit device-token {DEMO_CODE} {serial})"
    )


def one_page_pdf(title: str) -> bytes:
    """A valid one-page PDF saying `title` (ASCII): the demo's scanned documents."""
    stream = f"BT /F1 20 Tf 72 760 Td ({title}) Tj ET\n".encode()
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
        b"/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
        + f"4 0 obj<</Length {len(stream)}>>stream\n".encode()
        + stream
        + b"endstream endobj\n5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def _agreement(session: Session, ent: Enterprise, acme, clock: Clock, today) -> None:
    """The demo contractor's signed safety-management agreement, with its scan (art. 6)."""
    scan = attachments.store(
        session,
        enterprise_id=ent.id,
        filename="安全生产管理协议 AQ-XY-2026-017.pdf",
        data=one_page_pdf("Safety management agreement AQ-XY-2026-017"),
        clock=clock,
    )
    contractors.add_agreement(
        session,
        acme,
        valid_from=today - timedelta(days=60),
        valid_to=today + timedelta(days=300),
        scope=["cleaning", "dredging", "maintenance"],
        responsibilities=(
            "发包方：作业审批、现场监督与安全检查、提供气体检测和通风设备、应急救援；\n"
            "承包方：按审批的作业方案施工，作业人员经培训合格，服从现场监护和监督人员指挥"
        ),
        attachment=scan,
        document_ref="AQ-XY-2026-017",
        workflow=packs.workflow_for(session, ent.id, "confined_space", today),
        clock=clock,
    )


def _management_records(session: Session, ent: Enterprise, clock: Clock) -> None:
    """The safety-management system in force: it settles every topic but one (操作规程), so
    the compliance view has something to show (art. 5)."""
    today = local_date(clock.now())
    pack = packs.packs()[packs.pack_in_force(session, ent.id, today)]
    keys = [t["key"] for t in pack.section("management_system")["topics"]]
    document = attachments.store(
        session,
        enterprise_id=ent.id,
        filename="有限空间作业安全管理制度 V2.pdf",
        data=one_page_pdf("Confined-space safety management system, version 2"),
        clock=clock,
    )
    management.record_document(
        session,
        ent,
        title="有限空间作业安全管理制度",
        version_label="V2.0",
        effective_on=today - timedelta(days=120),
        covered=[k for k in keys if k != "procedures"],
        attachment=document,
        pack=pack,
        clock=clock,
    )
