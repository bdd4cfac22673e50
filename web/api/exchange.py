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
from permit.errors import Conflict, DomainError, InvalidInput, NotFound, plain
from permit.models import User
from permit.tokens import Bearer

from .. import clock, get_session

JSON = "application/json"
MAX_ID = 2**31 - 1  # the largest row id either database keeps
LOOKUPS = 3  # after a failure, how often to look for a twin's kept answer
LOOKUP_PAUSE = 0.05


class Unauthenticated(Exception):
    """No bearer token, or not a valid one: 401. A session cookie never counts."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def document(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False, default=_jsonable)
    return Response(text, status=status, mimetype=JSON, headers=headers)


def has_nul(value: Any) -> bool:
    """Whether a string, or any string in a nest of lists and dicts, holds a NUL."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def json_body() -> dict[str, Any]:
    """The request's JSON object, or InvalidInput (422) saying what is wrong with it."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(
            [plain("json_body", "请求体须为 JSON 对象", "The request body must be a JSON object")]
        )
    # JSON writes a NUL inside a string as \u0000: only such a body needs the walk
    if b"\\u0000" in request.get_data() and has_nul(body):  # no database keeps a NUL
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
    user_id = bearer().user_id
    if user_id is None:
        raise NotFound([])
    user = get_session().get(User, user_id)
    if user is None:
        raise Unauthenticated()
    return user


def requires_bearer(view: Callable) -> Callable:
    """Authenticate before anything else, so a request without a token learns nothing."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any):
        bearer()
        return view(*args, **kwargs)

    return guarded


def _replayed(answer: idempotency.Stored) -> Response:
    return Response(
        answer.body, status=answer.status, mimetype=JSON, headers={"Idempotent-Replayed": "true"}
    )


def _kept_answer(
    owner: str, key: str, fingerprint: str, lookups: int
) -> idempotency.Stored | None:
    """After a failure: the answer a twin request (or the first try) kept under the key."""
    session = get_session()
    for attempt in range(lookups):
        if attempt:
            time.sleep(LOOKUP_PAUSE)
        found = idempotency.stored(session, owner, key, fingerprint)
        session.rollback()
        if found is not None:
            return found
    return None


def write(
    retries: int = 0, idempotent: bool = True, identity: Callable[[], bytes] | None = None
) -> Callable:
    """A view that changes records: it commits once, at the end, or not at all.

    With an Idempotency-Key header the answer is kept with the change, in the same
    transaction; a retry, or a concurrent twin, gets that answer back and records nothing.
    `retries`: how often a Conflict (the permit changed meanwhile) is retried from the start,
    for writes that do not depend on what the caller last saw (a batch of readings).
    `idempotent=False`: the header is ignored (an answer that must never be kept, such as a
    new token's secret).
    `identity`: what stands for the body in the key's fingerprint, where the same request may
    come wrapped anew (a multipart upload's boundary); by default the body's bytes."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def run(*args: Any, **kwargs: Any):
            owner = bearer().owner
            session = get_session()
            key = request.headers.get("Idempotency-Key") if idempotent else None
            fingerprint = ""
            if key is not None:
                idempotency.check_key(key)
                body = identity() if identity is not None else request.get_data()
                fingerprint = idempotency.fingerprint(
                    request.method, request.full_path.rstrip("?"), body
                )
            for attempt in range(retries + 1):
                try:
                    response = view(*args, **kwargs)
                    if key is not None and 200 <= response.status_code < 300:
                        idempotency.record(
                            session, owner, key, fingerprint, status=response.status_code,
                            body=response.get_data(as_text=True), now=clock().now(),
                        )
                    session.commit()
                    return response
                except (DomainError, IntegrityError, OperationalError) as failure:
                    session.rollback()
                    if key is not None:
                        # a refusal is answered at once; a clash on the key may need its
                        # twin's commit to show
                        lookups = 1 if isinstance(failure, DomainError) else LOOKUPS
                        kept = _kept_answer(owner, key, fingerprint, lookups)
                        if kept is not None:
                            return _replayed(kept)
                    if not isinstance(failure, Conflict) or attempt == retries:
                        raise
                except Exception:
                    session.rollback()
                    raise
            raise AssertionError("unreachable")

        return run

    return decorate
