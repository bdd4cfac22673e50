"""Numbers a request carries in its form or query: record ids chosen in a picker, and the like."""

from __future__ import annotations

from collections.abc import Iterable

MAX_ID = 2**31 - 1  # the largest integer key PostgreSQL's `integer` holds


def number(value: str | None) -> int | None:
    """A whole number written in ASCII digits, or None. '²' is a digit to str.isdigit but no
    number to int, and a key past MAX_ID overflows PostgreSQL's integer instead of matching
    nothing."""
    if value is None or not (value.isascii() and value.isdigit()):
        return None
    found = int(value)
    return found if found <= MAX_ID else None


def ids(values: Iterable[str]) -> list[int]:
    """The record ids a picker sent; anything that is no id is no choice."""
    return [n for n in map(number, values) if n is not None]
