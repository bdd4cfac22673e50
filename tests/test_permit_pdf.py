"""The permit form (作业审批单) as a PDF: everything the permit holds, read back from the PDF's
text, its embedded fonts and the QR code printed on it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from permit import gas, registers
from permit.clock import local_text
from permit.documents import FORM_FONT
from permit.documents.permit_form import permit_pdf
from permit.engine import workflow_of
from permit.qr import permit_url

from . import documents

BASE = "https://permits.example.com"
sqlite_only = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


def pdf_of(world, permit, **kw) -> bytes:
    return permit_pdf(world.session, permit, base_url=BASE, now=world.clock.now(), **kw)


def one_line(words: str) -> str:
    """pdftotext breaks long cells over lines; the form's facts are read across them."""
    return "".join(words.split())


@pytest.fixture
def closed_permit(world, clock):
    """A permit run from request to close: in and out, an evacuation, signatures."""
    company = registers.add_contractor(
        world.session, world.enterprise, name="安达清淤", clock=clock
    )
    registers.add_agreement(
        world.session,
        company,
        valid_from=world.today - timedelta(days=10),
        valid_to=world.today + timedelta(days=100),
        scope=["cleaning"],
        clock=clock,
    )
    world.session.commit()
    permit = world.working(contractor=company, supervisor=world.deputy, purpose="清理池底淤泥")
    world.fire(permit, "check_in", person=world.entrant.id)
    world.fire(permit, "check_out", person=world.entrant.id)
    world.fire(permit, "suspend", reason="午休暂停")
    world.fire(permit, "finish")
    world.fire(permit, "close")
    assert permit.state == "closed"
    return permit


@sqlite_only
def test_the_form_holds_everything_the_permit_does(world, closed_permit):
    permit = closed_permit
    words = documents.text(pdf_of(world, permit))
    flat = one_line(words)
    wf = workflow_of(permit)
    expected = [
        "有限空间作业审批单",
        permit.number,
        "已关闭",
        "WS-01",
        "1号污水处理池",
        "清理池底淤泥",
        "清理",  # task type
        local_text(permit.window_start),
        local_text(permit.window_end),
        "钱工",  # requester
        "王主任",  # approver …
        "主要负责人",  # … with the role he signed in …
        wf.tier_label("major", "zh"),  # … the tier …
        "孙监护",  # attendant
        "周作业",
        "吴作业",  # entrants
        "郑救援",  # rescuer
        "安达清淤",  # contractor
        "现场监督人",  # the enterprise's on-site supervisor (art. 6) …
        "李副总",  # … by name
        "硫化氢中毒",
        "缺氧窒息",  # hazards
        "入口上锁",
        "隔离栏",
        "入口上锁已解除",  # isolation, and what the attendant recorded releasing it
        "作业前强制通风30分钟",
        "持续检测硫化氢浓度",  # control measures …
        "作业人员已正确佩戴防护用品",  # … and checklists
        "D-01",
        "泵吸式四合一检测仪",  # the detector
        "20.9%vol",
        "0.5mg/m3",  # readings
        "进入",
        "出来",  # the entry log
        "暂停作业",
        "午休暂停",  # the suspension and its reason
        "作业结束",
        "关闭作业票",  # closing signatures
    ]
    missing = [e for e in expected if one_line(e) not in flat]
    assert not missing, missing
    # Every signature with its time, and who confirmed each control measure, when.
    for signature in permit.signatures:
        assert one_line(local_text(signature.signed_at)) in flat
    brief = [c for c in permit.checks if c.event == "brief"]
    assert brief and all(one_line(f"孙监护 {local_text(c.confirmed_at)}") in flat for c in brief)


@sqlite_only
def test_the_form_states_the_entry_limits_of_the_permits_own_rule_pack(world, clock):
    other = registers.create_enterprise(
        world.session,
        code="Q13",
        name="令13企业",
        industry="light",
        clock=clock,
        rule_pack="order13-2024",
    )
    tank = registers.add_space(
        world.session, other, code="FT-1", name="发酵罐", hazards=["co2"], clock=clock
    )
    admin = world.person("令13管理员", ["admin"], enterprise=other)
    order13 = registers.create_permit(world.session, space=tank, requester=admin, clock=clock)
    draft = world.permit(hazards=["h2s", "flammable"])  # the draft tests only what is listed
    # Flammable gas: the draft's "below 10 %LEL" against GB 46768's "not above 10 %LEL".
    for permit, lel in ((draft, "< 10 %LEL"), (order13, "≤ 10 %LEL")):
        wf = workflow_of(permit)
        flat = one_line(documents.text(pdf_of(world, permit)))
        assert one_line(lel) in flat and one_line(wf.section("gases")["lel"]["cite"]) in flat
        for g in gas.gases_to_test(permit.hazards, wf):
            assert one_line(wf.section("gases")[g]["zh"] + gas.limit_text(g, wf)) in flat


@sqlite_only
def test_the_form_embeds_its_cjk_font_and_carries_a_qr_code_to_the_live_permit(world):
    permit = world.working()
    pdf = pdf_of(world, permit)
    fonts = documents.fonts(pdf)
    # One face, the form's Chinese one, embedded as a subset: a second face (a bold table
    # header, a fallback) would be subset and embedded again in every PDF.
    assert [f.name.split("+", 1)[-1] for f in fonts] == [FORM_FONT.replace(" ", "-")], fonts
    assert all(f.embedded and f.subset for f in fonts), fonts
    assert documents.qr_codes(documents.rasterise(pdf, dpi=100)) == [
        permit_url(BASE, permit.number)
    ]


# -- over the web -------------------------------------------------------------------------------


@pytest.fixture
def app(make_app, world, clock):
    return make_app(WTF_CSRF_ENABLED=False, CLOCK=clock, PUBLIC_BASE_URL="https://p.example.org")


def signed_in(app, username: str):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "demo"}).status_code == 302
    return client


def test_the_permit_page_links_to_its_pdf_and_the_pdf_is_served_to_whoever_sees_the_permit(
    app, world
):
    permit = world.working()
    client = signed_in(app, "entrant")
    page = client.get(f"/permits/{permit.number}").get_data(as_text=True)
    assert f'href="/permits/{permit.number}.pdf"' in page
    response = client.get(f"/permits/{permit.number}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert documents.qr_codes(documents.rasterise(response.data, dpi=100)) == [
        f"https://p.example.org/permits/{permit.number}"
    ]


def test_a_contractor_gets_the_pdf_of_its_own_permits_only(app, world, clock):
    company = registers.add_contractor(world.session, world.enterprise, name="承包商", clock=clock)
    world.person("承包负责人", ["contractor"], username="firm", contractor=company)
    ours = world.permit(contractor=company)
    theirs = world.permit()
    client = signed_in(app, "firm")
    assert client.get(f"/permits/{ours.number}.pdf").status_code == 200
    assert client.get(f"/permits/{theirs.number}.pdf").status_code == 404
    assert app.test_client().get(f"/permits/{ours.number}.pdf").status_code == 302


@sqlite_only
def test_an_unchanged_permit_is_served_from_the_cache_and_a_changed_one_is_not(app, world):
    permit = world.working()
    client = signed_in(app, "principal")
    first = client.get(f"/permits/{permit.number}.pdf").data
    assert client.get(f"/permits/{permit.number}.pdf").data == first
    world.fire(permit, "check_in", person=world.entrant.id)
    changed = client.get(f"/permits/{permit.number}.pdf").data
    assert changed != first
    assert "周作业" in documents.text(changed).split("八、人员进出记录", 1)[1]
