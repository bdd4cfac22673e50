"""Campaigns, the monthly brief (工作简报) and the campaign's summary report (总结报告): every
figure computed from the visits and their findings, the same in the figures, the PDF's text
and the workbook's cells; bad input refused and nothing changed; outside the node, 404."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from permit import audit, campaign_reports, campaigns, inspections
from permit.campaign_workbooks import brief_workbook, summary_workbook
from permit.documents import FORM_FONT
from permit.documents.campaign_reports import brief_pdf, summary_pdf
from permit.errors import InvalidInput, NotFound
from permit.models import AuditEntry, Campaign, Inspection

from . import documents
from .campaign_world import CampaignWorld

sqlite_only = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


@pytest.fixture
def cw(session, clock) -> CampaignWorld:
    world = CampaignWorld(session, clock).build().two_months()
    session.commit()
    return world


def flat(words: str) -> str:
    """pdftotext breaks cells over lines; figures are read across them."""
    return "".join(words.split())


def brief(cw, node, month: str, viewer=None) -> dict:
    return campaign_reports.monthly_brief(
        cw.session, viewer or cw.regulator, node, month, now=cw.clock.now()
    )


def groups(figures) -> dict[str, int]:
    return {g["number"]: g["count"] for g in figures["by_group"]}


def sheet_rows(book, name: str) -> list[tuple]:
    return [tuple(r) for r in book[name].iter_rows(values_only=True)]


def overview(book) -> dict:
    return {r[0]: r[1] for r in book["概况"].iter_rows(min_row=4, values_only=True) if r[0]}


# -- the figures ----------------------------------------------------------------------------


def test_octobers_brief_counts_the_districts_visits_teams_streets_and_problems(cw):
    r = brief(cw, cw.binjiang, "2026-10")
    assert (r["visits"], r["enterprises"], r["problems"]) == (2, 2, 5)
    assert (r["answered"], r["fixed"], r["not_fixed"]) == (1, 0, 0)
    assert groups(r) == {
        "一": 0, "二": 0, "三": 2, "四": 0, "五": 1, "六": 0, "七": 0, "八": 1, "九": 0, "十": 1
    }  # fmt: skip
    assert [(t["number"], t["count"]) for t in r["top"]] == [(5, 2), (9, 1), (15, 1), (20, 1)]
    assert [(t["name"], t["visits"], t["problems"]) for t in r["teams"]] == [
        ("刘专家、陈专家", 1, 3),
        ("周专家、陈专家", 1, 2),
    ]
    areas = {a["name"]: a for a in r["areas"]}
    assert list(areas) == ["长河街道", "西兴街道"]
    assert (areas["长河街道"]["visits"], areas["长河街道"]["problems"]) == (1, 3)
    assert areas["长河街道"]["answered"] == 1
    assert (areas["西兴街道"]["visits"], areas["西兴街道"]["problems"]) == (1, 2)
    assert r["flags"] == []
    (progress,) = r["campaigns"]
    assert (progress["planned"], progress["done"], progress["to_do"]) == (4, 2, 2)
    assert not r["empty"]


def test_novembers_brief_counts_answers_verdicts_and_flags_of_earlier_visits(cw):
    r = brief(cw, cw.binjiang, "2026-11")
    assert (r["visits"], r["enterprises"], r["problems"]) == (1, 1, 1)
    assert (r["answered"], r["fixed"], r["not_fixed"]) == (2, 2, 2)
    assert [(f["enterprise"], f["checkpoint"]) for f in r["flags"]] == [
        ("丙公司", 20),
        ("甲公司", 9),
    ]
    areas = {a["name"]: a for a in r["areas"]}
    assert [areas["西兴街道"][k] for k in ("visits", "answered", "fixed", "not_fixed")] == [
        0,
        1,
        1,
        1,
    ]
    (progress,) = r["campaigns"]
    assert (progress["planned"], progress["done"], progress["to_do"]) == (4, 3, 1)


def test_a_citys_brief_is_per_district_and_a_streets_has_no_areas(cw):
    city = brief(cw, cw.city, "2026-11", viewer=cw.city_regulator)
    assert (city["visits"], city["problems"]) == (2, 2)
    assert [(a["name"], a["visits"]) for a in city["areas"]] == [("滨江区", 1), ("萧山区", 1)]
    street = brief(cw, cw.changhe, "2026-10")
    assert street["areas"] == [] and (street["visits"], street["problems"]) == (1, 3)
    # the district's campaign, counted in this street: 甲公司 twice and 乙公司
    assert street["campaigns"][0]["planned"] == 3


def test_a_month_with_nothing_says_so(cw):
    r = brief(cw, cw.binjiang, "2026-09")
    assert r["empty"] and r["visits"] == 0 and r["campaigns"] == [] and r["teams"] == []
    text = flat(documents.text(brief_pdf(r)))
    assert "本月滨江区未开展专家指导服务" in text and "无未整改问题" in text
    book = load_workbook(BytesIO(brief_workbook(r)))
    assert overview(book)["说明"].startswith("本月未开展专家指导服务")


def test_the_summary_report_covers_the_whole_campaign(cw):
    campaigns.write_summary(
        cw.session,
        cw.campaign,
        {"effects": "企业整改积极", "lessons": "边服务边反馈", "shortcomings": "覆盖不全"},
        actor=cw.regulator,
        clock=cw.clock,
    )
    r = campaign_reports.summary_report(cw.session, cw.campaign, now=cw.clock.now())
    assert (r["planned"], r["visits"], r["to_do"], r["closed"]) == (4, 3, 1, 0)
    assert (r["in_scope"], r["covered"], r["coverage"]) == (4, 3, "75.0%")
    assert r["not_served"] == ["己公司"]  # 丁公司 (市政) is not under the rules at all
    assert (r["problems"], r["answered"], r["fixed"], r["not_fixed"], r["open"]) == (6, 3, 2, 2, 2)
    assert r["rectification_rate"] == "33.3%"
    assert groups(r)["三"] == 3 and sum(groups(r).values()) == 6
    assert r["flagged_enterprises"] == ["丙公司", "甲公司"]
    assert r["effects"] == "企业整改积极" and r["name"] == "滨江区秋季专项行动"


# -- the documents --------------------------------------------------------------------------


def test_the_briefs_pdf_and_workbook_carry_every_figure(cw):
    r = brief(cw, cw.binjiang, "2026-11")
    pdf = brief_pdf(r)
    text = flat(documents.text(pdf))
    for expected in (
        "专家指导服务工作简报（2026年11月）",
        "依据：000工作要求三：每月汇总各专家组工作进展情况，形成工作简报",
        "要依法严格处罚",
        "杭州市›滨江区",
        "2026-11-01至2026-11-30",
        "本月滨江区共开展专家指导服务1次，服务企业1家，发现问题1项；企业答复整改2项，"
        "回头看判定已整改2项、未整改2项",
        "刘专家、陈专家111",  # team, visits, enterprises, problems
        "三有限空间管理台账和安全警示标志1",
        "合计1",
        "长河街道111111",  # visits, enterprises, problems, answered, fixed, not fixed
        "西兴街道000111",
        "甲公司",
        "第9项（五）第9项问题2026-11-08",
        "丙公司",
        "第20项（十）第20项问题2026-11-10",
        "滨江区秋季专项行动2026-10-01至2026-12-31431",
    ):
        assert flat(expected) in text, expected
    fonts = documents.fonts(pdf)  # the one face of the printed forms, embedded as a subset
    assert [f.name.split("+", 1)[-1] for f in fonts] == [FORM_FONT.replace(" ", "-")], fonts
    assert all(f.embedded and f.subset for f in fonts), fonts

    book = load_workbook(BytesIO(brief_workbook(r)))
    figures = overview(book)
    assert figures["开展服务（次）"] == 1 and figures["发现问题（项）"] == 1
    assert figures["企业已答复（项）"] == 2 and figures["回头看已整改（项）"] == 2
    assert figures["未整改、移交执法（项）"] == 2
    assert ("长河街道", 1, 1, 1, 1, 1, 1) in sheet_rows(book, "分辖区")
    assert ("西兴街道", 0, 0, 0, 1, 1, 1) in sheet_rows(book, "分辖区")
    assert ("三", "有限空间管理台账和安全警示标志", 1) in sheet_rows(book, "问题分布")
    flags = sheet_rows(book, "未整改移交执法")[1:]
    assert [(f[0], f[2]) for f in flags] == [("丙公司", 20), ("甲公司", 9)]
    assert sheet_rows(book, "专项行动进度")[1] == (
        "滨江区秋季专项行动",
        "2026-10-01 至 2026-12-31",
        4,
        3,
        1,
    )


def test_the_summarys_pdf_and_workbook_carry_every_figure_and_the_paragraphs(cw):
    campaigns.write_summary(
        cw.session,
        cw.campaign,
        {"effects": "企业整改积极", "lessons": "边服务边反馈", "shortcomings": "己公司未覆盖"},
        actor=cw.regulator,
        clock=cw.clock,
    )
    r = campaign_reports.summary_report(cw.session, cw.campaign, now=cw.clock.now())
    text = flat(documents.text(summary_pdf(r)))
    for expected in (
        "滨江区秋季专项行动 专家指导服务总结报告",
        "总结成效、梳理经验、发现不足",
        "滨江区秋季专项行动期间，滨江区计划专家指导服务4次，已开展3次（已结束0次），服务企业3家",
        "适用《规定》的企业4家，已覆盖3家，覆盖率75.0%",
        "共发现问题6项，回头看判定已整改2项，整改率33.3%；未整改2项",
        "尚未服务的适用企业：己公司",
        "移交执法的企业：丙公司、甲公司",
        "三有限空间管理台账和安全警示标志3",
        "合计6",
        "长河街道224211",  # visits, enterprises, problems, answered, fixed, not fixed
        "企业整改积极",
        "边服务边反馈",
        "己公司未覆盖",
    ):
        assert flat(expected) in text, expected
    book = load_workbook(BytesIO(summary_workbook(r)))
    figures = overview(book)
    visits = (figures["计划服务（次）"], figures["已开展（次）"], figures["待开展（次）"])
    assert visits == (4, 3, 1)
    assert (figures["适用企业（家）"], figures["已覆盖适用企业（家）"]) == (4, 3)
    assert figures["覆盖率"] == "75.0%" and figures["整改率"] == "33.3%"
    assert figures["发现问题（项）"] == 6 and figures["未整改、移交执法（项）"] == 2
    assert figures["移交执法的企业"] == "丙公司、甲公司"
    assert figures["工作成效"] == "企业整改积极" and figures["存在不足"] == "己公司未覆盖"
    assert (None, "合计", 6) in sheet_rows(book, "问题分布")


# -- campaigns and planning -----------------------------------------------------------------


def test_creating_a_campaign_is_audited_in_the_system_chain_and_refuses_bad_periods(cw):
    before = cw.session.scalar(select(func.count()).select_from(Campaign))
    with pytest.raises(InvalidInput) as refused:
        campaigns.create(
            cw.session,
            node=cw.changhe,
            name="倒置",
            starts_on=date(2026, 12, 1),
            ends_on=date(2026, 11, 1),
            actor=cw.regulator,
            clock=cw.clock,
        )
    assert "早于开始日期" in refused.value.reasons[0].message("zh")
    assert "before the start" in refused.value.reasons[0].message("en")
    with pytest.raises(NotFound):  # outside the regulator's node
        campaigns.create(
            cw.session,
            node=cw.xiaoshan,
            name="越界",
            starts_on=date(2026, 12, 1),
            ends_on=date(2026, 12, 31),
            actor=cw.regulator,
            clock=cw.clock,
        )
    with pytest.raises(NotFound):  # experts read campaigns, they do not open them
        campaigns.create(
            cw.session,
            node=cw.changhe,
            name="专家",
            starts_on=date(2026, 12, 1),
            ends_on=date(2026, 12, 31),
            actor=cw.liu,
            clock=cw.clock,
        )
    assert cw.session.scalar(select(func.count()).select_from(Campaign)) == before
    created = cw.session.scalars(
        select(AuditEntry).where(
            AuditEntry.subject_type == "campaigns", AuditEntry.subject_id == cw.campaign.id
        )
    ).one()
    assert created.chain == "system" and created.event == "create"
    assert created.data["jurisdiction"] == "HZ-BJ" and created.data["ends_on"] == "2026-12-31"
    assert list(audit.verify(cw.session)) == []


def test_the_summary_paragraphs_are_audited_once_per_change(cw):
    texts = {"effects": "成效甲", "lessons": "", "shortcomings": "不足甲"}
    for _ in range(2):  # the same text again writes nothing
        campaigns.write_summary(cw.session, cw.campaign, texts, actor=cw.regulator, clock=cw.clock)
    entries = cw.session.scalars(
        select(AuditEntry).where(
            AuditEntry.subject_type == "campaigns", AuditEntry.event == "write_summary"
        )
    ).all()
    assert [e.data for e in entries] == [{"effects": "成效甲", "shortcomings": "不足甲"}]
    with pytest.raises(NotFound):
        campaigns.write_summary(cw.session, cw.campaign, texts, actor=cw.liu, clock=cw.clock)


def test_a_visit_joins_a_campaign_only_of_a_node_holding_the_enterprise_within_its_period(cw):
    street_campaign = campaigns.create(
        cw.session,
        node=cw.xixing,
        name="西兴街道专项",
        starts_on=date(2026, 11, 23),
        ends_on=date(2026, 12, 31),
        actor=cw.regulator,
        clock=cw.clock,
    )
    count = cw.session.scalar(select(func.count()).select_from(Inspection))
    with pytest.raises(InvalidInput) as refused:  # 甲公司 is in 长河街道
        inspections.plan(
            cw.session,
            enterprise=cw.jia,
            planned_on=date(2026, 12, 2),
            lead=cw.regulator,
            experts=[cw.liu, cw.chen],
            clock=cw.clock,
            campaign=street_campaign,
        )
    assert refused.value.reasons[0].rule == "campaign_scope"
    with pytest.raises(InvalidInput) as refused:
        inspections.plan(
            cw.session,
            enterprise=cw.bing,
            planned_on=date(2027, 1, 5),
            lead=cw.regulator,
            experts=[cw.liu, cw.chen],
            clock=cw.clock,
            campaign=street_campaign,
        )
    assert refused.value.reasons[0].rule == "campaign_period"
    assert "2026-12-31" in refused.value.reasons[0].message("en")
    with pytest.raises(InvalidInput):  # the street regulator cannot see the district's campaign
        inspections.plan(
            cw.session,
            enterprise=cw.jia,
            planned_on=date(2026, 12, 2),
            lead=cw.street_regulator,
            experts=[],
            clock=cw.clock,
            campaign=cw.campaign,
        )
    assert cw.session.scalar(select(func.count()).select_from(Inspection)) == count
    visit = inspections.plan(
        cw.session,
        enterprise=cw.bing,
        planned_on=date(2026, 12, 2),
        lead=cw.regulator,
        experts=[cw.liu, cw.chen],
        clock=cw.clock,
        campaign=street_campaign,
    )
    assert visit.campaign_id == street_campaign.id
    planned = cw.session.scalars(
        select(AuditEntry).where(
            AuditEntry.subject_type == "inspections",
            AuditEntry.subject_id == visit.id,
            AuditEntry.event == "plan",
        )
    ).one()
    assert planned.chain == f"enterprise:{cw.bing.id}"
    assert planned.data["campaign_id"] == street_campaign.id


def test_a_bad_month_is_refused_in_both_languages(cw):
    for month in ("2026-13", "2026-1", "november", "", "2026-00"):
        with pytest.raises(InvalidInput) as refused:
            brief(cw, cw.binjiang, month)
        assert refused.value.reasons[0].rule == "bad_month"
        assert "月份无效" in refused.value.reasons[0].message("zh")
        assert "Not a month" in refused.value.reasons[0].message("en")
