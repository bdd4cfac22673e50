"""Campaigns, the monthly brief and the summary report through the web: regulators and experts
of the node read them, only regulators write; everyone else gets 404; bad input is refused in
the user's language and changes nothing."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook

from permit.models import Campaign, Inspection

from . import documents
from .campaign_world import CampaignWorld
from .helpers import row_counts
from .test_web import flashes, signed_in


@pytest.fixture
def cw(session, clock) -> CampaignWorld:
    world = CampaignWorld(session, clock).build().two_months()
    session.commit()
    return world


@pytest.fixture
def app(make_app, cw, clock):
    return make_app(WTF_CSRF_ENABLED=False, CLOCK=clock)


def urls(cw) -> list[str]:
    c = cw.campaign.id
    return [
        f"/campaigns/{c}",
        f"/campaigns/{c}/report.pdf",
        f"/campaigns/{c}/report.xlsx",
        "/campaigns/brief?node=HZ-BJ&month=2026-11",
        "/campaigns/brief.pdf?node=HZ-BJ&month=2026-11",
        "/campaigns/brief.xlsx?node=HZ-BJ&month=2026-11",
    ]


def test_regulators_and_experts_of_the_node_read_everyone_else_gets_404(cw, app):
    for username in ("regulator", "expert", "regulator-city"):
        client = signed_in(app, username)
        for url in urls(cw):
            assert client.get(url).status_code == 200, (username, url)
    for username in ("regulator-xs", "expert-xs", "regulator-ch", "principal"):
        client = signed_in(app, username)
        for url in urls(cw):
            assert client.get(url).status_code == 404, (username, url)
    assert signed_in(app, "principal").get("/campaigns").status_code == 404
    listing = signed_in(app, "regulator-xs").get("/campaigns").get_data(as_text=True)
    assert cw.campaign.name not in listing


def test_the_desk_lists_the_campaign_and_the_brief_page_shows_the_figures(cw, app):
    client = signed_in(app, "regulator")
    desk = client.get("/inspections").get_data(as_text=True)
    assert cw.campaign.name in desk and f"/campaigns/{cw.campaign.id}" in desk
    page = client.get("/campaigns/brief?node=HZ-BJ&month=2026-11").get_data(as_text=True)
    assert "长河街道" in page and "丙公司" in page and "甲公司" in page
    pdf = client.get("/campaigns/brief.pdf?node=HZ-BJ&month=2026-11")
    assert pdf.mimetype == "application/pdf"
    assert "未整改2项" in "".join(documents.text(pdf.data).split())
    book = load_workbook(BytesIO(client.get(f"/campaigns/{cw.campaign.id}/report.xlsx").data))
    figures = {r[0]: r[1] for r in book["概况"].iter_rows(min_row=4, values_only=True) if r[0]}
    assert figures["覆盖率"] == "75.0%"
    empty = client.get("/campaigns/brief?node=HZ-BJ&month=2026-09").get_data(as_text=True)
    assert 'id="brief-empty"' in empty


def test_a_regulator_creates_a_campaign_and_writes_its_summary_an_expert_cannot(cw, app):
    client = signed_in(app, "regulator")
    made = client.post(
        "/campaigns",
        data={"name": "长河街道冬季行动", "node": "HZ-BJ-CH", "starts_on": "2026-12-01",
              "ends_on": "2027-01-31"},
    )  # fmt: skip
    assert made.status_code == 303
    campaign = cw.session.query(Campaign).filter_by(name="长河街道冬季行动").one()
    assert made.headers["Location"].endswith(f"/campaigns/{campaign.id}")
    saved = client.post(
        f"/campaigns/{campaign.id}/summary",
        data={"effects": "成效", "lessons": "经验", "shortcomings": "不足"},
    )
    assert saved.status_code == 303
    cw.session.refresh(campaign)
    assert (campaign.effects, campaign.lessons, campaign.shortcomings) == ("成效", "经验", "不足")
    pdf = client.get(f"/campaigns/{campaign.id}/report.pdf").data
    text = "".join(documents.text(pdf).split())
    assert "尚未开展现场会诊" in text and "成效" in text

    expert = signed_in(app, "expert")
    before = row_counts(cw.session)
    assert expert.get(f"/campaigns/{campaign.id}").status_code == 200
    summary = expert.post(f"/campaigns/{campaign.id}/summary", data={"effects": "x"})
    assert summary.status_code == 404
    assert (
        expert.post(
            "/campaigns",
            data={"name": "x", "node": "HZ-BJ", "starts_on": "2026-12-01", "ends_on": "2026-12-02"},
        ).status_code
        == 404
    )
    assert row_counts(cw.session) == before


def test_bad_campaigns_and_months_are_refused_in_the_users_language(cw, app):
    client = signed_in(app, "regulator", lang="en")
    before = row_counts(cw.session)
    good = {"name": "x", "node": "HZ-BJ", "starts_on": "2026-12-01", "ends_on": "2026-12-02"}
    for change, message in (
        ({"starts_on": "2026-12-31"}, "is before the start"),
        ({"starts_on": "soon"}, "start date"),
        ({"name": " "}, "name"),
        ({"node": ""}, "jurisdiction"),
    ):
        data = {**good, **change}
        refused = client.post("/campaigns", data=data)
        assert refused.status_code == 303
        shown = flashes(client.get(refused.headers["Location"]).get_data(as_text=True))
        assert any(message in m for m in shown), (data, shown)
    outside = {"name": "x", "node": "HZ-XS", "starts_on": "2026-12-01", "ends_on": "2026-12-02"}
    assert client.post("/campaigns", data=outside).status_code == 404
    for url in ("/campaigns/brief?node=HZ-BJ&month=2026-13", "/campaigns/brief.pdf?month=x"):
        refused = client.get(url)
        assert refused.status_code == 303
        shown = flashes(client.get(refused.headers["Location"]).get_data(as_text=True))
        assert any("Not a month" in m for m in shown)
    assert client.get("/campaigns/brief?node=HZ-XS&month=2026-11").status_code == 404
    assert client.get("/campaigns/999999").status_code == 404
    zh = signed_in(app, "regulator")
    refused = zh.get("/campaigns/brief.xlsx?node=HZ-BJ&month=2026-00")
    shown = flashes(zh.get(refused.headers["Location"]).get_data(as_text=True))
    assert any("月份无效" in m for m in shown)
    assert row_counts(cw.session) == before


def test_planning_through_the_web_puts_the_visit_into_the_campaign(cw, app):
    client = signed_in(app, "regulator")
    page = client.get(f"/inspections/enterprises/{cw.bing.code}").get_data(as_text=True)
    assert cw.campaign.name in page
    planned = client.post(
        f"/inspections/enterprises/{cw.bing.code}/visits",
        data={"planned_on": "2026-12-05", "campaign": str(cw.campaign.id),
              "experts": [str(cw.liu.id), str(cw.chen.id)]},
    )  # fmt: skip
    assert planned.status_code == 303
    number = planned.headers["Location"].rsplit("/", 1)[-1]
    visit = cw.session.query(Inspection).filter_by(number=number).one()
    assert visit.campaign_id == cw.campaign.id
    before = row_counts(cw.session)
    late = client.post(
        f"/inspections/enterprises/{cw.bing.code}/visits",
        data={"planned_on": "2027-03-01", "campaign": str(cw.campaign.id)},
    )
    shown = flashes(client.get(late.headers["Location"]).get_data(as_text=True))
    assert any("专项行动期间" in m for m in shown)
    unknown = client.post(
        f"/inspections/enterprises/{cw.bing.code}/visits",
        data={"planned_on": "2026-12-05", "campaign": "999999"},
    )
    shown = flashes(client.get(unknown.headers["Location"]).get_data(as_text=True))
    assert any("没有找到该专项行动" in m for m in shown)
    assert row_counts(cw.session) == before
