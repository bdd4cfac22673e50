"""The engine: apply an event to a subject inside the caller's transaction, or say why not.

One function answers both "may I?" and "why not?" (blocked_by); apply refuses with exactly
those reasons. The state machine is built once per workflow and shared; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from . import audit
from . import workflow as workflows
from .clock import Clock
from .errors import Blocked, Conflict, InvalidInput, Reason, plain
from .models import User
from .rules import EFFECTS, GUARDS, Context
from .workflow import EventDef, Workflow

SECRET_FIELDS = {"password"}


@dataclass(frozen=True)
class Applied:
    event: str
    source: str
    state: str
    version: int
    outcomes: Mapping[str, bool]


def workflow_of(subject: Any) -> Workflow:
    return workflows.get(subject.workflow, subject.workflow_version)


def _context(
    session: Session,
    subject: Any,
    event: str,
    actor: User | None,
    data: Mapping[str, Any] | None,
    now: datetime,
    client_time: datetime | None,
) -> tuple[Context | None, list[Reason]]:
    wf = workflow_of(subject)
    definition = wf.events.get(event)
    if definition is None:
        return None, [
            plain("unknown_event", "未知操作：{event}", "Unknown event: {event}", event=event)
        ]
    ctx = Context(
        session=session,
        subject=subject,
        event=definition,
        actor=actor,
        data=dict(data or {}),
        now=now,
        workflow=wf,
        client_time=client_time,
    )
    if subject.state not in definition.sources:
        return ctx, [
            plain(
                "wrong_state",
                "当前状态“{state}”下不能{event}",
                "Cannot {event_en} while {state_en}",
                state=wf.state_label(subject.state, "zh"),
                event=wf.event_label(event, "zh"),
                state_en=wf.state_label(subject.state, "en").lower(),
                event_en=wf.event_label(event, "en").lower(),
            )
        ]
    return ctx, []


def _guard_reasons(ctx: Context, with_input: bool) -> list[Reason]:
    reasons = []
    for name in ctx.event.guards:
        text = ctx.workflow.guards[name]
        if text.input and not with_input:
            continue  # judged when the form that collects the data is sent
        for params in GUARDS[name](ctx):
            reasons.append(Reason(rule=name, cite=text.cite, template=text.template, params=params))
    return reasons


def blocked_by(
    session: Session,
    subject: Any,
    event: str,
    actor: User | None,
    *,
    clock: Clock,
    data: Mapping[str, Any] | None = None,
) -> list[Reason]:
    """Why this actor cannot fire this event now; empty when they can.

    Without data, the guards that judge the event's data (readings, confirmations,
    password) are left to the form that collects it.
    """
    ctx, reasons = _context(session, subject, event, actor, data, clock.now(), None)
    if reasons or ctx is None:
        return reasons
    return _guard_reasons(ctx, with_input=data is not None)


@dataclass(frozen=True)
class Step:
    """An event this person is the right one for, and what (if anything) still blocks it."""

    event: EventDef
    reasons: list[Reason]

    @property
    def ready(self) -> bool:
        return not self.reasons


def steps_for(session: Session, subject: Any, actor: User | None, *, clock: Clock) -> list[Step]:
    """The current state's events, minus those this actor is not the person for: the buttons
    a screen shows, enabled exactly when apply would accept them (given the form's data)."""
    wf = workflow_of(subject)
    steps = []
    for name, event in wf.events.items():
        if subject.state not in event.sources:
            continue
        reasons = blocked_by(session, subject, name, actor, clock=clock)
        if any(
            wf.guards[r.rule].actor and not wf.guards[r.rule].explain
            for r in reasons
            if r.rule in wf.guards
        ):
            continue
        steps.append(Step(event, reasons))
    return steps


def allowed_events(
    session: Session, subject: Any, actor: User | None, *, clock: Clock
) -> list[str]:
    """The events this actor could fire now (given the right data): the buttons to show."""
    wf = workflow_of(subject)
    return [
        name
        for name, ev in wf.events.items()
        if subject.state in ev.sources
        and not blocked_by(session, subject, name, actor, clock=clock)
    ]


def apply(
    session: Session,
    subject: Any,
    event: str,
    actor: User | None,
    data: Mapping[str, Any] | None = None,
    *,
    clock: Clock,
    client_time: datetime | None = None,
    expected_version: int | None = None,
) -> Applied:
    """Fire one event: check, record its facts, move the state, append the audit entry.

    Everything happens in the caller's transaction and is flushed; the caller commits,
    or rolls back on any error. Raises InvalidInput, Blocked or Conflict with reasons.
    """
    now = clock.now()
    ctx, reasons = _context(session, subject, event, actor, data, now, client_time)
    if ctx is None:
        raise InvalidInput(reasons)
    if expected_version is not None and expected_version != subject.version:
        raise Conflict([_changed_meanwhile(ctx.workflow)])
    missing = [f for f in ctx.event.requires if ctx.data.get(f) in (None, "", [], {})]
    if missing and not reasons:
        labels = ctx.workflow.section("fields")
        raise InvalidInput(
            [
                plain(
                    "missing_field",
                    "缺少必填项：{field}",
                    "Missing: {field}",
                    field=labels.get(f, {"zh": f, "en": f}),
                )
                for f in missing
            ]
        )
    if reasons:
        raise Blocked(reasons)
    reasons = _guard_reasons(ctx, with_input=True)
    if reasons:
        raise Blocked(reasons)

    source = subject.state
    if ctx.event.effect:
        EFFECTS[ctx.event.effect](ctx)
    machine = ctx.workflow.machine
    if not machine.events[event].trigger(subject, ctx=ctx):
        raise Blocked([plain("no_transition", "没有可用的状态转换", "No transition applies")])
    subject.updated_at = now
    subject.last_event = event
    # Every event bumps the version, even one that changes no column of the subject (a second
    # check-in in the same second): the optimistic lock must see every event.
    flag_modified(subject, "updated_at")
    try:
        session.flush()  # the version check: of two concurrent events one fails here
        audit.append(
            session,
            enterprise_id=subject.enterprise_id,
            actor_id=actor.id if actor else None,
            actor_role=ctx.acting_as or "system",
            subject_type=type(subject).__tablename__,
            subject_id=subject.id,
            event=event,
            data={"from": source, "to": subject.state, **_recorded(ctx), **ctx.audit},
            at=now,
            client_at=client_time,
        )
    except StaleDataError as exc:
        raise Conflict([_changed_meanwhile(ctx.workflow)]) from exc
    except OperationalError as exc:
        if "locked" in str(exc).lower() or "busy" in str(exc).lower():
            raise Conflict([_changed_meanwhile(ctx.workflow)]) from exc
        raise
    return Applied(event, source, subject.state, subject.version, dict(ctx.outcomes))


def _recorded(ctx: Context) -> dict[str, Any]:
    """The fields of the event's data that the event declares: never a secret, never whatever
    else a form or a client happened to send."""
    return {k: v for k, v in ctx.data.items() if k in ctx.event.requires and k not in SECRET_FIELDS}


def _changed_meanwhile(wf: Workflow) -> Reason:
    """Named by the workflow's own title: a permit, or an expert visit."""
    title = wf.section("workflow")["title"]
    return plain(
        "conflict",
        "{title}已被他人更新，请刷新后重试",
        "This {title} changed meanwhile: reload and try again",
        title={"zh": title["zh"], "en": title["en"][:1].lower() + title["en"][1:]},
    )
