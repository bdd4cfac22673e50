"""Views meant for one audience answer 404 to everyone else (DESIGN §8: never a hint)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from permit.errors import NotFound

from .auth import me


def for_roles(*roles: str, staff: bool = True) -> Callable:
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            user = me()
            if not user.has_role(*roles) or (staff and user.contractor_id is not None):
                raise NotFound([])
            return view(*args, **kwargs)

        return guarded

    return decorate
