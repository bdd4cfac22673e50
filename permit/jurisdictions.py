"""The regulators' tree (city → district → street), what each expert or regulator may see in
it, and whether an enterprise falls under the regulation at all (art. 2, from its rule pack)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from . import audit, packs
from .catalogue import catalogue
from .clock import Clock
from .errors import InvalidInput, NotFound, Reason, plain
from .models import Enterprise, Jurisdiction, Role, User
from .models.inspection import LEVELS

OVERSIGHT_ROLES = (Role.expert, Role.regulator)


def add(
    session: Session,
    *,
    code: str,
    name: str,
    level: str,
    clock: Clock,
    parent: Jurisdiction | None = None,
    actor: User | None = None,
) -> Jurisdiction:
    """A node of the tree: a city at the root, districts under it, streets under those."""
    depth = LEVELS.index(parent.level) + 1 if parent else 0
    expected = LEVELS[depth] if depth < len(LEVELS) else "—"
    if level != expected:
        raise InvalidInput(
            [
                plain(
                    "jurisdiction_level",
                    "辖区层级应为“{expected}”",
                    "This node must be a {expected}",
                    expected=expected,
                )
            ]
        )
    node = Jurisdiction(
        parent_id=parent.id if parent else None,
        code=code,
        name=name,
        level=level,
        created_at=clock.now(),
    )
    session.add(node)
    session.flush()
    audit.append(
        session,
        enterprise_id=None,
        actor_id=actor.id if actor else None,
        actor_role="admin" if actor else "system",
        subject_type="jurisdictions",
        subject_id=node.id,
        event="create",
        data={
            "code": code,
            "name": name,
            "level": level,
            "parent": parent.code if parent else None,
        },
        at=clock.now(),
    )
    return node


def place(
    session: Session,
    item: Enterprise | User,
    node: Jurisdiction,
    *,
    clock: Clock,
    actor: User | None = None,
) -> None:
    """Put an enterprise (or an expert, a regulator) on a node of the tree."""
    item.jurisdiction_id = node.id
    session.flush()
    audit.append(
        session,
        enterprise_id=item.id if isinstance(item, Enterprise) else item.enterprise_id,
        actor_id=actor.id if actor else None,
        actor_role="admin" if actor else "system",
        subject_type=type(item).__tablename__,
        subject_id=item.id,
        event="place_in_jurisdiction",
        data={"jurisdiction": node.code},
        at=clock.now(),
    )


def subtree(session: Session, root_id: int) -> set[int]:
    """The node and every node below it. The tree is small (a city's streets): read it whole."""
    children: dict[int | None, list[int]] = {}
    for node_id, parent_id in session.execute(select(Jurisdiction.id, Jurisdiction.parent_id)):
        children.setdefault(parent_id, []).append(node_id)
    found, stack = set(), [root_id]
    while stack:
        node_id = stack.pop()
        found.add(node_id)
        stack.extend(children.get(node_id, []))
    return found


def overseer(user: User) -> bool:
    """An expert or a regulator placed on the tree: no enterprise's staff, no contractor."""
    return (
        user.has_role(*OVERSIGHT_ROLES)
        and user.jurisdiction_id is not None
        and user.enterprise_id is None
        and user.contractor_id is None
    )


def visible_nodes(session: Session, user: User) -> set[int]:
    return subtree(session, user.jurisdiction_id) if overseer(user) else set()


def visible_enterprises(session: Session, user: User) -> Select[tuple[Enterprise]]:
    nodes = visible_nodes(session, user)
    if not nodes:
        return select(Enterprise).where(false())
    return select(Enterprise).where(Enterprise.jurisdiction_id.in_(nodes))


def enterprise_for(session: Session, user: User, code: str) -> Enterprise:
    found = session.scalars(visible_enterprises(session, user).where(Enterprise.code == code))
    enterprise = found.first()
    if enterprise is None:
        raise NotFound(
            [plain("not_found", "没有找到企业 {code}", "No enterprise {code}", code=code)]
        )
    return enterprise


def path(session: Session, node_id: int | None) -> list[Jurisdiction]:
    """City, district, street: from the root down to the node."""
    nodes = []
    while node_id is not None:
        node = session.get(Jurisdiction, node_id)
        nodes.append(node)
        node_id = node.parent_id
    return nodes[::-1]


@dataclass(frozen=True)
class Scope:
    """Whether the regulation applies to an enterprise, and the article that says so."""

    applies: bool
    reason: Reason


def scope_of(session: Session, enterprise: Enterprise, on: date) -> Scope:
    """Derived from the enterprise's industry and its rule pack's scope (art. 2): never typed."""
    pack = packs.packs()[packs.pack_in_force(session, enterprise.id, on)]
    return scope_under(pack, enterprise.industry)


def scope_under(pack: packs.Pack, industry_key: str) -> Scope:
    """Whether a pack's scope (art. 2) covers an industry, and the article that says so."""
    spec = pack.section("scope")
    names = catalogue().industries.get(industry_key, {})
    industry = {"zh": names.get("zh", industry_key), "en": names.get("en", industry_key)}
    if industry_key in spec.get("excluded", []):
        template = {
            "zh": "不适用：{industry}属于排除的领域",
            "en": "Not covered: {industry} is an excluded sector",
        }
        return Scope(False, Reason("scope", spec["cite"], template, {"industry": industry}))
    if industry_key in spec["industries"]:
        template = {"zh": "适用：{industry}", "en": "Covered: {industry}"}
        return Scope(True, Reason("scope", spec["cite"], template, {"industry": industry}))
    template = {
        "zh": "不适用：{industry}不在适用行业之列",
        "en": "Not covered: {industry} is not among the industries the rules cover",
    }
    return Scope(False, Reason("scope", spec["cite"], template, {"industry": industry}))
