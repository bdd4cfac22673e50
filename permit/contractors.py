"""Contractors (art. 6; 令13 第八条): the companies work is contracted out to, their
safety-management agreements (each party's duties, the task types covered, the dates, the
signed document), their workers, and the enterprise's on-site supervisor of their work.

Nothing is deleted: a company retires, an agreement is revoked, a worker is deactivated."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from . import packs, registers
from .clock import Clock
from .errors import InvalidInput, NotFound, Reason, plain
from .models import Attachment, Contractor, Enterprise, Permit, PermitPerson, SafetyAgreement, User
from .models.enterprise import role_label
from .packs import Pack
from .workflow import Workflow

FINAL_STATES = ("closed", "cancelled", "expired")
MIN_PASSWORD = 8


# -- reading ------------------------------------------------------------------------------


def companies(session: Session, enterprise_id: int) -> list[Contractor]:
    """The enterprise's contractors, active ones first."""
    return list(
        session.scalars(
            select(Contractor)
            .where(Contractor.enterprise_id == enterprise_id)
            .order_by(Contractor.retired_at.is_not(None), Contractor.name)
        )
    )


def company_of(session: Session, enterprise_id: int, contractor_id: int) -> Contractor:
    company = session.get(Contractor, contractor_id)
    if company is None or company.enterprise_id != enterprise_id:
        raise NotFound([plain("not_found", "没有此承包单位", "no such contractor")])
    return company


def standing(agreement: SafetyAgreement, on: date) -> str:
    """One word: revoked, expired, not_yet (starts later) or valid."""
    if agreement.revoked_at is not None:
        return "revoked"
    if agreement.valid_to < on:
        return "expired"
    if agreement.valid_from > on:
        return "not_yet"
    return "valid"


def agreement_covering(
    contractor: Contractor, task_type: str | None, start: date, end: date
) -> SafetyAgreement | None:
    """An agreement in force for the whole window that covers this task type, if any: not
    revoked, its dates around the window, the task in its scope, the company not retired."""
    if contractor.retired_at is not None:
        return None
    for agreement in contractor.agreements:
        if (
            agreement.revoked_at is None
            and agreement.valid_from <= start
            and end <= agreement.valid_to
            and task_type in agreement.scope
        ):
            return agreement
    return None


def workers(session: Session, contractor_id: int) -> list[User]:
    """The company's workers (not its sign-in accounts), active ones first."""
    rows = session.scalars(
        select(User)
        .where(User.contractor_id == contractor_id)
        .options(selectinload(User.role_rows), selectinload(User.trainings))
        .order_by(User.active.desc(), User.name)
    )
    return [u for u in rows if not u.has_role("contractor")]


def accounts(session: Session, contractor_id: int) -> list[User]:
    """The company's own administrators: the people who sign in for it."""
    rows = session.scalars(
        select(User)
        .where(User.contractor_id == contractor_id)
        .options(selectinload(User.role_rows))
        .order_by(User.name)
    )
    return [u for u in rows if u.has_role("contractor")]


def is_admin(user: User) -> bool:
    """A contractor's administrator: signs in for the company and keeps its worker list."""
    return user.contractor_id is not None and user.active and user.has_role("contractor")


def worker_roles(pack: Pack) -> list[str]:
    """The permit roles the rule pack lets a contractor's own workers take."""
    return list(pack.section("contractors")["worker_roles"])


def open_permits(session: Session, **where: Any) -> list[str]:
    """Numbers of the permits not yet over (closed, cancelled, expired), for a company or
    a person."""
    query = select(Permit.number).where(Permit.state.not_in(FINAL_STATES))
    if "contractor_id" in where:
        query = query.where(Permit.contractor_id == where["contractor_id"])
    if "user_id" in where:
        person = where["user_id"]
        on_it = select(PermitPerson.permit_id).where(PermitPerson.user_id == person)
        query = query.where((Permit.attendant_id == person) | Permit.id.in_(on_it))
    return list(session.scalars(query.order_by(Permit.number)))


# -- the permit's supervisor (art. 6: 审批和现场监督) -------------------------------------


def supervisor_problems(permit: Permit) -> list[dict[str, str]]:
    """Why the permit's on-site supervisor does not hold, in both languages (empty if it does).
    The supervisor is one of the enterprise's own active staff, and not going inside."""
    named = permit.people_as("supervisor")
    if not named:
        return [{"zh": "尚未指定本企业的现场监督人员", "en": "no on-site supervisor is named"}]
    problems = []
    for person in named:
        if person.enterprise_id != permit.enterprise_id or person.contractor_id is not None:
            problems.append(
                {
                    "zh": f"{person.name}不是本企业员工",
                    "en": f"{person.name} is not on the enterprise's staff",
                }
            )
        elif not person.active:
            problems.append({"zh": f"{person.name}已停用", "en": f"{person.name} is deactivated"})
        if person in permit.entrants:
            problems.append(
                {
                    "zh": f"{person.name}是本作业的作业人员，不能同时现场监督",
                    "en": f"{person.name} is an entrant on this permit and cannot also supervise",
                }
            )
    return problems


