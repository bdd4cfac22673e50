"""The ledger (台账, art. 8): filters, validation shared by form and import, changes audited
old → new, retiring instead of deleting; then the pages, as each role meets them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from permit import audit, ledger, registers
from permit.errors import Blocked, InvalidInput, NotFound
from permit.models import AuditEntry, Space
from permit.workflow import get as get_workflow

from .helpers import row_counts

WF = get_workflow("confined_space", "draft-2023.1")


@pytest.fixture
def keeper(world):
    user = world.person("台账管理员", ["admin"], username="admin", trained=False)
    world.session.commit()
    return user


def add(world, keeper, **raw):
    fields = {"industry": "light", "name": raw.get("code", "X"), **raw}
    data = ledger.validate(fields, wf=WF, today=world.today)
    space = ledger.create_space(
        world.session, world.enterprise.id, data, clock=world.clock, actor=keeper
    )
    world.session.commit()
    return space


@pytest.fixture
def ledger_world(world, keeper):
    """Beside the world's H2S pit (WS-01, sign placed) and sugar tank (TK-01, no sign): a
    cable trench outside the catalogue, a textile works' sewage pool, and a retired pit."""
    add(
        world, keeper, code="CT-01", name="地下电缆沟", location="配电房", hazards=["o2_deficiency"]
    )
    add(
        world,
        keeper,
        code="TX-01",
        name="印染污水池",
        industry="textile",
        catalogue_class="sewage_pool",
        hazards=["h2s"],
        sign_placed_on=world.today,
    )
    old = add(world, keeper, code="RT-01", name="旧污水井", hazards=["h2s"])
    ledger.retire_space(world.session, old, "已拆除", clock=world.clock, actor=keeper)
    world.session.commit()
    return world


def codes(world, user, **args) -> set[str]:
    found = ledger.spaces(world.session, user, ledger.Filters.from_args(args), WF)
    return {s.code for s in found}


# -- the list -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "wanted"),
    [
        ({}, {"WS-01", "TK-01", "CT-01", "TX-01"}),
        ({"q": "污水"}, {"WS-01", "TX-01"}),
        ({"q": "ct-01"}, {"CT-01"}),  # a code, in any case
        ({"q": "配电"}, {"CT-01"}),  # a location
        ({"q": "%"}, set()),  # a wildcard is a character, not "anything"
        ({"industry": "textile"}, {"TX-01"}),
        ({"industry": "light"}, {"WS-01", "TK-01", "CT-01"}),
        ({"class": "sugar_tank"}, {"TK-01"}),
        ({"class": "sewage_pool"}, {"WS-01", "TX-01"}),
        ({"key": "1"}, {"WS-01", "TK-01", "TX-01"}),
        ({"key": "0"}, {"CT-01"}),
        ({"hazard": "h2s"}, {"WS-01", "TX-01"}),
        ({"hazard": "o2_deficiency"}, {"WS-01", "TK-01", "CT-01"}),
        ({"sign": "missing"}, {"TK-01", "CT-01"}),
        ({"sign": "placed"}, {"WS-01", "TX-01"}),
        ({"status": "retired"}, {"RT-01"}),
        ({"status": "all"}, {"WS-01", "TK-01", "CT-01", "TX-01", "RT-01"}),
        ({"status": "all", "hazard": "h2s", "industry": "light"}, {"WS-01", "RT-01"}),
        (
            {"industry": "no-such", "key": "maybe", "status": "gone"},
            {"WS-01", "TK-01", "CT-01", "TX-01"},
        ),
    ],
)
def test_each_filter_keeps_what_matches_and_drops_the_rest(ledger_world, args, wanted):
    assert codes(ledger_world, ledger_world.attendant, **args) == wanted


