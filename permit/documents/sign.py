"""The warning sign (安全警示标志) of a space: one page per space, A4 or A3, with the warning
wording of the rule pack the enterprise is judged by, the space's hazards and controls, the
emergency number, and a QR code to the public scan page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from math import ceil
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import packs, qr, signs
from ..clock import local_date
from ..models import Enterprise, Space
from . import PdfCache, render

# A3 is A4 scaled by √2: the same sign, readable from further away.
SCALE = {"A4": 1.0, "A3": 2**0.5}


def pages(
    session: Session, spaces: Sequence[Space], *, base_url: str, now: datetime
) -> list[dict[str, Any]]:
    """What each page prints, as plain data."""
    day = local_date(now)
    ids = {s.enterprise_id for s in spaces}
    enterprises = {
        e.id: e for e in session.scalars(select(Enterprise).where(Enterprise.id.in_(ids)))
    }
    in_force = {i: packs.packs()[packs.pack_in_force(session, i, day)] for i in ids}
    out = []
    for space in spaces:
        pack = in_force[space.enterprise_id]
        known = pack.workflows["confined_space"].section("hazards")
        url = qr.scan_url(base_url, space.qr_token)
        out.append(
            {
                "code": space.code,
                "name": space.name,
                "location": space.location,
                "enterprise": enterprises[space.enterprise_id].name,
                "hazards": [known.get(h, {}).get("zh", h) for h in space.hazards],
                "controls": list(space.control_measures),
                "isolation": list(space.isolation_measures),
                "phone": signs.emergency_phone(space, enterprises[space.enterprise_id]),
                "wording": pack.section("sign"),
                "url": url,
                "qr": qr.png_data_url(url),
                "mark": signs.fingerprint(space.qr_token)[:6],
                "printed_on": day.isoformat(),
                "level": _level(
                    space,
                    [known.get(h, {}).get("zh", h) for h in space.hazards],
                    pack.section("sign")["reminder"]["zh"],
                ),
            }
        )
    return out


# The room the space's own text has (rem, the A4 sign's unit) under each warning panel.
ROOM = {"normal": 29.6, "compact": 36.6}


def _level(space: Space, hazards: list[str], reminder: str) -> str:
    """How much room the space's own text needs, estimated line by line as the sign sets it
    (26 characters to a line of measures, 23 to a line of the name, chips of hazards packed
    into the left column): the warning panel shrinks to make room, and the dense sign takes
    what the compact one cannot."""
    name_lines = ceil((len(space.name) + 6) / 23)
    row, rows = 0.0, 1
    for label in hazards:
        width = 1.6 * len(label) + 1.8
        if row + width > 34.5 and row:
            rows, row = rows + 1, 0.0
        row += width
    measures = [*space.control_measures, reminder]
    measure_lines = sum(ceil((len(m) + 2) / 26) for m in measures)
    isolation = "；".join(space.isolation_measures)
    height = (
        2.0  # padding
        + 2.75 * name_lines
        + (1.7 if space.location else 0)
        + 0.9
        + 2 * 1.9  # the two headings
        + 2.4 * rows
        + 0.8
        + 1.96 * measure_lines
        + 0.6
        + (1.74 * ceil((len(isolation) + 5) / 28) if isolation else 0)
    )
    for level, room in ROOM.items():
        if height <= room * 0.97:
            return level
    return "dense"


def sign_pdf(
    session: Session,
    spaces: Sequence[Space],
    *,
    base_url: str,
    size: str,
    now: datetime,
    cache: PdfCache | None = None,
) -> bytes:
    """One sign per space, in the order given, in one PDF."""
    size = signs.check_size(size)
    return render(
        "sign.html",
        cache=cache,
        pages=pages(session, spaces, base_url=base_url, now=now),
        size=size,
        k=SCALE[size],
    )
