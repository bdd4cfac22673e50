"""Expert visits over the API, for the expert's phone on site and the regulator: the visits of
the caller's scope (an expert's or a regulator's jurisdiction, an enterprise's own), the
20-checkpoint form saved field by field, photos, the visit's steps, and an enterprise of the
jurisdiction. The same rules as web/inspections.py: outside one's scope is a 404."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Response, current_app, g, request

from permit import inspections, jurisdictions
from permit.clock import local_date
from permit.errors import InvalidInput, NotFound, plain
from permit.models import Enterprise, Inspection

from .. import clock, get_session
from . import bp
from . import visit_documents as docs
from .exchange import MAX_ID, document, json_body, person, requires_bearer, write
from .permits import _invalid, fire, limit_arg

PHOTO_TYPES = ("image/jpeg", "image/png")
EVENT_LISTS = ("confirmed", "documents")
EVENT_TEXTS = ("password", "conclusion")


def _states() -> set[str]:
    return set(inspections.workflow().states)


@bp.get("/visits")
@requires_bearer
def list_visits():
    """The visits this person may see, latest planned first; filter by state or enterprise."""
    user = person()
    session = get_session()
    query = inspections.visible_inspections(session, user)
    state = request.args.get("state")
    if state is not None:
        if state not in _states():
            raise _invalid("state")
        query = query.where(Inspection.state == state)
    code = request.args.get("enterprise")
    if code is not None:
        query = query.where(Inspection.enterprise.has(Enterprise.code == code))
    rows = session.scalars(
        query.order_by(Inspection.planned_on.desc(), Inspection.id.desc()).limit(limit_arg())
    ).all()
    return document({"visits": [docs.visit_summary(v, user) for v in rows]})


@bp.get("/visits/<number>")
@requires_bearer
def show_visit(number: str):
    user = person()
    session = get_session()
    visit = inspections.inspection_for(session, user, number)
    return document(docs.visit_detail(session, visit, user, clock=clock()))


def _value(body: dict) -> Any:
    """A field's value: text, null, or (the methods) a list of texts; nothing else is a value."""
    value = body.get("value")
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise _invalid("value")


@bp.post("/visits/<number>/checkpoints/<int:checkpoint>")
@write()
def save_checkpoint(number: str, checkpoint: int):
    """One field of one checkpoint, judged as the web form's is; the same value again (a
    retry) changes nothing, and an Idempotency-Key replays the first answer."""
    user = person()
    session = get_session()
    visit = inspections.inspection_for(session, user, number)
    body = json_body()
    field = body.get("field")
    if not isinstance(field, str) or not field:
        raise _invalid("field")
    row = inspections.save_field(
        session, visit, checkpoint, field, _value(body), actor=user, clock=clock()
    )
    return document({"saved": docs.saved(visit, row)})


def _photo() -> tuple[str, bytes]:
    """The photo of a request: the `photo` part of a multipart form, or the whole body sent
    with an image content type (what a phone's camera app streams). Read once: an upload's
    stream cannot be read twice."""
    if "api_photo" not in g:
        g.api_photo = _read_photo()
    return g.api_photo


def _read_photo() -> tuple[str, bytes]:
    limit = current_app.config["API_MAX_PHOTO_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise InvalidInput(
            [
                plain(
                    "photo_too_large",
                    "照片不能超过 {mb} MB",
                    "A photo may not exceed {mb} MB",
                    mb=limit // 2**20,
                )
            ]
        )
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("photo")
        if upload is None:
            raise _invalid("photo")
        return (upload.filename or "photo")[:200], upload.read()
    if request.mimetype in PHOTO_TYPES:
        return "photo." + request.mimetype.split("/")[1], request.get_data()
    raise InvalidInput(
        [
            plain(
                "photo_type",
                "只接受 JPEG 或 PNG 照片"
                "（multipart 的 photo 字段，或 image/jpeg、image/png 请求体）",
                "Only JPEG or PNG photos (a multipart 'photo' part, or an image/jpeg or "
                "image/png body)",
            )
        ]
    )


def _photo_identity() -> bytes:
    """What makes two uploads the same upload: the photo's bytes, not the multipart wrapping,
    whose boundary a retrying phone may draw anew."""
    try:
        _name, data = _photo()
    except InvalidInput:
        return b""  # refused anyway, and a refusal keeps no answer
    return hashlib.sha256(data).hexdigest().encode()


@bp.post("/visits/<number>/checkpoints/<int:checkpoint>/photos")
@write(identity=_photo_identity)
def add_photo(number: str, checkpoint: int):
    """A photo of a checkpoint, kept by its hash: sent again, it is the same photo."""
    user = person()
    session = get_session()
    visit = inspections.inspection_for(session, user, number)
    filename, data = _photo()
    kept = inspections.add_photo(
        session, visit, checkpoint, filename=filename, data=data, actor=user, clock=clock()
    )
    return document({"photo": docs.photo(visit, kept), "checkpoint": checkpoint}, 201)


@bp.get("/visits/<number>/photos/<int:photo_id>")
@requires_bearer
def visit_photo(number: str, photo_id: int):
    """The report's copy of a photo (resized, JPEG), to whoever sees the visit."""
    if photo_id > MAX_ID:
        raise NotFound([])
    found = inspections.photo_for(get_session(), person(), number, photo_id)
    response = Response(found.resized.data, mimetype=found.resized.content_type)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


def _texts(body: dict, key: str) -> list[str]:
    value = body.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _invalid(key)
    return value


def _attendees(body: dict) -> dict[str, list[str]]:
    value = body.get("attendees")
    if not isinstance(value, dict):
        raise _invalid("attendees")
    found = {}
    for role, names in value.items():
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise _invalid("attendees")
        found[role] = names
    return found


def visit_event_data(body: dict) -> dict[str, Any]:
    """The event's data from a JSON body: the fields the web's step forms send, nothing else."""
    data: dict[str, Any] = {}
    for key in EVENT_LISTS:
        if key in body:
            data[key] = _texts(body, key)
    if "attendees" in body:
        data["attendees"] = _attendees(body)
    for key in EVENT_TEXTS:
        if key in body:
            if not isinstance(body[key], str):
                raise _invalid(key)
            data[key] = body[key].strip()
    return data


@bp.post("/visits/<number>/events/<event>")
@write()
def fire_visit_event(number: str, event: str):
    """Fire one step of the visit: the new state, or 409 with the reasons that cite the
    procedure (000)."""
    user = person()
    session = get_session()
    visit = inspections.inspection_for(session, user, number)
    return fire(session, visit, event, user, visit_event_data)


@bp.get("/enterprises/<code>")
@requires_bearer
def show_enterprise(code: str):
    """An enterprise of the caller's jurisdiction (experts and regulators only)."""
    user = person()
    session = get_session()
    found = jurisdictions.enterprise_for(session, user, code)
    return document(docs.enterprise(session, found, local_date(clock().now())))