def supervisor_choices(session: Session, enterprise_id: int) -> list[User]:
    """Who may supervise contracted work on site: the enterprise's own active staff."""
    return list(
        session.scalars(
            select(User)
            .where(
                User.enterprise_id == enterprise_id,
                User.contractor_id.is_(None),
                User.active.is_(True),
            )
            .options(selectinload(User.role_rows))
            .order_by(User.name)
        )
    )


def pick_supervisor(
    session: Session, enterprise_id: int, supervisor_id: int | None
) -> tuple[User | None, list[Reason]]:
    """The supervisor a request names, or the reason it cannot be that person."""
    if supervisor_id is None:
        return None, []
    person = next(
        (u for u in supervisor_choices(session, enterprise_id) if u.id == supervisor_id), None
    )
    if person is None:
        return None, [
            plain(
                "supervisor",
                "现场监督人员须为本企业在职员工",
                "The on-site supervisor must be one of the enterprise's own active staff",
            )
        ]
    return person, []


# -- the enterprise keeps companies and agreements ------------------------------------------


def _audit(
    session: Session,
    obj: Any,
    enterprise_id: int,
    actor: User | None,
    event: str,
    clock: Clock,
    role: str | None = None,
    **data: Any,
) -> None:
    registers._audit(session, obj, enterprise_id, actor, event, clock.now(), role=role, **data)


def _role(actor: User | None) -> str | None:
    """The role an actor keeps these records in, for the audit log."""
    if actor is None:
        return None
    return next(
        (r for r in ("admin", "principal", "deputy", "contractor") if actor.has_role(r)), None
    )


def add_company(
    session: Session, enterprise: Enterprise, *, name: str, clock: Clock, actor: User | None = None
) -> Contractor:
    name = " ".join(name.split())[:200]
    if not name:
        raise InvalidInput([plain("contractor_name", "请填写单位名称", "Enter the company's name")])
    taken = session.scalar(
        select(Contractor.id).where(
            Contractor.enterprise_id == enterprise.id,
            func.lower(Contractor.name) == name.lower(),
            Contractor.retired_at.is_(None),
        )
    )
    if taken:
        raise InvalidInput(
            [
                plain(
                    "contractor_taken",
                    "承包单位{name}已登记",
                    "Contractor {name} is already registered",
                    name=name,
                )
            ]
        )
    return registers.add_contractor(session, enterprise, name=name, clock=clock, actor=actor)


def retire_company(
    session: Session,
    company: Contractor,
    *,
    reason: str,
    clock: Clock,
    actor: User | None = None,
) -> None:
    """No more work for this company: its agreements stop counting. Refused while one of its
    permits is still open, so that no running work loses its agreement halfway."""
    problems = []
    if company.retired_at is not None:
        problems.append(
            plain("contractor_retired", "该承包单位已停用", "This contractor is already retired")
        )
    if not reason.strip():
        problems.append(plain("reason_required", "请填写原因", "Give a reason"))
    still_open = open_permits(session, contractor_id=company.id)
    if still_open:
        problems.append(
            plain(
                "contractor_busy",
                "该单位还有未关闭的作业票：{permits}",
                "This company still has open permits: {permits}",
                permits="、".join(still_open),
            )
        )
    if problems:
        raise InvalidInput(problems)
    company.retired_at = clock.now()
    company.retire_reason = reason.strip()[:200]
    _audit(
        session,
        company,
        company.enterprise_id,
        actor,
        "retire",
        clock,
        role=_role(actor),
        reason=company.retire_reason,
    )


