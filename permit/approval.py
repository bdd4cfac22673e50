"""Approval tiers (art. 11): which tier a permit falls in, and who may sign for it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import object_session

from .models import Authorisation, Permit, User
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


def signing_role(user: User | None, permit: Permit, workflow: Workflow, on: date) -> str | None:
    """The role in which this user may approve this permit, or None. A tier that allows it
    also accepts a person the principal authorised in writing, valid on that day."""
    if user is None or user.enterprise_id != permit.enterprise_id or not user.active:
        return None
    tier = current_tier(permit, workflow)
    for role in tier["approvers"]:
        if user.has_role(role):
            return role
    if tier.get("written_authorisation") and _authorised(user, permit, on):
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
