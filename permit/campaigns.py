"""Campaigns of expert guidance (专家指导服务): a regulator's period of visits in one node of
the tree, and the three paragraphs of its summary report (成效、经验、不足, procedure 000 三)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from . import audit, jurisdictions
from .clock import Clock
from .errors import InvalidInput, NotFound, plain
from .models import Campaign, Enterprise, Jurisdiction, Role, User

MAX_NAME = 120
MAX_TEXT = 4000
SUMMARY_FIELDS = ("effects", "lessons", "shortcomings")


def can_manage(user: User) -> bool:
    """Regulators create campaigns and write their summaries; experts only read them."""
    return jurisdictions.overseer(user) and user.has_role(Role.regulator)


def visible_campaigns(session: Session, user: User) -> Select[tuple[Campaign]]:
    """The campaigns of the user's node and the nodes below it: a campaign higher up belongs
    to the regulators up there, and its report covers districts the user may not see."""
    nodes = jurisdictions.visible_nodes(session, user)
    if not nodes:
        return select(Campaign).where(false())
    return select(Campaign).where(Campaign.jurisdiction_id.in_(nodes))


def campaign_for(session: Session, user: User, campaign_id: Any) -> Campaign:
    try:
        wanted = int(campaign_id)
    except (TypeError, ValueError):
        wanted = -1
    found = session.scalars(visible_campaigns(session, user).where(Campaign.id == wanted)).first()
    if found is None:
        raise NotFound([plain("not_found", "没有找到该专项行动", "No such campaign")])
    return found


def node_for(session: Session, user: User, code: str) -> Jurisdiction:
    """A node of the user's own part of the tree, by its code; any other is not there."""
    if not str(code or "").strip():
        raise _refuse("no_jurisdiction", "请选择辖区", "Choose a jurisdiction")
    node = session.scalars(select(Jurisdiction).where(Jurisdiction.code == str(code))).first()
    if node is None or node.id not in jurisdictions.visible_nodes(session, user):
        raise NotFound(
            [plain("not_found", "没有找到辖区 {code}", "No jurisdiction {code}", code=code)]
        )
    return node


def _refuse(rule: str, zh: str, en: str, **params: Any) -> InvalidInput:
    return InvalidInput([plain(rule, zh, en, **params)])


def parse_day(value: Any, rule: str, zh: str, en: str) -> date:
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise _refuse(rule, zh, en) from None


def create(
    session: Session,
    *,
    node: Jurisdiction,
    name: str,
    starts_on: date,
    ends_on: date,
    actor: User,
    clock: Clock,
) -> Campaign:
    """A regulator opens a campaign for a node of their part of the tree."""
    if not can_manage(actor) or node.id not in jurisdictions.visible_nodes(session, actor):
        raise NotFound([plain("not_found", "没有找到辖区", "No such jurisdiction")])
    name = " ".join(str(name or "").split())
    if not name:
        raise _refuse("campaign_name", "请填写专项行动名称", "Give the campaign a name")
    if len(name) > MAX_NAME:
        raise _refuse(
            "campaign_name", "名称超过{n}字", "The name is longer than {n} characters", n=MAX_NAME
        )
    if ends_on < starts_on:
        raise _refuse(
            "campaign_period",
            "结束日期（{end}）早于开始日期（{start}）",
            "The end ({end}) is before the start ({start})",
            end=ends_on.isoformat(),
            start=starts_on.isoformat(),
        )
    campaign = Campaign(
        jurisdiction_id=node.id,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by_id=actor.id,
        created_at=clock.now(),
        effects="",
        lessons="",
        shortcomings="",
    )
    session.add(campaign)
    session.flush()
    _audit(
        session,
        campaign,
        actor,
        "create",
        clock,
        jurisdiction=node.code,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    return campaign


def write_summary(
    session: Session, campaign: Campaign, texts: dict[str, Any], *, actor: User, clock: Clock
) -> Campaign:
    """The regulator's 成效 / 经验 / 不足 for the summary report; only what changed is logged."""
    if not can_manage(actor) or campaign.jurisdiction_id not in jurisdictions.visible_nodes(
        session, actor
    ):
        raise NotFound([])
    cleaned = {f: str(texts.get(f) or "").strip() for f in SUMMARY_FIELDS}
    if any(len(v) > MAX_TEXT for v in cleaned.values()):
        raise _refuse(
            "too_long", "内容超过{n}字", "The text is longer than {n} characters", n=MAX_TEXT
        )
    changed = {f: v for f, v in cleaned.items() if getattr(campaign, f) != v}
    if not changed:
        return campaign
    for field, value in changed.items():
        setattr(campaign, field, value)
    session.flush()
    _audit(session, campaign, actor, "write_summary", clock, **changed)
    return campaign


def for_enterprise(session: Session, lead: User, enterprise: Enterprise) -> list[Campaign]:
    """The campaigns a visit to this enterprise may join: of a node holding the enterprise,
    and the lead's own to see."""
    holding = {n.id for n in jurisdictions.path(session, enterprise.jurisdiction_id)}
    return list(
        session.scalars(
            visible_campaigns(session, lead)
            .where(Campaign.jurisdiction_id.in_(holding))
            .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
        )
    )


def _audit(
    session: Session, campaign: Campaign, actor: User, event: str, clock: Clock, **data: Any
) -> None:
    """Into the system chain, beside the tree's own nodes: a campaign belongs to a node, not to
    an enterprise, and no enterprise's record should carry another's campaign. A visit's
    joining a campaign is recorded in the visited enterprise's chain when it is planned."""
    audit.append(
        session,
        enterprise_id=None,
        actor_id=actor.id,
        actor_role=str(Role.regulator),
        subject_type="campaigns",
        subject_id=campaign.id,
        event=event,
        data=data,
        at=clock.now(),
    )
