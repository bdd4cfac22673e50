"""The figures of the monthly brief (工作简报) and of a campaign's summary report (总结报告),
procedure 000 工作要求三 定期总结, from aggregate queries over the visits and their findings.

A visit counts as done (开展) once its consultation has ended: the on-site service was given.
A problem is counted in the month (or campaign) of the visit that found it; its answer and the
follow-up's verdict (回头看) in the month they were recorded."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from . import followup, inspections, jurisdictions
from .clock import local_date, local_midnight, local_zone
from .errors import InvalidInput, plain
from .models import Campaign, Enterprise, Finding, Inspection, InspectionMember, Jurisdiction, User
from .qualification import add_months

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
TOP_CHECKPOINTS = 5


def parse_month(value: Any) -> tuple[date, date]:
    """'2026-11' → its first day and the first day of the next month."""
    found = MONTH.match(str(value or "").strip())
    if not found or not 1 <= int(found[2]) <= 12 or int(found[1]) < 2000:
        raise InvalidInput(
            [
                plain(
                    "bad_month",
                    "月份无效：{v}（格式如 2026-11）",
                    "Not a month: {v} (e.g. 2026-11)",
                    v=str(value or ""),
                )
            ]
        )
    year, month = int(found[1]), int(found[2])
    first = date(year, month, 1)
    return first, add_months(first, 1)


@dataclass
class Tally:
    """The figures of one slice (the whole node, a street, a team)."""

    name: str = ""
    visits: int = 0
    enterprises: set[int] = field(default_factory=set)
    problems: int = 0
    answered: int = 0
    fixed: int = 0
    not_fixed: int = 0

    @property
    def served(self) -> int:
        return len(self.enterprises)

    def row(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "visits": self.visits,
            "enterprises": self.served,
            "problems": self.problems,
            "answered": self.answered,
            "fixed": self.fixed,
            "not_fixed": self.not_fixed,
        }


def _areas(session: Session, node: Jurisdiction) -> tuple[dict[int, int], dict[int, str]]:
    """Each node below `node` → the child of `node` it lies under (a district's streets), and
    the children's names; the node itself stands for what is placed on it directly."""
    parents = dict(session.execute(select(Jurisdiction.id, Jurisdiction.parent_id)).all())
    names = {node.id: f"{node.name}（直属）"}
    children = session.execute(
        select(Jurisdiction.id, Jurisdiction.name)
        .where(Jurisdiction.parent_id == node.id)
        .order_by(Jurisdiction.code)
    ).all()
    names.update({cid: name for cid, name in children})
    area: dict[int, int] = {}
    for nid in jurisdictions.subtree(session, node.id):
        walk = nid
        while walk != node.id and parents.get(walk) != node.id:
            walk = parents[walk]
        area[nid] = walk
    return area, names


def _groups() -> tuple[list[dict[str, Any]], dict[int, str], dict[int, str]]:
    groups = inspections.workflow().section("checkpoint_groups")
    of = {p["number"]: g["number"] for g in groups for p in g["checkpoints"]}
    text = {c.number: c.text["zh"] for c in inspections.checkpoints()}
    return groups, of, text


def _english(number: int) -> str:
    return next(c.text["en"] for c in inspections.checkpoints() if c.number == number)


def _problem_figures(counts: Counter[int]) -> dict[str, Any]:
    groups, of, text = _groups()
    by_group: Counter[str] = Counter()
    for checkpoint, n in counts.items():
        by_group[of[checkpoint]] += n
    top = sorted((c for c in counts.items() if c[1]), key=lambda c: (-c[1], c[0]))
    return {
        "by_group": [
            {
                "number": g["number"],
                "name": g["zh"],
                "name_en": g["en"],
                "count": by_group[g["number"]],
            }
            for g in groups
        ],
        "top": [
            {"number": n, "group": of[n], "text": text[n], "text_en": _english(n), "count": c}
            for n, c in top[:TOP_CHECKPOINTS]
        ],
    }


def _tally(
    session: Session,
    visits: list[Any],
    rectified: list[Any],
    area: dict[int, int] | None,
    names: dict[int, str],
) -> dict[str, Any]:
    """The figures from the done visits (id, enterprise, node) and the rectification rows
    (node, answered?, verdict) of a period."""
    ids = [v.id for v in visits]
    per_visit = dict(
        session.execute(
            select(Finding.inspection_id, func.count())
            .where(Finding.inspection_id.in_(ids), Finding.result == "problem")
            .group_by(Finding.inspection_id)
        ).all()
    )
    per_checkpoint = Counter(
        dict(
            session.execute(
                select(Finding.checkpoint, func.count())
                .where(Finding.inspection_id.in_(ids), Finding.result == "problem")
                .group_by(Finding.checkpoint)
            ).all()
        )
    )
    team_of: dict[int, list[str]] = {}
    for visit_id, name in session.execute(
        select(InspectionMember.inspection_id, User.name)
        .join(User, User.id == InspectionMember.user_id)
        .where(InspectionMember.inspection_id.in_(ids))
    ):
        team_of.setdefault(visit_id, []).append(name)
    # Names sorted here, not in SQL: the databases' collations order Chinese differently.
    for names_of_team in team_of.values():
        names_of_team.sort()

    total = Tally()
    teams: dict[str, Tally] = {}
    areas: dict[int, Tally] = {}
    for v in visits:
        team = "、".join(team_of.get(v.id, [])) or "—"
        slices = [total, teams.setdefault(team, Tally(team))]
        if area is not None:
            a = area[v.jurisdiction_id]
            slices.append(areas.setdefault(a, Tally(names[a])))
        for t in slices:
            t.visits += 1
            t.enterprises.add(v.enterprise_id)
            t.problems += per_visit.get(v.id, 0)
    for r in rectified:
        slices = [total]
        if area is not None:
            a = area[r.jurisdiction_id]
            slices.append(areas.setdefault(a, Tally(names[a])))
        for t in slices:
            t.answered += r.answered
            t.fixed += r.fixed
            t.not_fixed += r.not_fixed
    area_rows = []
    if area is not None:
        order = list(names)  # the node itself first, then its children by code
        area_rows = [
            areas.get(a, Tally(names[a])).row()
            for a in order[1:] + order[:1]
            if a in areas or a != order[0]
        ]
    overall = total.row()
    del overall["name"]  # a slice's label; the whole has the report's own name
    cites = inspections.workflow().section("reports")
    return {
        **overall,
        "cite": cites.get("cite", ""),
        "summary_cite": cites.get("summary_cite", ""),
        "enforcement_cite": cites.get("enforcement_cite", ""),
        **_problem_figures(per_checkpoint),
        "teams": [teams[k].row() for k in sorted(teams)],
        "areas": area_rows,
    }


def _rectified(session: Session, nodes: set[int], *conditions: Any, within: tuple | None = None):
    """Per node of the visited enterprise: answers, and the follow-up's fixed / not fixed."""
    answered_in = Finding.answered_at.is_not(None)
    followed_in = Finding.followed_up_at.is_not(None)
    if within is not None:
        start, end = within
        answered_in = and_(Finding.answered_at >= start, Finding.answered_at < end)
        followed_in = and_(Finding.followed_up_at >= start, Finding.followed_up_at < end)
    problem = Finding.result == "problem"
    return session.execute(
        select(
            Inspection.jurisdiction_id,
            func.sum(case((and_(problem, answered_in), 1), else_=0)).label("answered"),
            func.sum(
                case((and_(problem, followed_in, followup.judged_fixed()), 1), else_=0)
            ).label("fixed"),
            func.sum(
                case((and_(problem, followed_in, followup.judged_not_fixed()), 1), else_=0)
            ).label("not_fixed"),
        )
        .join(Inspection, Inspection.id == Finding.inspection_id)
        .where(Inspection.jurisdiction_id.in_(nodes), problem, *conditions)
        .group_by(Inspection.jurisdiction_id)
    ).all()


def _flags(session: Session, nodes: set[int], *conditions: Any) -> list[dict[str, Any]]:
    """Problems the follow-up found not fixed: to enforcement (依法严格处罚), by enterprise."""
    _, of, text = _groups()
    rows = session.execute(
        select(
            Enterprise.name,
            Inspection.number,
            Finding.checkpoint,
            Finding.description,
            Finding.followed_up_at,
        )
        .join(Inspection, Inspection.id == Finding.inspection_id)
        .join(Enterprise, Enterprise.id == Inspection.enterprise_id)
        .where(
            Inspection.jurisdiction_id.in_(nodes),
            Finding.result == "problem",
            followup.judged_not_fixed(),
            *conditions,
        )
    ).all()
    rows = sorted(rows, key=lambda r: (r.name, r.number, r.checkpoint))
    return [
        {
            "enterprise": r.name,
            "visit": r.number,
            "checkpoint": r.checkpoint,
            "group": of[r.checkpoint],
            "item": text[r.checkpoint],
            "description": r.description,
            "on": local_date(r.followed_up_at).isoformat(),
        }
        for r in rows
    ]


def _done_visits(session: Session, nodes: set[int], *conditions: Any) -> list[Any]:
    return list(
        session.execute(
            select(Inspection.id, Inspection.enterprise_id, Inspection.jurisdiction_id)
            .where(
                Inspection.jurisdiction_id.in_(nodes),
                Inspection.consultation_ended_at.is_not(None),
                *conditions,
            )
            .order_by(Inspection.id)
        ).all()
    )


def _path_text(session: Session, node_id: int) -> str:
    return " › ".join(n.name for n in jurisdictions.path(session, node_id))


def rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


# -- the monthly brief ----------------------------------------------------------------------


def monthly_brief(
    session: Session, viewer: User, node: Jurisdiction, month: str, *, now: datetime
) -> dict[str, Any]:
    """工作简报: a node's month (and its streets' when it has any), as plain data."""
    first, following = parse_month(month)
    start, end = local_midnight(first), local_midnight(following)  # the regulator's month
    nodes = jurisdictions.subtree(session, node.id)
    area, names = _areas(session, node)
    visits = _done_visits(
        session,
        nodes,
        Inspection.consultation_ended_at >= start,
        Inspection.consultation_ended_at < end,
    )
    rectified = _rectified(session, nodes, within=(start, end))
    figures = _tally(session, visits, rectified, area if len(names) > 1 else None, names)
    flags = _flags(session, nodes, Finding.followed_up_at >= start, Finding.followed_up_at < end)
    return {
        "kind": "brief",
        "title": f"专家指导服务工作简报（{first.year}年{first.month}月）",
        "node": node.name,
        "path": _path_text(session, node.id),
        "month": f"{first:%Y-%m}",
        "period": f"{first.isoformat()} 至 {(following - timedelta(days=1)).isoformat()}",
        "as_of": now.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M"),
        "empty": not visits
        and not flags
        and not any(r.answered or r.fixed or r.not_fixed for r in rectified),
        **figures,
        "flags": flags,
        "campaigns": _campaign_progress(session, viewer, node, nodes, first, following, end),
    }


def _campaign_progress(
    session: Session,
    viewer: User,
    node: Jurisdiction,
    nodes: set[int],
    first: date,
    following: date,
    end: datetime,
) -> list[dict[str, Any]]:
    """The campaigns running in the month that hold the node or lie below it (and that the
    viewer may see): their visits in the node, done by the month's end and still to do."""
    holding = {n.id for n in jurisdictions.path(session, node.id)} | nodes
    seen = jurisdictions.visible_nodes(session, viewer)
    done = and_(
        Inspection.consultation_ended_at.is_not(None), Inspection.consultation_ended_at < end
    )
    rows = session.execute(
        select(
            Campaign.id,
            Campaign.name,
            Campaign.starts_on,
            Campaign.ends_on,
            func.count(Inspection.id).label("planned"),
            func.coalesce(func.sum(case((done, 1), else_=0)), 0).label("done"),
        )
        .outerjoin(
            Inspection,
            and_(Inspection.campaign_id == Campaign.id, Inspection.jurisdiction_id.in_(nodes)),
        )
        .where(
            Campaign.jurisdiction_id.in_(holding & seen),
            Campaign.starts_on < following,
            Campaign.ends_on >= first,
        )
        .group_by(Campaign.id, Campaign.name, Campaign.starts_on, Campaign.ends_on)
        .order_by(Campaign.starts_on, Campaign.id)
    ).all()
    return [
        {
            "name": r.name,
            "period": f"{r.starts_on.isoformat()} 至 {r.ends_on.isoformat()}",
            "planned": r.planned,
            "done": r.done,
            "to_do": r.planned - r.done,
        }
        for r in rows
    ]


# -- the campaign's summary report ----------------------------------------------------------


def summary_report(session: Session, campaign: Campaign, *, now: datetime) -> dict[str, Any]:
    """总结报告: the whole campaign, its coverage of the enterprises the rules cover in its node,
    the rectification rate and the enterprises flagged for enforcement."""
    node = session.get(Jurisdiction, campaign.jurisdiction_id)
    nodes = jurisdictions.subtree(session, node.id)
    area, names = _areas(session, node)
    in_campaign = Inspection.campaign_id == campaign.id
    visits = _done_visits(session, nodes, in_campaign)
    rectified = _rectified(session, nodes, in_campaign)
    figures = _tally(session, visits, rectified, area if len(names) > 1 else None, names)
    flags = _flags(session, nodes, in_campaign)
    planned, closed = session.execute(
        select(
            func.count(Inspection.id),
            func.coalesce(func.sum(case((Inspection.state == "closed", 1), else_=0)), 0),
        ).where(in_campaign)
    ).one()
    # Whether the rules cover an enterprise is derived from its industry and pack (art. 2),
    # judged on the campaign's last day (or today, while it runs).
    on = min(campaign.ends_on, local_date(now))
    enterprises = session.scalars(
        select(Enterprise).where(Enterprise.jurisdiction_id.in_(nodes)).order_by(Enterprise.code)
    ).all()
    in_scope = [e for e in enterprises if jurisdictions.scope_of(session, e, on).applies]
    served = {v.enterprise_id for v in visits}
    covered = [e for e in in_scope if e.id in served]
    not_served = [e.name for e in in_scope if e.id not in served]
    return {
        "kind": "summary",
        "title": f"{campaign.name} 专家指导服务总结报告",
        "name": campaign.name,
        "node": node.name,
        "path": _path_text(session, node.id),
        "period": f"{campaign.starts_on.isoformat()} 至 {campaign.ends_on.isoformat()}",
        "as_of": now.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M"),
        "planned": planned,
        "closed": int(closed),
        "to_do": planned - figures["visits"],
        "in_scope": len(in_scope),
        "covered": len(covered),
        "coverage": rate(len(covered), len(in_scope)),
        "not_served": not_served,
        "rectification_rate": rate(figures["fixed"], figures["problems"]),
        "answer_rate": rate(figures["answered"], figures["problems"]),
        "open": figures["problems"] - figures["fixed"] - figures["not_fixed"],
        "empty": not visits,
        **figures,
        "flags": flags,
        "flagged_enterprises": sorted({f["enterprise"] for f in flags}),
        "effects": campaign.effects,
        "lessons": campaign.lessons,
        "shortcomings": campaign.shortcomings,
    }
