"""The public scan page: what the QR code on a warning sign opens, on any phone, no sign-in.

It shows only sign-level facts (permit.scan.public_status). Unknown, replaced and malformed
tokens all get one and the same 404, byte for byte; each counts as a miss against the
client, and a client with too many recent misses is refused every scan for a while, hits
included, so that walking through tokens teaches nothing. A hit writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache
from typing import TypeVar

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from permit import access, scan
from permit.models import Permit

from . import clock, get_session
from .i18n import select_locale

bp = Blueprint("scan", __name__)
T = TypeVar("T")

# One body for every token that does not open a page; written out, never templated, so that
# nothing about the request (language, cookies, the token) can make two of them differ.
GONE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>此标志已更换 · This sign has been replaced</title>
<style>body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:0;padding:24px;
background:#fff8d6;color:#111}h1{font-size:28px;margin:0 0 12px}p{font-size:18px}</style>
</head><body><h1>此标志已更换</h1><p>请扫描现场新标志上的二维码。</p>
<h1 lang="en">This sign has been replaced</h1>
<p lang="en">Scan the QR code on the new sign at the entrance.</p></body></html>
"""

TOO_MANY = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>请稍后再试 · Try again later</title></head>
<body style="font-family:system-ui,sans-serif;padding:24px"><h1>请稍后再试</h1>
<p>无效扫码次数过多。</p><h1 lang="en">Try again later</h1>
<p lang="en">Too many scans of invalid codes.</p></body></html>
"""


# Live status: never from a cache. Neither search engines nor the pages a visitor goes on to
# may learn the token from this page.
HEADERS = (
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Robots-Tag", "noindex"),
)


def _answer(body: str, status: int, **headers: str) -> Response:
    return Response(body, status=status, headers=[*HEADERS, *headers.items()])


@bp.get("/s/<token>")
def show(token: str):
    now = clock().now()
    remote = request.remote_addr or ""
    window = timedelta(seconds=current_app.config["SCAN_MISS_WINDOW_SECONDS"])
    # Every phone at every entrance opens this page: it reads on a bare connection, and
    # only a miss (written) or a signed-in visitor (links) needs the request's session.
    opened = _read(
        lambda conn: scan.open_sign(
            conn,
            token,
            remote=remote,
            now=now,
            limit=current_app.config["SCAN_MISS_LIMIT"],
            window=window,
        )
    )
    if opened.throttled:
        return _answer(TOO_MANY, 429, **{"Retry-After": str(int(window.total_seconds()))})
    if opened.found is None:
        session = get_session()
        scan.record_miss(session, remote, now)
        session.commit()
        return _answer(GONE, 404)
    inputs = {
        "s": opened.found.public,
        "staff": _staff_links(opened.found),
        "locale": select_locale(),
        "path": request.path,
    }
    return _answer(_page(json.dumps(inputs, sort_keys=True, ensure_ascii=False)), 200)


def _read(read: Callable[[Connection], T]) -> T:
    """`read` on the scan page's own pool, which does not ping before each checkout: a
    connection the database dropped (a restart, a failover) fails the read once, the pool
    discards it, and the read runs again on a fresh one."""
    engine = current_app.extensions["scan_engine"]
    for attempt in (1, 2):
        try:
            with engine.connect() as conn:
                return read(conn)
        except DBAPIError as exc:
            if attempt == 2 or not exc.connection_invalidated:
                raise
    raise AssertionError("unreachable")


@lru_cache(maxsize=512)
def _page(inputs: str) -> str:
    """The page for these inputs. The template is a pure function of them (the status, the
    links, the language and the address), so a page is rendered once per distinct status and
    reused while nothing in it changes: every request still reads the status afresh."""
    context = json.loads(inputs)
    return render_template("scan/show.html", s=context["s"], staff=context["staff"])


def _staff_links(found: scan.Scan) -> dict | None:
    """For a signed-in person who may see them: the ledger entry and the live permits."""
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return None  # a phone that never signed in: no need to ask Flask-Login
    if not current_user.is_authenticated:
        return None
    user = current_user.user
    if user.enterprise_id != found.enterprise_id:
        return None
    numbers = [p["number"] for p in found.public["permits"]]
    visible = set()
    if numbers:
        visible = set(
            get_session().scalars(
                access.visible_permits(user)
                .where(Permit.number.in_(numbers))
                .with_only_columns(Permit.number)
            )
        )
    ledger = access.is_staff(user)
    if not ledger and not visible:
        return None
    return {
        "ledger": url_for("spaces.show", code=found.space_code) if ledger else None,
        "permits": {n: url_for("permits.show", number=n) for n in numbers if n in visible},
    }


@bp.record_once
def _setup(state) -> None:
    """The throttle's settings: operational choices, not figures of any regulation."""
    state.app.config.setdefault("SCAN_MISS_LIMIT", 20)
    state.app.config.setdefault("SCAN_MISS_WINDOW_SECONDS", 600)
