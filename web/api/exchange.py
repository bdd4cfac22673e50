"""Reading API requests and writing their answers: the bearer behind a request, JSON bodies,
and writes that commit once, with an Idempotency-Key making a retry record nothing twice."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from typing import Any

from flask import Response, g, request
from sqlalchemy.exc import IntegrityError, OperationalError

from permit import idempotency, tokens
from permit.errors import Conflict, InvalidInput, NotFound, plain
from permit.models import User
from permit.tokens import Bearer

from .. import clock, get_session

JSON = "application/json"
MAX_ID = 2**31 - 1  # the largest row id either database keeps
CLAIM_ATTEMPTS = 100  # × CLAIM_PAUSE: how long a retry waits for the first request to finish
CLAIM_PAUSE = 0.05


class Unauthenticated(Exception):
    """No bearer token, or not a valid one: 401. A session cookie never counts."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def document(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False, default=_jsonable)
    return Response(text, status=status, mimetype=JSON, headers=headers)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def json_body() -> dict[str, Any]:
    """The request's JSON object, or InvalidInput (422) saying what is wrong with it."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(
            [plain("json_body", "请求体须为 JSON 对象", "The request body must be a JSON object")]
        )
    if _has_nul(body):  # no database keeps a NUL character in text
        raise InvalidInput(
            [plain("nul", "文本中不能含有 NUL 字符", "Text may not contain NUL characters")]
        )
    return body


def bearer() -> Bearer:
    found = g.get("api_bearer")
    if found is None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated()
        found = tokens.authenticate(get_session(), token.strip(), now=clock().now())
        if found is None:
            raise Unauthenticated()
        g.api_bearer = found
    return found


def person() -> User:
    """The person behind a user token; a device token sees nothing but its readings (404)."""
    user = bearer().user
    if user is None:
        raise NotFound([])
    return user


def requires_bearer(view: Callable) -> Callable:
    """Authenticate before anything else, so a request without a token learns nothing."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any):
        bearer()
        return view(*args, **kwargs)

    return guarded


def _claim(key: str) -> Response | Any:
    """Claim the key for this request, or the answer already recorded under it."""
    session = get_session()
    owner = bearer().owner
    fingerprint = idempotency.fingerprint(
        request.method, request.full_path.rstrip("?"), request.get_data()
    )
    for _ in range(CLAIM_ATTEMPTS):
        try:
            got = idempotency.claim(session, owner, key, fingerprint, now=clock().now())
        except (IntegrityError, OperationalError):
            # The same key is being recorded by a concurrent request: wait for its answer.
            session.rollback()
            time.sleep(CLAIM_PAUSE)
            continue
        if isinstance(got, idempotency.Stored):
            session.rollback()
            return Response(
                got.body, status=got.status, mimetype=JSON, headers={"Idempotent-Replayed": "true"}
            )
        return got
    raise Conflict([plain("in_progress", "请求仍在处理中，请稍后重试", "Still in progress: retry")])


def write(retries: int = 0, idempotent: bool = True) -> Callable:
    """A view that changes records: it commits once, at the end, or not at all.

    With an Idempotency-Key header the answer is stored with the change, in the same
    transaction, and a retry gets it back without recording again. `retries`: how often a
    Conflict (the permit changed meanwhile) is retried from the start, for writes that do
    not depend on what the caller last saw (a batch of readings). `idempotent=False`: the
    header is ignored (an answer that must never be stored, such as a new token's secret)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def run(*args: Any, **kwargs: Any):
            bearer()
            session = get_session()
            key = request.headers.get("Idempotency-Key") if idempotent else None
            if key is not None:
                idempotency.check_key(key)
            for attempt in range(retries + 1):
                claim = None
                try:
                    if key is not None:
                        claim = _claim(key)
                        if isinstance(claim, Response):
                            return claim
                    response = view(*args, **kwargs)
                    if claim is not None and 200 <= response.status_code < 300:
                        idempotency.record(claim, response.status_code, response.get_data(True))
                    session.commit()
                    return response
                except Conflict:
                    session.rollback()
                    if attempt == retries:
                        raise
                    session.expire_all()
                except Exception:
                    session.rollback()
                    raise
            raise AssertionError("unreachable")

        return run

    return decorate