def add_agreement(
    session: Session,
    company: Contractor,
    *,
    valid_from: date | None,
    valid_to: date | None,
    scope: Sequence[str],
    responsibilities: str,
    attachment: Attachment | None,
    workflow: Workflow,
    clock: Clock,
    document_ref: str = "",
    actor: User | None = None,
) -> SafetyAgreement:
    """Record a signed agreement. It supersedes nothing: several may be valid at once (one per
    kind of work, say), and each is revoked on its own."""
    tasks = workflow.section("task_types")
    problems = []
    if company.retired_at is not None:
        problems.append(
            plain(
                "contractor_retired",
                "已停用的承包单位不能再签协议",
                "A retired contractor takes no new agreement",
            )
        )
    if valid_from is None or valid_to is None:
        problems.append(
            plain("agreement_dates", "请填写协议的起止日期", "Enter the dates the agreement runs")
        )
    elif valid_to < valid_from:
        problems.append(
            plain(
                "agreement_order",
                "协议的截止日期不能早于开始日期",
                "The agreement cannot end before it starts",
            )
        )
    if not scope:
        problems.append(
            plain(
                "agreement_scope",
                "请选择协议涵盖的作业类型",
                "Choose the kinds of work the agreement covers",
            )
        )
    unknown = [t for t in scope if t not in tasks]
    if unknown:
        problems.append(
            plain(
                "agreement_scope_unknown",
                "未知的作业类型：{tasks}",
                "Unknown kind of work: {tasks}",
                tasks="、".join(str(t) for t in unknown),
            )
        )
    if not responsibilities.strip():
        problems.append(
            Reason(
                rule="agreement_responsibilities",
                cite=_pack_cite(workflow),
                template={
                    "zh": "请填写双方各自的安全生产管理职责",
                    "en": "Enter each party's safety-management duties",
                },
            )
        )
    if attachment is None:
        problems.append(
            plain(
                "agreement_document",
                "请上传签署的协议文件（PDF 或照片）",
                "Upload the signed agreement (PDF or photo)",
            )
        )
    elif attachment.enterprise_id != company.enterprise_id:
        raise NotFound([plain("not_found", "没有此文件", "no such file")])
    if problems:
        raise InvalidInput(problems)
    agreement = SafetyAgreement(
        contractor_id=company.id,
        valid_from=valid_from,
        valid_to=valid_to,
        scope=[t for t in tasks if t in scope],  # the pack's order, each once
        document_ref=document_ref.strip()[:200],
        responsibilities=responsibilities.strip()[:4000],
        attachment_id=attachment.id,
        created_by_id=actor.id if actor else None,
        created_at=clock.now(),
    )
    session.add(agreement)
    session.flush()
    session.expire(company, ["agreements"])
    _audit(
        session,
        agreement,
        company.enterprise_id,
        actor,
        "create",
        clock,
        role=_role(actor),
        contractor=company.id,
        valid_from=valid_from,
        valid_to=valid_to,
        scope=agreement.scope,
        document_ref=agreement.document_ref,
        responsibilities=agreement.responsibilities,
        attachment=attachment.sha256,
    )
    return agreement


def _pack_cite(workflow: Workflow) -> str:
    pack = packs.packs().get(workflow.pack)
    return pack.section("contractors").get("cite", "") if pack else ""


def revoke_agreement(
    session: Session,
    agreement: SafetyAgreement,
    *,
    reason: str,
    clock: Clock,
    actor: User | None = None,
) -> None:
    """Revoke an agreement: from now on it covers no new permit. It stays on record."""
    problems = []
    if agreement.revoked_at is not None:
        problems.append(
            plain("agreement_revoked", "该协议已撤销", "This agreement is already revoked")
        )
    if not reason.strip():
        problems.append(plain("reason_required", "请填写原因", "Give a reason"))
    if problems:
        raise InvalidInput(problems)
    agreement.revoked_at = clock.now()
    agreement.revoke_reason = reason.strip()[:200]
    company = session.get(Contractor, agreement.contractor_id)
    _audit(
        session,
        agreement,
        company.enterprise_id,
        actor,
        "revoke",
        clock,
        role=_role(actor),
        reason=agreement.revoke_reason,
    )


def add_account(
    session: Session,
    company: Contractor,
    *,
    name: str,
    username: str,
    password: str,
    clock: Clock,
    actor: User | None = None,
) -> User:
    """A sign-in for the company's administrator, who then keeps its worker list and sees
    only its own company (DESIGN §8)."""
    username = username.strip()
    problems = []
    if company.retired_at is not None:
        problems.append(
            plain("contractor_retired", "该承包单位已停用", "This contractor is retired")
        )
    if not name.strip():
        problems.append(plain("account_name", "请填写姓名", "Enter the person's name"))
    if not username or len(username) > 80 or any(c.isspace() for c in username):
        problems.append(
            plain("username", "请填写登录名（不含空格）", "Enter a sign-in name without spaces")
        )
    elif session.scalar(select(User.id).where(User.username == username)):
        problems.append(
            plain(
                "username_taken",
                "登录名{name}已被使用",
                "Sign-in name {name} is taken",
                name=username,
            )
        )
    if len(password) < MIN_PASSWORD:
        problems.append(
            plain(
                "password_short",
                "初始密码至少 {n} 位",
                "The first password needs at least {n} characters",
                n=MIN_PASSWORD,
            )
        )
    if problems:
        raise InvalidInput(problems)
    enterprise = session.get(Enterprise, company.enterprise_id)
    return registers.add_user(
        session,
        enterprise=enterprise,
        name=name.strip()[:120],
        roles=["contractor"],
        username=username,
        password=password,
        contractor=company,
        clock=clock,
        actor=actor,
        actor_role=_role(actor),
    )