def test_the_ledger_is_scoped_to_the_users_enterprise(ledger_world, clock):
    session = ledger_world.session
    other = registers.create_enterprise(
        session, code="OTHER", name="别家", industry="light", clock=clock
    )
    boss = registers.add_user(session, enterprise=other, name="别家", roles=["admin"], clock=clock)
    registers.add_space(session, other, code="WS-01", name="别家的池", clock=clock)
    registers.add_space(session, other, code="ZZ-09", name="别家的罐", clock=clock)
    session.commit()
    assert codes(ledger_world, boss) == {"WS-01", "ZZ-09"}
    assert "ZZ-09" not in codes(ledger_world, ledger_world.attendant)
    with pytest.raises(NotFound):
        ledger.space_for(session, ledger_world.attendant, "ZZ-09")
    assert ledger.space_for(session, boss, "WS-01").name == "别家的池"
    contractor = ledger_world.person("承包人", ["contractor"])
    contractor.contractor_id = registers.add_contractor(
        session, ledger_world.enterprise, name="承包", clock=clock
    ).id
    assert codes(ledger_world, contractor) == set()


# -- validation (the same for the form and the spreadsheet) --------------------------------


def errors_of(raw, today, lang):
    _, errors = ledger.check(raw, wf=WF, today=today)
    return {e.field: e.reason.message(lang) for e in errors}


def test_validation_names_every_bad_field_in_chinese_and_english(world):
    tomorrow = world.today + timedelta(days=1)
    raw = {
        "code": "",
        "name": " ",
        "industry": "light",
        "catalogue_class": "gas_pipeline",
        "hazards": ["h2s", "毒气"],
        "deep": "也许",
        "sign_placed_on": tomorrow,
        "notice_board_placed_on": "上周",
    }
    zh = errors_of(raw, world.today, "zh")
    en = errors_of(raw, world.today, "en")
    assert zh == {
        "code": "不能为空",
        "name": "不能为空",
        "catalogue_class": "类别 '有人孔管道' 不属于轻工行业（003 附录 有限空间重点监管目录）",
        "hazards": "未知危险有害因素 '毒气'",
        "deep": "'也许' 应为“深”或“浅”",
        "sign_placed_on": f"日期 {tomorrow.isoformat()} 在今天之后",
        "notice_board_placed_on": "'上周' 不是日期（如 2026-05-01）",
    }
    assert en["catalogue_class"].startswith("class '有人孔管道' is not listed for Light industry")
    assert en["hazards"] == "unknown hazard '毒气'"
    assert en["sign_placed_on"] == f"{tomorrow.isoformat()} is in the future"
    assert errors_of({"code": "A", "name": "B", "industry": "xx"}, world.today, "en") == {
        "industry": "unknown industry 'xx'"
    }
    assert errors_of({"code": "A", "name": "B", "industry": "light"}, world.today, "en") == {}


def test_a_valid_space_reads_names_as_people_write_them(world):
    data = ledger.validate(
        {
            "code": " WS-09 ",
            "name": "3号  污水池",
            "industry": "轻工行业",
            "catalogue_class": "污水处理池（井）",
            "hazards": "硫化氢中毒、缺氧窒息、硫化氢中毒",
            "isolation_measures": " 入口上锁 \n入口上锁；隔离栏\n\n",
            "control_measures": ["排空、蒸汽吹扫", "排空、蒸汽吹扫 ", ""],
            "deep": "深",
            "sign_placed_on": "2026年5月1日",
            "notice_board_placed_on": world.today,
        },
        wf=WF,
        today=world.today,
    )
    assert (data.code, data.name, data.industry, data.catalogue_class) == (
        "WS-09",
        "3号 污水池",
        "light",
        "sewage_pool",
    )
    assert data.hazards == ["h2s", "o2_deficiency"]
    assert data.isolation_measures == ["入口上锁", "隔离栏"]
    assert data.control_measures == ["排空、蒸汽吹扫"]  # 、 inside a measure is not a separator
    assert data.deep is True and data.sign_placed_on.isoformat() == "2026-05-01"


