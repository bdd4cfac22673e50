"""The ledger's spaces and the enterprise's people, as the requester's phone needs them."""

from __future__ import annotations

from permit import access, packs
from permit.clock import local_date
from permit.errors import NotFound, plain
from permit.models import Permit, Space

from .. import clock, get_session
from . import bp, documents
from .exchange import document, person, requires_bearer

OPEN = ("closed", "cancelled", "expired")


def _workflow(user):
    return packs.workflow_for(
        get_session(), user.enterprise_id, "confined_space", local_date(clock().now())
    )


@bp.get("/spaces")
@requires_bearer
def list_spaces():
    user = person()
    rows = get_session().scalars(access.visible_spaces(user).order_by(Space.code)).all()
    wf = _workflow(user) if rows else None
    return document({"spaces": [documents.space(s, wf) for s in rows]})


@bp.get("/spaces/<code>")
@requires_bearer
def show_space(code: str):
    user = person()
    session = get_session()
    found = session.scalars(access.visible_spaces(user).where(Space.code == code)).first()
    if found is None:
        raise NotFound(
            [plain("not_found", "没有找到有限空间 {code}", "No space {code}", code=code)]
        )
    doc = documents.space(found, _workflow(user))
    permits = session.scalars(
        access.visible_permits(user)
        .where(Permit.space_id == found.id, Permit.state.not_in(OPEN))
        .order_by(Permit.id.desc())
    )
    doc["open_permits"] = [documents.permit_summary(p) for p in permits]
    return document(doc)


@bp.get("/people")
@requires_bearer
def list_people():
    """The enterprise's active people, to name on a permit request."""
    user = person()
    people = access.colleagues(get_session(), user)
    return document(
        {
            "people": [
                {
                    "id": p.id,
                    "name": p.name,
                    "roles": sorted(str(r) for r in p.roles),
                    "contractor": p.contractor_id is not None,
                }
                for p in people
            ]
        }
    )
