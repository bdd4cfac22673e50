"""Approval tiers (art. 11): which tier a permit falls in, and who may sign for it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .models import Permit, User
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


def signing_role(user: User | None, permit: Permit, workflow: Workflow) -> str | None:
    """The role in which this user may approve this permit, or None."""
    if user is None or user.enterprise_id != permit.enterprise_id or not user.active:
        return None
    for role in current_tier(permit, workflow)["approvers"]:
        if user.has_role(role):
            return role
    return None


def roles_text(roles: list[str]) -> dict[str, str]:
    return {
        "zh": "或".join(ROLE_LABELS[r]["zh"] for r in roles),
        "en": " or ".join(ROLE_LABELS[r]["en"] for r in roles),
    }