@pytest.mark.parametrize(
    "phone",
    ["0571-8888 0119", "(0571) 88880119", "+86 138 0000 0000", "119", "0571-88880119 转 8001"],
)
def test_an_emergency_phone_written_as_people_write_one_is_kept_as_written(world, phone):
    data = ledger.validate(
        {"code": "A", "name": "B", "industry": "light", "emergency_phone": f" {phone} "},
        wf=WF,
        today=world.today,
    )
    assert data.emergency_phone == phone


@pytest.mark.parametrize("phone", ["找老王", "12", "0571-8888-0119-0000-0000-12345", "119abc"])
def test_an_emergency_phone_that_is_no_phone_number_is_refused_in_both_languages(world, phone):
    raw = {"code": "A", "name": "B", "industry": "light", "emergency_phone": phone}
    assert errors_of(raw, world.today, "zh") == {
        "emergency_phone": f"'{phone}' 不是电话号码（如 0571-12345678 或 13800000000）"
    }
    assert errors_of(raw, world.today, "en") == {
        "emergency_phone": f"'{phone}' is not a phone number (e.g. 0571-12345678 or 13800000000)"
    }


@pytest.mark.parametrize("code", ["new", "import", "EXPORT.XLSX", "A/B", "A B"])
def test_a_code_that_would_shadow_a_page_or_break_a_link_is_refused(world, code):
    assert "code" in errors_of({"code": code, "name": "x", "industry": "light"}, world.today, "zh")


def test_a_code_is_unique_in_an_enterprise_but_not_across_enterprises(world, keeper, clock):
    with pytest.raises(ledger.LedgerInvalid) as caught:
        add(world, keeper, code="WS-01", name="重复")
    assert caught.value.by_field("en") == {"code": ["the code 'WS-01' is already in the ledger"]}
    world.session.rollback()
    with pytest.raises(ledger.LedgerInvalid) as caught:
        add(world, keeper, code="ws-01", name="只差大小写")
    assert caught.value.by_field("zh") == {"code": ["编号 'WS-01' 已在台账中"]}
    world.session.rollback()
    other = registers.create_enterprise(
        world.session, code="OTHER", name="别家", industry="light", clock=clock
    )
    data = ledger.validate(
        {"code": "WS-01", "name": "x", "industry": "light"}, wf=WF, today=world.today
    )
    assert ledger.create_space(world.session, other.id, data, clock=clock, actor=keeper).id


# -- changes and the audit log -----------------------------------------------------------


def test_an_update_records_each_changed_field_old_to_new(world, keeper):
    pit = world.pit
    raw = {**ledger.current(pit), "name": "1号污水处理池（改造后）", "hazards": ["h2s", "co"]}
    diff = ledger.update_space(
        world.session,
        pit,
        ledger.validate(raw, wf=WF, today=world.today),
        clock=world.clock,
        actor=keeper,
    )
    world.session.commit()
    assert set(diff) == {"name", "hazards"}
    entry = world.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.subject_type == "spaces")
        .order_by(AuditEntry.seq.desc())
    ).first()
    assert (entry.event, entry.actor_id, entry.actor_role) == ("update", keeper.id, "admin")
    assert entry.data["changes"] == {
        "name": ["1号污水处理池", "1号污水处理池（改造后）"],
        "hazards": [["h2s", "o2_deficiency"], ["h2s", "co"]],
    }
    assert list(audit.verify(world.session)) == []


def test_an_update_that_changes_nothing_writes_nothing(world, keeper):
    before = row_counts(world.session)
    same = ledger.validate(ledger.current(world.pit), wf=WF, today=world.today)
    assert (
        ledger.update_space(world.session, world.pit, same, clock=world.clock, actor=keeper) == {}
    )
    world.session.commit()
    assert row_counts(world.session) == before


def test_key_supervision_follows_the_hazards_and_is_never_stored(ledger_world, keeper):
    trench = ledger.space_for(ledger_world.session, keeper, "CT-01")
    assert "CT-01" not in codes(ledger_world, keeper, key="1")
    raw = {**ledger.current(trench), "hazards": ["o2_deficiency", "co"], "key_supervision": False}
    data = ledger.validate(raw, wf=WF, today=ledger_world.today)
    ledger.update_space(ledger_world.session, trench, data, clock=ledger_world.clock, actor=keeper)
    ledger_world.session.commit()
    assert "CT-01" in codes(ledger_world, keeper, key="1")
    assert not hasattr(Space, "key_supervision")


