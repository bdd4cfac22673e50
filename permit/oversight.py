"""The regulator's board (监管看板): for one node of the jurisdiction tree and everything below
it, the enterprises the rules cover by industry (art. 2), their key-supervision spaces (重点监管,
art. 15 and the appendix), this year's expert visits, open and overdue problems, and the annual
enforcement plan (年度执法工作计划, art. 16). Every figure comes from a handful of aggregate
queries over the node's subtree: the board costs the same number of statements for a street
of ten enterprises as for a city of thousands."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, case, cast, false, func, or_, select
from sqlalchemy.orm import Session

from . import followup, jurisdictions, packs
from .catalogue import catalogue
from .clock import local_date
from .errors import NotFound, Reason, plain
from .inspections import workflow as visit_workflow
from .models import Campaign, Enterprise, Finding, Inspection, Jurisdiction, Space, User
from .packs import Pack

# The visit's states once the consultation has taken place: its problem list exists.
VISITED = ("debrief", "rectifying", "follow_up", "closed")
PROBLEM = "problem"
HAZARD_CATEGORY = "hazard"  # key supervision by a poisoning hazard, the class not listed

Label = Mapping[str, str]


# -- the tree ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tree:
    """The whole jurisdiction tree, read in one query (a city's streets: small)."""

    nodes: Mapping[int, Jurisdiction]
    children: Mapping[int | None, list[int]]

    def below(self, root: int) -> set[int]:
        found, stack = set(), [root]
        while stack:
            node = stack.pop()
            found.add(node)
            stack.extend(self.children.get(node, []))
        return found

    def path(self, node: int, top: int) -> list[Jurisdiction]:
        """From `top` (the user's own node) down to `node`: never above what the user sees."""
        found = []
        current: int | None = node
        while current is not None:
            found.append(self.nodes[current])
            if current == top:
                break
            current = self.nodes[current].parent_id
        return found[::-1]

    def child_towards(self, root: int, node: int) -> int | None:
        """The child of `root` whose subtree holds `node` (None: `node` is `root` itself)."""
        current: int | None = node
        while current is not None and self.nodes[current].parent_id != root:
            current = self.nodes[current].parent_id
        return current if current != root else None


def tree(session: Session) -> Tree:
    nodes = {n.id: n for n in session.scalars(select(Jurisdiction).order_by(Jurisdiction.code))}
    children: dict[int | None, list[int]] = {}
    for node in nodes.values():
        children.setdefault(node.parent_id, []).append(node.id)
    return Tree(nodes, children)


def node_for(session: Session, user: User, code: str | None = None) -> tuple[Tree, Jurisdiction]:
    """The user's own node, or a node below it by its code; anything else does not exist."""
    if not jurisdictions.overseer(user):
        raise NotFound([])
    found = tree(session)
    mine = found.below(user.jurisdiction_id)
    wanted = user.jurisdiction_id if code is None else None
    if code is not None:
        wanted = next((n.id for n in found.nodes.values() if n.code == code), None)
    if wanted is None or wanted not in mine:
        raise NotFound(
            [plain("not_found", "没有找到辖区 {code}", "No jurisdiction {code}", code=code)]
        )
    return found, found.nodes[wanted]


# -- what the board shows ------------------------------------------------------------------


@dataclass
class EnterpriseLine:
    """One enterprise of the node, with every figure the board counts for it."""

    id: int
    code: str
    name: str
    industry: str
    node: Jurisdiction
    pack: Pack = field(repr=False)
    scope: jurisdictions.Scope
    spaces: int = 0  # active spaces in the ledger
    key_spaces: int = 0  # 重点监管: a listed class or a key-supervision hazard
    listed_spaces: int = 0  # of a class the catalogue lists
    target_spaces: int = 0  # with a hazard of the enforcement plan (H2S, CO …)
    target_hazards: set[str] = field(default_factory=set)
    visits: Counter[str] = field(default_factory=Counter)  # this year, by state
    open_problems: int = 0
    overdue: int = 0
    flagged: int = 0  # judged not fixed at the follow-up: for enforcement

    @property
    def visits_done(self) -> int:
        return sum(n for state, n in self.visits.items() if state in VISITED)


@dataclass(frozen=True)
class Category:
    """A category of the key-supervision catalogue (industry and group), or the hazard note."""

    key: str
    label: Label
    cite: str
    count: int


@dataclass
class CampaignVisits:
    campaign_id: int | None  # None: visits planned outside any campaign
    name: str | None
    by_state: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    @property
    def done(self) -> int:
        return sum(n for state, n in self.by_state.items() if state in VISITED)


@dataclass(frozen=True)
class StressItem:
    key: str
    label: Label
    checkpoints: tuple[int, ...]
    cite: str


@dataclass(frozen=True)
class Target:
    """One key inspection target of the annual enforcement plan, and what to stress there."""

    enterprise: EnterpriseLine
    hazards: list[Label]
    cite: str
    stress: list[StressItem]


@dataclass(frozen=True)
class OutOfScope:
    reason: Reason
    enterprises: list[EnterpriseLine]


@dataclass(frozen=True)
class Child:
    node: Jurisdiction
    enterprises: int
    in_scope: int
    targets: int


@dataclass(frozen=True)
class Board:
    node: Jurisdiction
    path: list[Jurisdiction]
    children: list[Child]
    today: date
    enterprises: list[EnterpriseLine]  # in scope, by code
    by_industry: list[tuple[str, Label, int]]  # in scope: industry key, its name, how many
    out_of_scope: list[OutOfScope]
    categories: list[Category]
    campaigns: list[CampaignVisits]
    visit_states: list[str]  # the visit workflow's states, in its order
    plan: list[Target]
    # With open problems, the rules covering them or not (a visit may predate a change of
    # pack): the most urgent first.
    troubled: list[EnterpriseLine]

    @property
    def year(self) -> int:
        return self.today.year

    @property
    def key_spaces(self) -> int:
        return sum(c.count for c in self.categories)

    def total(self, name: str) -> int:
        """A problem count over every enterprise with open problems."""
        return sum(getattr(e, name) for e in self.troubled)

    @property
    def visits(self) -> int:
        return sum(c.total for c in self.campaigns)

    @property
    def visits_done(self) -> int:
        return sum(c.done for c in self.campaigns)


# -- building it -----------------------------------------------------------------------------


def board(session: Session, user: User, now: datetime, code: str | None = None) -> Board:
    """The board of the user's node (or of a node below it): NotFound outside their scope."""
    today = local_date(now)
    found, node = node_for(session, user, code)
    nodes = found.below(node.id)
    lines = _enterprises(session, found, nodes, today)
    groups = _space_groups(session, nodes)
    _count_spaces(groups, lines)
    campaigns = _count_visits(session, nodes, lines, today)
    _count_problems(session, nodes, lines, today)
    covered = [e for e in lines.values() if e.scope.applies]
    wf = visit_workflow()
    return Board(
        node=node,
        path=found.path(node.id, user.jurisdiction_id),
        children=_children(found, node, lines.values()),
        today=today,
        enterprises=covered,
        by_industry=_by_industry(covered),
        out_of_scope=_out_of_scope(lines.values()),
        categories=_categories(groups, lines),
        campaigns=campaigns,
        visit_states=list(wf.states),
        plan=enforcement_plan(covered),
        troubled=sorted(
            (e for e in lines.values() if e.open_problems),
            key=lambda e: (-e.flagged, -e.overdue, -e.open_problems, e.code),
        ),
    )


def _enterprises(
    session: Session, found: Tree, nodes: set[int], today: date
) -> dict[int, EnterpriseLine]:
    """The node's enterprises, each under the pack it is judged by today (art. 2 by that pack)."""
    in_nodes = Enterprise.jurisdiction_id.in_(nodes)
    chosen = packs.packs_in_force(session, select(Enterprise.id).where(in_nodes), today)
    every, default = packs.packs(), packs.default_pack(today)
    lines = {}
    for row in session.execute(
        select(
            Enterprise.id,
            Enterprise.code,
            Enterprise.name,
            Enterprise.industry,
            Enterprise.jurisdiction_id,
        )
        .where(in_nodes)
        .order_by(Enterprise.code)
    ):
        pack = every[chosen.get(row.id, default)]
        lines[row.id] = EnterpriseLine(
            id=row.id,
            code=row.code,
            name=row.name,
            industry=row.industry,
            node=found.nodes[row.jurisdiction_id],
            pack=pack,
            scope=jurisdictions.scope_under(pack, row.industry),
        )
    return lines


def _has_any(hazards: Iterable[str]) -> ColumnElement[bool]:
    """Hazards are a JSON list of keys: a key appears in its text as "key", on either backend."""
    listed = cast(Space.hazards, Text)
    keys = list(hazards)
    return or_(*(listed.like(f'%"{k}"%') for k in keys)) if keys else false()


def _sum(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def key_hazards(pack: Pack) -> list[str]:
    """The hazards that make a space 重点监管 whatever its class, under this pack."""
    spec = pack.workflows["confined_space"].section("hazards")
    return [k for k, h in spec.items() if h.get("key_supervision")]


def plan_hazards(pack: Pack) -> list[str]:
    return list(pack.section("enforcement_plan").get("hazards", []))


def _space_groups(session: Session, nodes: set[int]) -> list[Mapping[str, Any]]:
    """The active spaces of the node's enterprises, one row per enterprise, industry and class:
    how many, and per pack how many carry a key-supervision hazard or a hazard of the plan
    (`key:<pack>`, `target:<pack>`), and how many carry each hazard of any plan (`has:<h>`)."""
    every = list(packs.packs().values())
    sums = []
    for pack in every:
        sums.append(_sum(_has_any(key_hazards(pack))).label(f"key:{pack.id}"))
        sums.append(_sum(_has_any(plan_hazards(pack))).label(f"target:{pack.id}"))
    hazards = sorted({h for pack in every for h in plan_hazards(pack)})
    sums += [_sum(_has_any([h])).label(f"has:{h}") for h in hazards]
    query = (
        select(Space.enterprise_id, Space.industry, Space.catalogue_class, func.count().label("n"))
        .add_columns(*sums)
        .join(Enterprise, Enterprise.id == Space.enterprise_id)
        .where(Enterprise.jurisdiction_id.in_(nodes), Space.retired_at.is_(None))
        .group_by(Space.enterprise_id, Space.industry, Space.catalogue_class)
    )
    return [dict(row._mapping) for row in session.execute(query)]


def _count_spaces(groups: list[Mapping[str, Any]], lines: Mapping[int, EnterpriseLine]) -> None:
    cat = catalogue()
    for row in groups:
        line = lines.get(row["enterprise_id"])
        if line is None:
            continue
        listed = cat.is_listed(row["industry"], row["catalogue_class"])
        line.spaces += row["n"]
        line.key_spaces += row["n"] if listed else row[f"key:{line.pack.id}"]
        line.listed_spaces += row["n"] if listed else 0
        line.target_spaces += row[f"target:{line.pack.id}"]
        line.target_hazards.update(h for h in plan_hazards(line.pack) if row[f"has:{h}"])


def _categories(
    groups: list[Mapping[str, Any]], lines: Mapping[int, EnterpriseLine]
) -> list[Category]:
    """Key-supervision spaces of the enterprises the rules cover, per catalogue category (the
    appendix's industry and group); spaces of an unlisted class that are key for a poisoning
    hazard apart, under the appendix's note."""
    cat = catalogue()
    counts: Counter[str] = Counter()
    labels: dict[str, Label] = {}
    for row in groups:
        line = lines.get(row["enterprise_id"])
        if line is None or not line.scope.applies:
            continue
        if cat.is_listed(row["industry"], row["catalogue_class"]):
            cls = cat.classes[(row["industry"], row["catalogue_class"])]
            key = f"{cls.industry}:{cls.group_zh}"
            names = cat.industries[cls.industry]
            labels[key] = {
                "zh": f"{names['zh']} · {cls.group_zh}",
                "en": f"{names['en']} · {cls.group_en}",
            }
            counts[key] += row["n"]
        else:
            counts[HAZARD_CATEGORY] += row[f"key:{line.pack.id}"]
    order = list(dict.fromkeys(f"{c.industry}:{c.group_zh}" for c in cat.classes.values()))
    found = [Category(key, labels[key], cat.cite, counts[key]) for key in order if counts.get(key)]
    if counts.get(HAZARD_CATEGORY):
        label = {
            "zh": "其他经辨识存在中毒、窒息风险的有限空间",
            "en": "Other spaces with a poisoning or asphyxiation risk identified",
        }
        found.append(Category(HAZARD_CATEGORY, label, cat.note_cite, counts[HAZARD_CATEGORY]))
    return found


def _count_visits(
    session: Session, nodes: set[int], lines: Mapping[int, EnterpriseLine], today: date
) -> list[CampaignVisits]:
    """This year's visits in the node, by campaign and state: one GROUP BY, and the node's
    campaigns of this year that have no visit yet."""
    start, end = date(today.year, 1, 1), date(today.year, 12, 31)
    campaigns: dict[int | None, CampaignVisits] = {}
    for campaign in session.execute(
        select(Campaign.id, Campaign.name)
        .where(
            Campaign.jurisdiction_id.in_(nodes),
            Campaign.starts_on <= end,
            Campaign.ends_on >= start,
        )
        .order_by(Campaign.starts_on, Campaign.id)
    ):
        campaigns[campaign.id] = CampaignVisits(campaign.id, campaign.name)
    for row in session.execute(
        select(
            Inspection.enterprise_id,
            Inspection.campaign_id,
            Campaign.name,
            Inspection.state,
            func.count().label("n"),
        )
        .outerjoin(Campaign, Campaign.id == Inspection.campaign_id)
        .where(
            Inspection.jurisdiction_id.in_(nodes),
            Inspection.planned_on >= start,
            Inspection.planned_on <= end,
        )
        .group_by(Inspection.enterprise_id, Inspection.campaign_id, Campaign.name, Inspection.state)
    ):
        bucket = campaigns.setdefault(row.campaign_id, CampaignVisits(row.campaign_id, row.name))
        bucket.by_state[row.state] += row.n
        if row.enterprise_id in lines:
            lines[row.enterprise_id].visits[row.state] += row.n
    # Campaigns in their order; visits outside any campaign last.
    return sorted(campaigns.values(), key=lambda c: c.campaign_id is None)


def _count_problems(
    session: Session, nodes: set[int], lines: Mapping[int, EnterpriseLine], today: date
) -> None:
    """Problems of visits whose consultation has taken place, not judged fixed at the
    follow-up (回头看): open; of those, past their deadline; and judged not fixed (flagged for
    enforcement, 依法严格处罚)."""
    unfixed = or_(Finding.followup.is_(None), ~followup.judged_fixed())
    for row in session.execute(
        select(
            Inspection.enterprise_id,
            func.count().label("open"),
            _sum(and_(Finding.deadline.is_not(None), Finding.deadline < today)).label("overdue"),
            _sum(followup.judged_not_fixed()).label("flagged"),
        )
        .join(Inspection, Inspection.id == Finding.inspection_id)
        .where(
            Inspection.jurisdiction_id.in_(nodes),
            Inspection.state.in_(VISITED),
            Finding.result == PROBLEM,
            unfixed,
        )
        .group_by(Inspection.enterprise_id)
    ):
        line = lines.get(row.enterprise_id)
        if line is not None:
            line.open_problems += row.open
            line.overdue += row.overdue
            line.flagged += row.flagged


def _children(found: Tree, node: Jurisdiction, lines: Iterable[EnterpriseLine]) -> list[Child]:
    counts: dict[int, Counter[str]] = {c: Counter() for c in found.children.get(node.id, [])}
    for line in lines:
        child = found.child_towards(node.id, line.node.id)
        if child is None:
            continue
        counts[child]["enterprises"] += 1
        counts[child]["in_scope"] += line.scope.applies
        counts[child]["targets"] += bool(line.scope.applies and line.target_spaces)
    return [
        Child(found.nodes[c], n["enterprises"], n["in_scope"], n["targets"])
        for c, n in counts.items()
    ]


def industry_label(key: str) -> Label:
    names = catalogue().industries.get(key, {})
    return {"zh": names.get("zh", key), "en": names.get("en", key)}


def _by_industry(covered: list[EnterpriseLine]) -> list[tuple[str, Label, int]]:
    counts = Counter(e.industry for e in covered)
    order = list(catalogue().industries)
    ranked = sorted(counts, key=lambda k: (order.index(k) if k in order else len(order), k))
    return [(k, industry_label(k), counts[k]) for k in ranked]


def _out_of_scope(lines: Iterable[EnterpriseLine]) -> list[OutOfScope]:
    """Enterprises the rules do not cover, counted apart, grouped by the reason (art. 2)."""
    groups: dict[tuple[str, str], list[EnterpriseLine]] = {}
    for line in lines:
        if not line.scope.applies:
            groups.setdefault((line.pack.id, line.industry), []).append(line)
    return [OutOfScope(group[0].scope.reason, group) for group in groups.values()]


# -- the annual enforcement plan (art. 16) -------------------------------------------------


def enforcement_plan(covered: Iterable[EnterpriseLine]) -> list[Target]:
    """The key inspection targets: enterprises the rules cover with a space whose hazards
    include one the pack names (H2S, CO …), each with the items its inspection stresses; where
    it has a space of a class the catalogue lists, also the items the pack adds for those."""
    targets = []
    for line in covered:
        if not line.target_spaces:
            continue
        spec = line.pack.section("enforcement_plan")
        hazards = line.pack.workflows["confined_space"].section("hazards")
        stress = [_item(i, spec["stress_cite"]) for i in spec["stress"]]
        if line.listed_spaces:
            stress += [_item(i, spec["stress_listed_cite"]) for i in spec.get("stress_listed", [])]
        targets.append(
            Target(
                enterprise=line,
                hazards=[
                    {"zh": hazards[h]["zh"], "en": hazards[h]["en"]}
                    for h in plan_hazards(line.pack)
                    if h in line.target_hazards
                ],
                cite=spec["cite"],
                stress=stress,
            )
        )
    return targets


def _item(raw: Mapping[str, Any], cite: str) -> StressItem:
    return StressItem(
        raw["key"], {"zh": raw["zh"], "en": raw["en"]}, tuple(raw["checkpoints"]), cite
    )
