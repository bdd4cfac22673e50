"""The warning sign (安全警示标志) of a space: one page per space, A4 or A3, with the warning
wording of the rule pack the enterprise is judged by, the space's hazards and controls, the
emergency number, and a QR code to the public scan page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
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
                "dense": len(space.control_measures) + len(space.isolation_measures) > 6
                or sum(map(len, space.control_measures)) > 90,
            }
        )
    return out


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