def test_a_space_with_a_live_permit_cannot_be_retired(world, keeper):
    permit = world.permit()
    before = row_counts(world.session)
    with pytest.raises(Blocked) as caught:
        ledger.retire_space(world.session, world.pit, "改造", clock=world.clock, actor=keeper)
    assert (
        permit.number in caught.value.messages("zh")[0] and "草稿" in caught.value.messages("zh")[0]
    )
    assert "is not closed or cancelled" in caught.value.messages("en")[0]
    world.session.rollback()
    assert row_counts(world.session) == before and world.pit.active
    world.fire(permit, "cancel", actor=world.requester, reason="计划调整")
    ledger.retire_space(world.session, world.pit, "改造", clock=world.clock, actor=keeper)
    world.session.commit()
    assert not world.pit.active
    assert ledger.retired_because(world.session, world.pit) == "改造"


def test_retiring_needs_a_reason_and_a_retired_space_no_longer_changes(world, keeper):
    with pytest.raises(InvalidInput):
        ledger.retire_space(world.session, world.tank, "  ", clock=world.clock, actor=keeper)
    assert world.tank.active
    ledger.retire_space(world.session, world.tank, "停用", clock=world.clock, actor=keeper)
    world.session.commit()
    raw = {**ledger.current(world.tank), "name": "改名"}
    with pytest.raises(Blocked):
        ledger.update_space(
            world.session,
            world.tank,
            ledger.validate(raw, wf=WF, today=world.today),
            clock=world.clock,
            actor=keeper,
        )
    with pytest.raises(Blocked):
        ledger.retire_space(world.session, world.tank, "再停", clock=world.clock, actor=keeper)


# -- the pages ----------------------------------------------------------------------------


@pytest.fixture
def app(make_app, ledger_world, clock):
    return make_app(WTF_CSRF_ENABLED=False, CLOCK=clock)


def signed_in(app, username: str, lang: str | None = None):
    client = app.test_client()
    if lang:
        client.get(f"/lang/{lang}")
    response = client.post("/login", data={"username": username, "password": "demo"})
    assert response.status_code == 302
    return client


def flashes(page: str) -> list[str]:
    return re.findall(r'class="flash \w+" role="alert">([^<]*)<', page)


def listed(page: str) -> set[str]:
    return set(re.findall(r'<li data-code="([^"]+)"', page))


def form_for(**override) -> dict:
    form = {
        "code": "FT-07",
        "name": "7号发酵罐",
        "location": "发酵车间",
        "industry": "light",
        "catalogue_class": "fermentation_tank",
        "hazards": ["co2", "o2_deficiency"],
        "isolation_measures": "进料阀上锁挂牌\n人孔设隔离栏",
        "control_measures": "排空二氧化碳\n强制通风",
        "deep": "1",
        "sign_placed_on": "2026-11-01",
        "notice_board_placed_on": "",
    }
    form.update(override)
    return form


def test_every_staff_member_reads_the_filtered_list(app):
    client = signed_in(app, "attendant")
    assert listed(client.get("/spaces").get_data(as_text=True)) == {
        "WS-01",
        "TK-01",
        "CT-01",
        "TX-01",
    }
    assert listed(client.get("/spaces?key=1").get_data(as_text=True)) == {"WS-01", "TK-01", "TX-01"}
    assert listed(client.get("/spaces?sign=missing&q=电缆").get_data(as_text=True)) == {"CT-01"}
    page = client.get("/spaces").get_data(as_text=True)
    assert "/spaces/new" not in page and "/spaces/import" not in page  # only keepers see these


