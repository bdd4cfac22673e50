"""Campaigns of expert visits on the regulator's desk, their summary report (总结报告) and the
monthly brief (工作简报) of a node, as pages, PDFs and workbooks. Regulators and experts of the
node read them; only regulators create campaigns and write the summary's paragraphs."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from permit import campaign_reports, campaigns, jurisdictions
from permit.campaign_workbooks import brief_workbook, summary_workbook
from permit.clock import local_date
from permit.documents.campaign_reports import brief_pdf, summary_pdf
from permit.errors import NotFound
from permit.models import Campaign, Jurisdiction, User

from . import clock, get_session
from .auth import me
from .downloads import pdf_cache, pdf_response
from .errors import notify
from .workbooks import download

bp = Blueprint("campaigns", __name__)


def _overseer() -> User:
    user = me()
    if not jurisdictions.overseer(user):
        raise NotFound([])
    return user


def _nodes(session, user: User) -> list[Jurisdiction]:
    """The nodes a brief may be asked for: the user's own and those below it."""
    seen = jurisdictions.visible_nodes(session, user)
    return list(
        session.scalars(
            select(Jurisdiction).where(Jurisdiction.id.in_(seen)).order_by(Jurisdiction.code)
        )
    )


@bp.get("/campaigns")
@login_required
def index():
    session = get_session()
    user = _overseer()
    today = local_date(clock().now())
    found = session.scalars(
        campaigns.visible_campaigns(session, user).order_by(
            Campaign.starts_on.desc(), Campaign.id.desc()
        )
    ).all()
    nodes = _nodes(session, user)
    return render_template(
        "campaigns/index.html",
        campaigns=found,
        names={n.id: n.name for n in nodes},
        nodes=nodes,
        manage=campaigns.can_manage(user),
        today=today,
        month=f"{today:%Y-%m}",
    )


@bp.post("/campaigns")
@login_required
def create():
    session = get_session()
    user = _overseer()
    if not campaigns.can_manage(user):
        raise NotFound([])
    g.back = url_for("campaigns.index")
    node = campaigns.node_for(session, user, request.form.get("node", ""))
    starts_on = campaigns.parse_day(
        request.form.get("starts_on"), "bad_date", "请填写开始日期", "Give the start date"
    )
    ends_on = campaigns.parse_day(
        request.form.get("ends_on"), "bad_date", "请填写结束日期", "Give the end date"
    )
    campaign = campaigns.create(
        session,
        node=node,
        name=request.form.get("name", ""),
        starts_on=starts_on,
        ends_on=ends_on,
        actor=user,
        clock=clock(),
    )
    session.commit()
    notify(_("Campaign %(name)s created.", name=campaign.name), "ok")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id), code=303)


@bp.get("/campaigns/<int:campaign_id>")
@login_required
def show(campaign_id: int):
    session = get_session()
    user = _overseer()
    campaign = campaigns.campaign_for(session, user, campaign_id)
    return render_template(
        "campaigns/show.html",
        campaign=campaign,
        r=campaign_reports.summary_report(session, campaign, now=clock().now()),
        manage=campaigns.can_manage(user),
    )


@bp.post("/campaigns/<int:campaign_id>/summary")
@login_required
def write_summary(campaign_id: int):
    session = get_session()
    user = _overseer()
    campaign = campaigns.campaign_for(session, user, campaign_id)
    g.back = url_for("campaigns.show", campaign_id=campaign.id)
    campaigns.write_summary(
        session,
        campaign,
        {f: request.form.get(f, "") for f in campaigns.SUMMARY_FIELDS},
        actor=user,
        clock=clock(),
    )
    session.commit()
    notify(_("Summary saved."), "ok")
    return redirect(g.back + "#summary", code=303)


@bp.get("/campaigns/<int:campaign_id>/report.pdf")
@login_required
def report_pdf(campaign_id: int):
    session = get_session()
    campaign = campaigns.campaign_for(session, _overseer(), campaign_id)
    figures = campaign_reports.summary_report(session, campaign, now=clock().now())
    return pdf_response(summary_pdf(figures, cache=pdf_cache()), f"总结报告-{campaign.name}.pdf")


@bp.get("/campaigns/<int:campaign_id>/report.xlsx")
@login_required
def report_xlsx(campaign_id: int):
    session = get_session()
    campaign = campaigns.campaign_for(session, _overseer(), campaign_id)
    figures = campaign_reports.summary_report(session, campaign, now=clock().now())
    return download(summary_workbook(figures), f"总结报告-{campaign.name}.xlsx")


def _brief(session, user: User) -> tuple[Jurisdiction, dict]:
    """The brief the query asks for: a node of the user's (their own by default) and a month
    (this one by default); a bad month is refused back on the campaigns page."""
    g.back = url_for("campaigns.index")
    code = request.args.get("node") or ""
    node = (
        campaigns.node_for(session, user, code)
        if code
        else session.get(Jurisdiction, user.jurisdiction_id)
    )
    month = request.args.get("month") or f"{local_date(clock().now()):%Y-%m}"
    figures = campaign_reports.monthly_brief(session, user, node, month, now=clock().now())
    return node, figures


@bp.get("/campaigns/brief")
@login_required
def brief():
    session = get_session()
    node, figures = _brief(session, _overseer())
    return render_template("campaigns/brief.html", node=node, r=figures)


@bp.get("/campaigns/brief.pdf")
@login_required
def brief_as_pdf():
    session = get_session()
    node, figures = _brief(session, _overseer())
    return pdf_response(
        brief_pdf(figures, cache=pdf_cache()), f"工作简报-{node.name}-{figures['month']}.pdf"
    )


@bp.get("/campaigns/brief.xlsx")
@login_required
def brief_as_xlsx():
    session = get_session()
    node, figures = _brief(session, _overseer())
    return download(brief_workbook(figures), f"工作简报-{node.name}-{figures['month']}.xlsx")
