"""The enterprise's own rules: its confined-space safety-management system document (003
第五条; 令13 第四条), versioned, with the topics the rule pack requires marked covered or
missing; and its approval-tier table (003 第十一条; 令13 第七条), editable within the floor the
rule pack sets. A new version supersedes the previous one; none is ever deleted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import registers
from .approval import enterprise_table, tier_approvers
from .clock import Clock
from .errors import InvalidInput, NotFound, Reason, plain
from .models import ApprovalTable, Attachment, Contractor, Enterprise, ManagementDocument, User
from .models.enterprise import Role, role_label
from .packs import Pack
from .workflow import Workflow

# -- the safety-management system document ------------------------------------------------


@dataclass(frozen=True)
class Topic:
    key: str
    label: dict[str, str]
    cite: str
    covered: bool


def topics(pack: Pack, contracting: bool) -> list[dict[str, Any]]:
    """The topics the pack asks the document to settle; those only asked of an enterprise
    that contracts work out are left out when it does not."""
    return [
        t
        for t in pack.section("management_system")["topics"]
        if t.get("only_if") != "contracting" or contracting
    ]


def contracts_out(session: Session, enterprise_id: int) -> bool:
    """Whether the enterprise has a contractor it still works with."""
    return (
        session.scalar(
            select(Contractor.id)
            .where(Contractor.enterprise_id == enterprise_id, Contractor.retired_at.is_(None))
            .limit(1)
        )
        is not None
    )


def current_document(session: Session, enterprise_id: int) -> ManagementDocument | None:
    return session.scalars(
        select(ManagementDocument)
        .where(
            ManagementDocument.enterprise_id == enterprise_id,
            ManagementDocument.superseded_at.is_(None),
        )
        .order_by(ManagementDocument.id.desc())
        .limit(1)
    ).first()


def history(session: Session, enterprise_id: int) -> list[ManagementDocument]:
    """Every version, newest first."""
    return list(
        session.scalars(
            select(ManagementDocument)
            .where(ManagementDocument.enterprise_id == enterprise_id)
            .order_by(ManagementDocument.id.desc())
        )
    )


def coverage(document: ManagementDocument | None, pack: Pack, contracting: bool) -> list[Topic]:
    """Each topic the pack requires, covered or missing in this version of the document."""
    spec = pack.section("management_system")
    have = set(document.topics) if document is not None else set()
    return [
        Topic(
            key=t["key"],
            label={"zh": t["zh"], "en": t["en"]},
            cite=t.get("cite", spec["cite"]),
            covered=t["key"] in have,
        )
        for t in topics(pack, contracting)
    ]


def findings(session: Session, enterprise_id: int, pack: Pack) -> list[Reason]:
    """What an inspector would note (会诊表第3项): no document, or the topics it misses."""
    spec = pack.section("management_system")
    document = current_document(session, enterprise_id)
    if document is None:
        return [Reason(rule="system_missing", cite=spec["cite"], template=spec["no_document"])]
    missing = [
        t for t in coverage(document, pack, contracts_out(session, enterprise_id)) if not t.covered
    ]
    if not missing:
        return []
    return [
        Reason(
            rule="system_topics_missing",
            cite=spec["cite"],
            template=spec["missing"],
            params={
                "topics": {
                    "zh": "、".join(t.label["zh"] for t in missing),
                    "en": ", ".join(t.label["en"] for t in missing),
                }
            },
        )
    ]


def record_document(
    session: Session,
    enterprise: Enterprise,
    *,
    title: str,
    version_label: str,
    effective_on: date | None,
    covered: Sequence[str],
    attachment: Attachment | None,
    pack: Pack,
    clock: Clock,
    actor: User | None = None,
) -> ManagementDocument:
    """A new version of the document; it supersedes the version before it."""
    known = {t["key"] for t in pack.section("management_system")["topics"]}
    version_label = version_label.strip()[:40]
    problems = []
    if not title.strip():
        problems.append(plain("system_title", "请填写制度名称", "Enter the document's title"))
    if not version_label:
        problems.append(plain("system_version", "请填写版本号", "Enter the version"))
    elif session.scalar(
        select(ManagementDocument.id).where(
            ManagementDocument.enterprise_id == enterprise.id,
            ManagementDocument.version_label == version_label,
        )
    ):
        problems.append(
            plain(
                "system_version_taken",
                "版本{version}已登记，新版本须有新的版本号",
                "Version {version} is on record: a new version needs a new label",
                version=version_label,
            )
        )
    if effective_on is None:
        problems.append(plain("system_date", "请填写施行日期", "Enter the date it takes effect"))
    unknown = [k for k in covered if k not in known]
    if unknown:
        problems.append(
            plain(
                "system_topic",
                "未知的制度内容：{topics}",
                "Unknown topic: {topics}",
                topics="、".join(str(k) for k in unknown),
            )
        )
    if attachment is None:
        problems.append(
            plain("system_file", "请上传制度文件（PDF）", "Upload the document itself (PDF)")
        )
    elif attachment.enterprise_id != enterprise.id:
        raise NotFound([plain("not_found", "没有此文件", "no such file")])
    if problems:
        raise InvalidInput(problems)
    previous = current_document(session, enterprise.id)
    if previous is not None:
        previous.superseded_at = clock.now()
    document = ManagementDocument(
        enterprise_id=enterprise.id,
        title=title.strip()[:200],
        version_label=version_label,
        effective_on=effective_on,
        topics=[
            t["key"] for t in pack.section("management_system")["topics"] if t["key"] in covered
        ],
        attachment_id=attachment.id,
        created_by_id=actor.id if actor else None,
        created_at=clock.now(),
    )
    session.add(document)
    registers._audit(
        session,
        document,
        enterprise.id,
        actor,
        "create",
        clock.now(),
        role=_role(actor),
        title=document.title,
        version=version_label,
        effective_on=effective_on,
        topics=document.topics,
        attachment=attachment.sha256,
        supersedes=previous.id if previous else None,
    )
    return document


def _role(actor: User | None) -> str | None:
    if actor is None:
        return None
    return next((r for r in ("admin", "principal", "deputy") if actor.has_role(r)), None)


# -- the approval-tier table --------------------------------------------------------------


@dataclass(frozen=True)
class TierRow:
    """One tier as the enterprise's table has it, beside the pack's default and its floor."""

    name: str
    label: dict[str, str]
    cite: str
    default: list[str]
    approvers: list[str]
    written_allowed: bool  # the pack lets written authorisation count for this tier
    written: bool
    floor: list[str] | None
    floor_cite: str


def approving_roles(workflow: Workflow) -> list[str]:
    """The roles any tier of the workflow names, in the order of seniority of the Role list."""
    named = {r for t in workflow.section("tiers") for r in [*t["approvers"], *t.get("floor", [])]}
    return [r.value for r in Role if r.value in named]


def tier_table(session: Session, enterprise_id: int, workflow: Workflow) -> list[TierRow]:
    table = enterprise_table(session, enterprise_id, workflow)
    rows = []
    for tier in workflow.section("tiers"):
        roles, written = tier_approvers(tier, table)
        rows.append(
            TierRow(
                name=tier["name"],
                label={"zh": tier["zh"], "en": tier["en"]},
                cite=tier["cite"],
                default=list(tier["approvers"]),
                approvers=roles,
                written_allowed=bool(tier.get("written_authorisation")),
                written=written,
                floor=list(tier["floor"]) if "floor" in tier else None,
                floor_cite=tier.get("floor_cite", ""),
            )
        )
    return rows


def table_history(session: Session, enterprise_id: int, workflow: Workflow) -> list[ApprovalTable]:
    return list(
        session.scalars(
            select(ApprovalTable)
            .where(
                ApprovalTable.enterprise_id == enterprise_id,
                ApprovalTable.pack == workflow.pack,
                ApprovalTable.workflow == workflow.name,
            )
            .order_by(ApprovalTable.id.desc())
        )
    )


def _roles(roles: Sequence[str], lang: str) -> str:
    return ("或" if lang == "zh" else " or ").join(role_label(r, lang) for r in roles)


def set_tiers(
    session: Session,
    enterprise: Enterprise,
    workflow: Workflow,
    tiers: Mapping[str, Mapping[str, Any]],
    *,
    clock: Clock,
    actor: User | None = None,
    note: str = "",
) -> ApprovalTable:
    """A new version of the enterprise's approval-tier table for this workflow. A tier left
    out keeps the pack's default. No tier may go below its floor: a major-risk permit is
    never signed below the principal (or the deputy, where the pack allows) — the refusal
    cites the article."""
    if actor is not None and (actor.enterprise_id != enterprise.id or not actor.has_role("admin")):
        raise InvalidInput(
            [
                plain(
                    "tiers_admin",
                    "只有本企业管理员可以修改审批分级表",
                    "Only the enterprise's administrator can change the approval tiers",
                )
            ]
        )
    by_name = {t["name"]: t for t in workflow.section("tiers")}
    allowed = approving_roles(workflow)
    problems: list[Reason] = []
    unknown = [name for name in tiers if name not in by_name]
    if unknown:
        problems.append(
            plain(
                "tier_unknown",
                "未知的审批级别：{tiers}",
                "Unknown tier: {tiers}",
                tiers="、".join(unknown),
            )
        )
    stored: dict[str, dict[str, Any]] = {}
    for name, tier in by_name.items():
        if name not in tiers:
            continue
        wanted = tiers[name]
        roles = [r for r in allowed if r in set(wanted.get("approvers", []))]
        label = {"zh": tier["zh"], "en": tier["en"]}
        strange = [r for r in wanted.get("approvers", []) if r not in allowed]
        if strange:
            problems.append(
                plain(
                    "tier_role",
                    "{tier}：{roles}不能审批作业",
                    "{tier}: {roles} cannot approve permits",
                    tier=label,
                    roles="、".join(str(r) for r in strange),
                )
            )
        if not roles:
            problems.append(
                plain(
                    "tier_empty",
                    "{tier}：请至少选择一个审批角色",
                    "{tier}: choose at least one role that approves",
                    tier=label,
                )
            )
        floor = tier.get("floor")
        below = [r for r in roles if floor and r not in floor]
        if below:
            problems.append(
                Reason(
                    rule="tier_floor",
                    cite=tier["floor_cite"],
                    template={
                        "zh": "{tier}只能由{floor}审批，不能交给{below}",
                        "en": "{tier} can only be approved by {floor}, not by {below}",
                    },
                    params={
                        "tier": label,
                        "floor": {"zh": _roles(floor, "zh"), "en": _roles(floor, "en")},
                        "below": {"zh": _roles(below, "zh"), "en": _roles(below, "en")},
                    },
                )
            )
        written = bool(wanted.get("written_authorisation"))
        if written and not tier.get("written_authorisation"):
            problems.append(
                Reason(
                    rule="tier_written",
                    cite=tier["cite"],
                    template={
                        "zh": "现行规则不允许{tier}由书面委托的人员审批",
                        "en": "The rules in force do not let a person authorised in writing "
                        "approve {tier}",
                    },
                    params={"tier": label},
                )
            )
        stored[name] = {"approvers": roles, "written_authorisation": written}
    if problems:
        raise InvalidInput(problems)
    previous = enterprise_table(session, enterprise.id, workflow)
    if previous is not None:
        previous.superseded_at = clock.now()
    table = ApprovalTable(
        enterprise_id=enterprise.id,
        pack=workflow.pack,
        workflow=workflow.name,
        tiers=stored,
        note=note.strip()[:500],
        created_by_id=actor.id if actor else None,
        created_at=clock.now(),
    )
    session.add(table)
    registers._audit(
        session,
        table,
        enterprise.id,
        actor,
        "set_tiers",
        clock.now(),
        role="admin" if actor else None,
        pack=workflow.pack,
        workflow=workflow.name,
        tiers={"from": previous.tiers if previous else None, "to": stored},
        note=table.note,
    )
    return table