def test_an_admin_adds_a_space_and_its_key_supervision_is_derived(app):
    client = signed_in(app, "admin")
    response = client.post("/spaces/new", data=form_for())
    assert response.status_code == 303 and response.headers["Location"] == "/spaces/FT-07"
    page = client.get("/spaces/FT-07").get_data(as_text=True)
    assert "7号发酵罐" in page and "重点监管" in page and "发酵罐" in page
    assert "进料阀上锁挂牌" in page and "2026-11-01" in page
    assert "FT-07" in listed(client.get("/spaces?key=1").get_data(as_text=True))


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("zh", "类别 &#39;发酵罐&#39; 不属于冶金行业"),
        ("en", "not listed for Metallurgy"),
    ],
)
def test_a_bad_form_is_refused_in_the_users_language_and_saves_nothing(
    app, ledger_world, lang, message
):
    client = signed_in(app, "principal", lang)
    before = row_counts(ledger_world.session)
    response = client.post(
        "/spaces/new", data=form_for(industry="metallurgy", sign_placed_on="2099-01-01", name="")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert ("在今天之后" if lang == "zh" else "is in the future") in page
    assert 'id="err-name"' in page and 'value="发酵车间"' in page  # what was typed stays
    ledger_world.session.expire_all()
    assert row_counts(ledger_world.session) == before


def test_an_edit_is_audited_and_shown_old_to_new(app, ledger_world):
    client = signed_in(app, "deputy")
    form = form_for(
        name="1号污水处理池（东）",
        industry="light",
        catalogue_class="sewage_pool",
        hazards=["h2s", "o2_deficiency", "drowning"],
        isolation_measures="入口上锁\n隔离栏",
        control_measures="作业前强制通风30分钟\n持续检测硫化氢浓度",
        location="",
        sign_placed_on=ledger_world.today.isoformat(),
    )
    response = client.post("/spaces/WS-01/edit", data={**form, "code": "HACKED"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert flashes(page) == ["WS-01 已保存：修改了 2 项。"]  # name and hazards; code stays
    assert "<del>硫化氢中毒、缺氧窒息</del> → 硫化氢中毒、缺氧窒息、淹溺" in page
    assert "<del>1号污水处理池</del> → 1号污水处理池（东）" in page
    assert "<del>WS-01</del>" not in page and "HACKED" not in page
    again = client.post("/spaces/WS-01/edit", data=form)
    assert flashes(client.get(again.headers["Location"]).get_data(as_text=True)) == ["没有修改。"]


def test_the_form_sets_the_spaces_own_emergency_phone_for_its_sign(app, ledger_world):
    client = signed_in(app, "admin")
    page = client.get("/spaces/WS-01").get_data(as_text=True)
    assert re.search(r'id="emergency-phone">0571-12345678 <span class="muted">（企业', page)
    form = form_for(
        name="1号污水处理池",
        catalogue_class="sewage_pool",
        hazards=["h2s", "o2_deficiency"],
        isolation_measures="入口上锁\n隔离栏",
        control_measures="作业前强制通风30分钟\n持续检测硫化氢浓度",
        location="",
        sign_placed_on=ledger_world.today.isoformat(),
        deep="1",
    )
    before = row_counts(ledger_world.session)
    refused = client.post("/spaces/WS-01/edit", data={**form, "emergency_phone": "找老王"})
    assert refused.status_code == 422
    assert "&#39;找老王&#39; 不是电话号码" in refused.get_data(as_text=True)
    ledger_world.session.expire_all()
    assert row_counts(ledger_world.session) == before

    response = client.post("/spaces/WS-01/edit", data={**form, "emergency_phone": "0571-8888 0119"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert flashes(page) == ["WS-01 已保存：修改了 1 项。"]
    assert 'id="emergency-phone">0571-8888 0119</dd>' in page
    assert "<del>—</del> → 0571-8888 0119" in page  # the history, old → new
    scan = app.test_client().get(f"/s/{ledger_world.pit.qr_token}").get_data(as_text=True)
    assert 'href="tel:0571-88880119"' in scan  # what the sign's QR code opens
    edit = client.get("/spaces/WS-01/edit").get_data(as_text=True)
    assert 'name="emergency_phone" value="0571-8888 0119"' in edit

    response = client.post("/spaces/WS-01/edit", data={**form, "emergency_phone": ""})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "0571-12345678 <span" in page  # back to the enterprise's number
    ledger_world.session.expire_all()
    assert ledger_world.pit.emergency_phone is None


def test_readers_cannot_change_the_ledger(app, ledger_world):
    client = signed_in(app, "approver")
    before = row_counts(ledger_world.session)
    assert client.post("/spaces/new", data=form_for()).status_code == 404
    assert client.post("/spaces/WS-01/edit", data=form_for(name="x")).status_code == 404
    assert client.post("/spaces/CT-01/retire", data={"reason": "x"}).status_code == 404
    assert client.post("/spaces/import", data={}).status_code == 404
    ledger_world.session.expire_all()
    assert row_counts(ledger_world.session) == before


def test_another_enterprises_space_is_a_404(app, ledger_world, clock):
    session = ledger_world.session
    other = registers.create_enterprise(
        session, code="OTHER", name="别家", industry="light", clock=clock
    )
    registers.add_space(session, other, code="ZZ-09", name="别家的罐", clock=clock)
    session.commit()
    client = signed_in(app, "admin")
    for url in ("/spaces/ZZ-09", "/spaces/ZZ-09/edit"):
        assert client.get(url).status_code == 404
    assert client.post("/spaces/ZZ-09/retire", data={"reason": "x"}).status_code == 404
    assert "ZZ-09" not in client.get("/spaces?status=all").get_data(as_text=True)


def test_retiring_is_refused_while_a_permit_is_live_and_then_allowed(app, ledger_world):
    permit = ledger_world.permit(space=ledger_world.tank)
    client = signed_in(app, "admin", "en")
    page = client.get("/spaces/TK-01").get_data(as_text=True)
    assert 'id="retire-refused"' in page and permit.number in page
    response = client.post("/spaces/TK-01/retire", data={"reason": "demolished"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert any(permit.number in f and "cannot be retired" in f for f in flashes(page))
    ledger_world.session.expire_all()
    assert ledger_world.tank.active
    ledger_world.fire(permit, "cancel", actor=ledger_world.requester, reason="x")
    response = client.post("/spaces/TK-01/retire", data={"reason": ""})
    assert (
        "Give the reason"
        in flashes(client.get(response.headers["Location"]).get_data(as_text=True))[0]
    )
    response = client.post("/spaces/TK-01/retire", data={"reason": "demolished"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="retired-badge"' in page and "demolished" in page
    assert "TK-01" in listed(client.get("/spaces?status=retired").get_data(as_text=True))
    assert client.get("/spaces/TK-01/edit").status_code == 303  # retired: kept as it was


def test_forms_without_a_csrf_token_change_nothing(make_app, ledger_world, clock):
    app = make_app(CLOCK=clock)
    client = app.test_client()
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)
    )
    client.post(
        "/login", data={"username": "admin", "password": "demo", "csrf_token": token.group(1)}
    )
    before = row_counts(ledger_world.session)
    assert client.post("/spaces/new", data=form_for()).status_code == 400
    assert client.post("/spaces/WS-01/edit", data=form_for(name="x")).status_code == 400
    assert client.post("/spaces/CT-01/retire", data={"reason": "x"}).status_code == 400
    ledger_world.session.expire_all()
    assert row_counts(ledger_world.session) == before


def test_the_permit_page_links_its_space_to_the_ledger(app, ledger_world):
    permit = ledger_world.permit()
    page = signed_in(app, "attendant").get(f"/permits/{permit.number}").get_data(as_text=True)
    assert 'href="/spaces/WS-01"' in page
    space_page = signed_in(app, "attendant").get("/spaces/WS-01").get_data(as_text=True)
    assert f'href="/permits/{permit.number}"' in space_page
