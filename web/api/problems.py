"""API errors as application/problem+json (RFC 9457): a type, a title and a status, and the
refusal's reasons, each with the rule and the article it cites, in the caller's language."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from flask import Response, current_app, request
from werkzeug.exceptions import HTTPException

from permit.errors import Blocked, Conflict, DomainError, InvalidInput, NotFound, Reason, plain

PROBLEM = "application/problem+json"
TYPE = "urn:permit-to-work:problem:"

# kind → (status, title in Chinese, title in English)
KINDS: dict[str, tuple[int, str, str]] = {
    "bad-request": (400, "请求格式错误", "Malformed request"),
    "unauthorized": (401, "需要有效的访问令牌", "A valid bearer token is needed"),
    "not-found": (404, "没有找到", "Not found"),
    "method-not-allowed": (405, "不支持此方法", "Method not allowed"),
    "blocked": (409, "规则不允许此操作", "Refused by the rules"),
    "conflict": (409, "已被他人更新", "Changed meanwhile"),
    "invalid": (422, "请求内容无效", "Invalid request"),
    "throttled": (429, "尝试次数过多", "Too many attempts"),
    "server-error": (500, "服务器内部错误", "Internal server error"),
}


def lang() -> str:
    """zh unless the caller's Accept-Language prefers English."""
    best = request.accept_languages.best_match(["zh", "en"], default="zh")
    return "en" if best == "en" else "zh"


def reason_document(reason: Reason, language: str) -> dict:
    doc = {"rule": reason.rule, "message": reason.message(language), "cite": reason.cite}
    if "index" in reason.params:
        doc["index"] = reason.params["index"]
    return doc


def problem(
    kind: str,
    reasons: Iterable[Reason] = (),
    *,
    detail: str | None = None,
    headers: Mapping[str, str] | None = None,
    status: int | None = None,
) -> Response:
    known, zh, en = KINDS.get(kind, KINDS["bad-request"])
    status = status or known
    language = lang()
    listed = [reason_document(r, language) for r in reasons]
    if detail is None:
        detail = (
            "；".join(r["message"] for r in listed)
            if language == "zh"
            else "; ".join(r["message"] for r in listed)
        )
    body = {
        "type": TYPE + kind,
        "title": zh if language == "zh" else en,
        "status": status,
        "detail": detail or (zh if language == "zh" else en),
        "instance": request.path,
        "reasons": listed,
    }
    response = Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM, headers=headers
    )
    response.headers["Content-Language"] = language
    return response


def unauthorized() -> Response:
    zh = "请在 Authorization 头中发送 Bearer 令牌（POST /api/v1/tokens 获取）；会话 Cookie 无效"
    en = (
        "Send Authorization: Bearer <token> (get one from POST /api/v1/tokens); "
        "a session cookie does not count"
    )
    return problem(
        "unauthorized",
        detail=zh if lang() == "zh" else en,
        headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'},
    )


def from_domain(exc: DomainError) -> Response:
    if isinstance(exc, NotFound):
        return problem("not-found", exc.reasons)
    if isinstance(exc, Conflict):
        return problem("conflict", exc.reasons)
    if isinstance(exc, Blocked):
        return problem("blocked", exc.reasons)
    if isinstance(exc, InvalidInput):
        return problem("invalid", exc.reasons)
    return problem("invalid", exc.reasons)


HTTP_KINDS = {400: "bad-request", 404: "not-found", 405: "method-not-allowed", 500: "server-error"}


def from_http(exc: HTTPException) -> Response:
    code = exc.code or 500
    kind = HTTP_KINDS.get(code, "server-error" if code >= 500 else "bad-request")
    response = problem(kind, status=code, detail=None if code in HTTP_KINDS else exc.name)
    if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    return response


def is_api_request() -> bool:
    return request.path == "/api/v1" or request.path.startswith("/api/v1/")


def body_too_large() -> InvalidInput:
    mb = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // 2**20
    return InvalidInput(
        [
            plain(
                "too_large",
                "上传内容过大：一次最多 {mb} MB",
                "The upload is too large: at most {mb} MB at a time",
                mb=mb,
            )
        ]
    )
