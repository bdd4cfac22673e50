"""Permits over the API: list, request, read, fire events, and send monitoring readings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Response, current_app, request
from sqlalchemy import exists, or_

from permit import access, engine, readings
from permit.errors import InvalidInput, NotFound, plain
from permit.models import Permit, PermitPerson, Space
from permit.requests import PermitRequest, equipment_ids, request_permit
from permit.workflow import registry

from .. import clock, get_session, params
from ..event_forms import LISTS, SCALARS
from . import bp, documents
from .exchange import MAX_ID, bearer, document, json_body, person, requires_bearer, write

MAX_LIMIT = 500


def _invalid(field: str) -> InvalidInput:
    return InvalidInput(
        [plain("field", "缺少或无效：{field}", "Missing or invalid: {field}", field=field)]
    )


def limit_arg() -> int:
    """The `limit` query argument, a whole number from 1 to MAX_LIMIT."""
    limit = params.number(request.args.get("limit", "100"))
    if limit is None or not 1 <= limit <= MAX_LIMIT:
        raise _invalid("limit")
    return limit


def _states() -> set[str]:
    """The states of permit workflows (not of a visit, whose subject is an inspection)."""
    return {
        s
        for wf in registry().values()
        if wf.raw["workflow"].get("subject", "permit") == "permit"
        for s in wf.states
    }


@bp.get("/permits")
@requires_bearer
def list_permits():
    """The permits this person may see, newest first; filter by state, space, or mine."""
    user = person()
    query = access.visible_permits(user)
    state = request.args.get("state")
    if state is not None:
        if state not in _states():
            raise _invalid("state")
        query = query.where(Permit.state == state)
    code = request.args.get("space")
    if code is not None:
        query = query.join(Space, Space.id == Permit.space_id).where(Space.code == code)
    mine = request.args.get("mine", "false").lower()
    if mine not in ("true", "false", "1", "0"):
        raise _invalid("mine")
    if mine in ("true", "1"):
        named = exists().where(PermitPerson.permit_id == Permit.id, PermitPerson.user_id == user.id)
        query = query.where(
            or_(Permit.attendant_id == user.id, Permit.requester_id == user.id, named)
        )
    rows = get_session().scalars(query.order_by(Permit.id.desc()).limit(limit_arg())).all()
    return document({"permits": [documents.permit_summary(p) for p in rows]})


def _moment(body: dict, key: str) -> datetime | None:
    value = body.get(key)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise _invalid(key)
    return moment


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def _ids(body: dict, key: str) -> list[int]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(_is_id(v) for v in value):
        raise _invalid(key)
    return value


def _texts(body: dict, key: str) -> list[str] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _invalid(key)
    return value


def _optional_id(body: dict, key: str) -> int | None:
    value = body.get(key)
    if value is not None and not _is_id(value):
        raise _invalid(key)
    return value


@bp.post("/permits")
@write()
def create_permit():
    """A new draft permit, checked as the web form's request is (permit.requests)."""
    user = person()
    if not access.can_request(user):
        raise NotFound([])
    session = get_session()
    body = json_body()
    code, task = body.get("space"), body.get("task_type", "")
    if not isinstance(code, str):
        raise _invalid("space")
    if not isinstance(task, str):
        raise _invalid("task_type")
    purpose = body.get("purpose", "")
    if not isinstance(purpose, str):
        raise _invalid("purpose")
    space = session.scalars(
        access.visible_spaces(user).where(Space.code == code, Space.retired_at.is_(None))
    ).first()
    permit = request_permit(
        session,
        user,
        PermitRequest(
            space=space,
            task_type=task,
            purpose=purpose,
            window_start=_moment(body, "window_start"),
            window_end=_moment(body, "window_end"),
            attendant_id=_optional_id(body, "attendant"),
            entrant_ids=_ids(body, "entrants"),
            rescuer_ids=_ids(body, "rescuers"),
            equipment_ids=equipment_ids(session, user, _texts(body, "equipment") or []),
            contractor_id=_optional_id(body, "contractor"),
            supervisor_id=_optional_id(body, "supervisor"),
            hazards=_texts(body, "hazards"),
            control_measures=_texts(body, "control_measures"),
        ),
        clock=clock(),
    )
    session.flush()
    return document(documents.permit_detail(session, permit, user, clock=clock()), 201)


@bp.get("/permits/<number>")
@requires_bearer
def show_permit(number: str):
    user = person()
    session = get_session()
    permit = access.permit_for(session, user, number)
    return document(documents.permit_detail(session, permit, user, clock=clock()))


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def event_data(body: dict, permit: Permit) -> dict[str, Any]:
    """The event's data from a JSON body: the same fields the web form sends, nothing else."""
    data: dict[str, Any] = {}
    for key in SCALARS:
        if key in body:
            if not _scalar(body[key]):
                raise _invalid(key)
            data[key] = body[key].strip() if isinstance(body[key], str) else body[key]
    for key in LISTS:
        if key in body:
            if not isinstance(body[key], list) or not all(_scalar(v) for v in body[key]):
                raise _invalid(key)
            data[key] = list(body[key])
    if "readings" in body:
        if not isinstance(body["readings"], list):
            raise _invalid("readings")
        data["readings"] = body["readings"]
    detector = data.get("detector")
    if isinstance(detector, str):  # a serial, as a person reads it off the detector
        by_serial = {e.serial: e.id for e in permit.equipment}
        data["detector"] = by_serial.get(detector, detector)
    return data


@bp.post("/permits/<number>/events/<event>")
@write()
def fire_event(number: str, event: str):
    """Fire one event with its data: the new state, or 409 with the reasons it is refused."""
    user = person()
    session = get_session()
    permit = access.permit_for(session, user, number)
    return fire(session, permit, event, user, lambda body: event_data(body, permit))


def fire(
    session, record: Any, event: str, user, read_data: Callable[[dict], dict[str, Any]]
) -> Response:
    """Fire one event on a permit or a visit with the data `read_data` takes from the JSON
    body (after its version is checked): the applied document, or the engine's refusal."""
    body = json_body()
    version = body.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise _invalid("version")
    result = engine.apply(
        session,
        record,
        event,
        user,
        read_data(body),
        clock=clock(),
        client_time=_moment(body, "client_time"),
        expected_version=version,
    )
    return document(documents.applied(record, result))


@bp.post("/permits/<number>/readings")
@write(retries=3)  # an alarm that meets a concurrent event is raised again, never lost
def post_readings(number: str):
    """A batch of monitoring readings from a detector's gateway or the attendant's phone."""
    who = bearer()
    session = get_session()
    user = None
    if who.detector is not None:
        permit = access.permit_for_detector(session, who.enterprise_id, who.detector.id, number)
    else:
        user = person()
        permit = access.permit_for(session, user, number)
    body = json_body()
    skew = timedelta(seconds=current_app.config["READINGS_CLOCK_SKEW_SECONDS"])
    result = readings.ingest(
        session,
        permit,
        body.get("readings"),
        source=readings.Source(who.token_id, user, who.detector),
        clock=clock(),
        skew=skew,
    )
    return document(documents.ingested(permit, result), 201)
