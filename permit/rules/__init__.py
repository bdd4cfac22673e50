"""Named rules a workflow file refers to: guards (why not?), effects (record the facts) and
outcomes (which transition). Registering a rule is how a new workflow gets new behaviour;
the engine itself never changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..models import User
from ..workflow import EventDef, Workflow


@dataclass
class Context:
    """What a rule sees: the subject, who acts, the event's data, the time, the rules."""

    session: Session
    subject: Any
    event: EventDef
    actor: User | None
    data: Mapping[str, Any]
    now: datetime
    workflow: Workflow
    client_time: datetime | None = None
    outcomes: dict[str, bool] = field(default_factory=dict)
    audit: dict[str, Any] = field(default_factory=dict)
    acting_as: str | None = None
    _inside: set[int] | None = None

    @property
    def permit(self) -> Any:
        return self.subject

    def inside(self) -> set[int]:
        """Who is inside, counted once per event (the rules ask several times)."""
        if self._inside is None:
            self._inside = set(self.subject.inside)
        return self._inside


Guard = Callable[[Context], Iterable[Mapping[str, Any]]]
Effect = Callable[[Context], None]
Outcome = Callable[[Context], bool]

GUARDS: dict[str, Guard] = {}
EFFECTS: dict[str, Effect] = {}
OUTCOMES: dict[str, Outcome] = {}


def guard(fn: Guard) -> Guard:
    """Register a guard: it yields one dict of message parameters per violation."""
    GUARDS[fn.__name__] = fn
    return fn


def effect(fn: Effect) -> Effect:
    EFFECTS[fn.__name__] = fn
    return fn


def outcome(fn: Outcome) -> Outcome:
    OUTCOMES[fn.__name__] = fn
    return fn


from . import permit_effects, permit_guards, visit_guards  # noqa: E402,F401  (registers the rules)
