"""Assertions shared by the domain tests."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from permit import engine
from permit.errors import Blocked, DomainError
from permit.models import Base


def row_counts(session) -> dict[str, int]:
    return {
        t.name: session.execute(select(func.count()).select_from(t)).scalar_one()
        for t in Base.metadata.sorted_tables
    }


def reasons(exc) -> list[str]:
    """The rules named by a refusal caught with pytest.raises."""
    return [r.rule for r in exc.value.reasons]


def refused(world, permit, event: str, actor=None, error=Blocked, **data: Any) -> set[str]:
    """Fire an event that must be refused; return the names of the rules that refused it.

    Also checks the two promises of a refusal: blocked_by gives the very same reasons,
    and nothing in the database changed.
    """
    actor = actor or world.actor_for(permit, event)
    payload = world.data_for(permit, event, **data)
    world.session.commit()  # the test's own setup is not what the refusal must leave alone
    before = row_counts(world.session)
    version, state = permit.version, permit.state
    with pytest.raises(error) as caught:
        world.fire(permit, event, actor=actor, **data)
    assert isinstance(caught.value, DomainError)
    world.session.expire_all()
    assert row_counts(world.session) == before
    assert (permit.version, permit.state) == (version, state)
    if error is Blocked:
        why = engine.blocked_by(
            world.session, permit, event, actor, clock=world.clock, data=payload
        )
        assert [r.text("en") for r in why] == [r.text("en") for r in caught.value.reasons]
    for reason in caught.value.reasons:
        assert reason.message("zh") and reason.message("en")
    return {r.rule for r in caught.value.reasons}
