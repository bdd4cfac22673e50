"""Approval tiers (art. 11): which tier a permit falls in, and who may sign for it under the
enterprise's own tier table, within the bounds the rule pack sets."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from .models import ApprovalTable, Authorisation, Permit, User
from .models.enterprise import ROLE_LABELS
from .workflow import Workflow


def tier_for(permit: Permit, workflow: Workflow) -> Mapping[str, Any]:
    """The first tier whose conditions the permit meets (hazards AND task type)."""
    tiers = workflow.section("tiers")
    for tier in tiers:
        hazards_hit = not tier.get("when_hazards") or set(permit.hazards) & set(
            tier["when_hazards"]
        )
        task_hit = not tier.get("when_tasks") or permit.task_type in tier["when_tasks"]
        if hazards_hit and task_hit:
            return tier
    return tiers[-1]


def tier_named(name: str | None, workflow: Workflow) -> Mapping[str, Any] | None:
    return next((t for t in workflow.section("tiers") if t["name"] == name), None)


def current_tier(permit: Permit, workflow: Workflow) -> Mapping[str, Any]:
    """The tier assessed at submission, or as it would be assessed now."""
    return tier_named(permit.risk_tier, workflow) or tier_for(permit, workflow)


def enterprise_table(
    session: Session | None, enterprise_id: int, workflow: Workflow
) -> ApprovalTable | None:
    """The enterprise's own approval-tier table in force for this workflow of this pack."""
    if session is None:
        return None
    return session.scalars(
        select(ApprovalTable)
        .where(
            ApprovalTable.enterprise_id == enterprise_id,
            ApprovalTable.pack == workflow.pack,
            ApprovalTable.workflow == workflow.name,
            ApprovalTable.superseded_at.is_(None),
        )
        .order_by(ApprovalTable.id.desc())
        .limit(1)
    ).first()


def tier_approvers(tier: Mapping[str, Any], table: ApprovalTable | None) -> tuple[list[str], bool]:
    """Who approves this tier: the enterprise's table where it sets the tier, else the pack's
    default; never below the tier's floor (art. 11), whatever a stored table says, and never
    written authorisation where the pack does not allow it."""
    override = (table.tiers if table is not None else {}).get(tier["name"])
    roles = list(override["approvers"]) if override else list(tier["approvers"])
    written = bool(tier.get("written_authorisation"))
    if override:
        written = written and bool(override.get("written_authorisation"))
    floor = tier.get("floor")
    if floor:
        roles = [r for r in roles if r in floor] or list(tier["approvers"])
    return roles, written


def approvers_for(permit: Permit, workflow: Workflow) -> tuple[list[str], bool]:
    """The roles that may approve this permit, and whether written authorisation counts."""
    table = enterprise_table(object_session(permit), permit.enterprise_id, workflow)
    return tier_approvers(current_tier(permit, workflow), table)


def signing_role(user: User | None, permit: Permit, workflow: Workflow, on: date) -> str | None:
    """The role in which this user may approve this permit, or None, under the enterprise's
    approval-tier table. A tier that allows it also accepts a person the principal
    authorised in writing, valid on that day."""
    if user is None or user.enterprise_id != permit.enterprise_id or not user.active:
        return None
    roles, written = approvers_for(permit, workflow)
    for role in roles:
        if user.has_role(role):
            return role
    if written and _authorised(user, permit, on):
        return "authorised"
    return None


def _authorised(user: User, permit: Permit, on: date) -> bool:
    session = object_session(permit)
    if session is None:
        return False
    found = session.scalars(
        select(Authorisation.id)
        .where(
            Authorisation.enterprise_id == permit.enterprise_id,
            Authorisation.delegate_id == user.id,
            Authorisation.revoked_at.is_(None),
            Authorisation.valid_from <= on,
            Authorisation.valid_to >= on,
        )
        .limit(1)
    ).first()
    return found is not None


def roles_text(roles: list[str], written_authorisation: bool = False) -> dict[str, str]:
    zh = [ROLE_LABELS[r]["zh"] for r in roles]
    en = [ROLE_LABELS[r]["en"] for r in roles]
    if written_authorisation:
        zh.append("其书面委托的人员")
        en.append("a person the principal authorised in writing")
    return {"zh": "或".join(zh), "en": " or ".join(en)}