# -- the contractor's administrator keeps its workers --------------------------------------


def _own_company(session: Session, admin: User) -> Contractor:
    if not is_admin(admin):
        raise NotFound([])
    company = session.get(Contractor, admin.contractor_id)
    if company is None:
        raise NotFound([])
    return company


def own_worker(session: Session, admin: User, worker_id: int) -> User:
    """One of the admin's own company's workers; anyone else does not exist."""
    worker = session.get(User, worker_id)
    if (
        worker is None
        or not is_admin(admin)
        or worker.contractor_id != admin.contractor_id
        or worker.has_role("contractor")
    ):
        raise NotFound([plain("not_found", "没有此人员", "no such person")])
    return worker


def add_worker(
    session: Session,
    admin: User,
    *,
    name: str,
    phone: str,
    roles: Sequence[str],
    pack: Pack,
    clock: Clock,
) -> User:
    """A worker of the admin's own company, in the roles the pack lets a contractor provide.
    Training is recorded by the enterprise, which holds the sessions (art. 7)."""
    company = _own_company(session, admin)
    allowed = worker_roles(pack)
    spec = pack.section("contractors")
    problems = []
    if company.retired_at is not None:
        problems.append(
            plain("contractor_retired", "本单位已被停用", "Your company has been retired")
        )
    if not name.strip():
        problems.append(plain("worker_name", "请填写姓名", "Enter the worker's name"))
    if not roles:
        problems.append(
            plain(
                "worker_roles", "请选择此人可承担的作业角色", "Choose the roles this worker takes"
            )
        )
    refused = [r for r in roles if r not in allowed]
    if refused:
        problems.append(
            Reason(
                rule="worker_role_refused",
                cite=spec["worker_roles_cite"],
                template={
                    "zh": "承包单位人员只能担任：{allowed}",
                    "en": "A contractor's workers can only be: {allowed}",
                },
                params={
                    "allowed": {
                        "zh": "、".join(_label(r, "zh") for r in allowed),
                        "en": ", ".join(_label(r, "en") for r in allowed),
                    }
                },
            )
        )
    if problems:
        raise InvalidInput(problems)
    enterprise = session.get(Enterprise, company.enterprise_id)
    return registers.add_user(
        session,
        enterprise=enterprise,
        name=" ".join(name.split())[:120],
        phone=phone.strip()[:40] or None,
        roles=[r for r in allowed if r in roles],
        contractor=company,
        clock=clock,
        actor=admin,
        actor_role="contractor",
    )


def _label(role: str, lang: str) -> str:
    return role_label(role, lang)


def deactivate_worker(
    session: Session, admin: User, worker: User, *, reason: str, clock: Clock
) -> None:
    """Take a worker off the company's list: no new permit can name them. Refused while they
    are on an open permit (they may be inside)."""
    worker = own_worker(session, admin, worker.id)
    problems = []
    if not worker.active:
        problems.append(
            plain("worker_inactive", "此人已停用", "This worker is already off the list")
        )
    if not reason.strip():
        problems.append(plain("reason_required", "请填写原因", "Give a reason"))
    still_open = open_permits(session, user_id=worker.id)
    if still_open:
        problems.append(
            plain(
                "worker_busy",
                "{name}还在未关闭的作业票上：{permits}",
                "{name} is still on open permits: {permits}",
                name=worker.name,
                permits="、".join(still_open),
            )
        )
    if problems:
        raise InvalidInput(problems)
    worker.active = False
    _audit(
        session,
        worker,
        worker.enterprise_id,
        admin,
        "deactivate",
        clock,
        role="contractor",
        reason=reason.strip()[:200],
    )


def reactivate_worker(session: Session, admin: User, worker: User, *, clock: Clock) -> None:
    worker = own_worker(session, admin, worker.id)
    company = _own_company(session, admin)
    problems = []
    if worker.active:
        problems.append(plain("worker_active", "此人在册", "This worker is on the list already"))
    if company.retired_at is not None:
        problems.append(
            plain("contractor_retired", "本单位已被停用", "Your company has been retired")
        )
    if problems:
        raise InvalidInput(problems)
    worker.active = True
    _audit(session, worker, worker.enterprise_id, admin, "reactivate", clock, role="contractor")
