"""Fixtures for the browser tests: one Chromium for the session, a live app per test.

Chromium is Debian's build (`playwright install` downloads browsers and is not used here).
Without it these tests skip, unless REQUIRE_BROWSER=1, when they fail instead.
Screenshots go to a temporary folder; UPDATE_SCREENSHOTS=1 writes them to docs/screenshots.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, got_request_exception
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from permit import db
from permit.clock import FixedClock, local_zone

from ..factories import PASSWORD, World

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1, "locale": "zh-CN"}
TIMEOUT_MS = 10_000
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _unavailable(reason: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason} (install Debian's chromium)")


@pytest.fixture(scope="session")
def browser():
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    expect.set_options(timeout=TIMEOUT_MS)
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
    except Exception as exc:  # a broken install: say so rather than erroring in every test
        playwright.stop()
        _unavailable(f"Chromium at {CHROMIUM} did not start: {exc}")
    yield browser
    browser.close()
    playwright.stop()


@dataclass
class Site:
    """The app served on a free loopback port, with the world it was built on."""

    url: str
    app: Flask
    clock: FixedClock
    world: World
    sessions: sessionmaker[Session]
    errors: list[BaseException] = field(default_factory=list)

    def later(self, minutes: float = 1) -> None:
        """Each step takes time: a gas test must come after ventilation, strictly."""
        self.clock.advance(minutes=minutes)

    def local(self, delta: timedelta = timedelta()) -> str:
        """The clock's time, shifted, as a datetime-local input takes it."""
        return (self.clock.now() + delta).astimezone(local_zone()).strftime("%Y-%m-%dT%H:%M")

    def permit_url(self, number: str) -> str:
        return f"{self.url}/permits/{number}"


@pytest.fixture
def serve(tmp_path, sqlite_template) -> Iterator[Callable[..., Site]]:
    """Build the demo world in a fresh SQLite file and serve the app on it from a thread.

    The app and the world share one FixedClock: a test moves time with `site.later()`.
    Any exception raised inside a view fails the test at teardown."""
    from web import create_app, dispose

    running: list[tuple[Any, threading.Thread, Site, Any]] = []

    def start(**config: Any) -> Site:
        path = tmp_path / f"browser{len(running)}.sqlite3"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
        engine = db.make_engine(url)
        sessions = db.session_factory(engine)
        clock = FixedClock()
        session = sessions()
        world = World(session, clock)
        world.build()
        session.commit()
        app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": "browser-tests",
                "CLOCK": clock,
                **config,
            }
        )
        server = make_server("127.0.0.1", 0, app, threaded=True)
        site = Site(f"http://127.0.0.1:{server.server_port}", app, clock, world, sessions)

        def record(sender, exception, **extra):
            site.errors.append(exception)

        got_request_exception.connect(record, app, weak=False)
        thread = threading.Thread(target=server.serve_forever, name="browser-test-app")
        thread.daemon = True
        thread.start()
        running.append((server, thread, site, engine))
        return site

    yield start
    errors = []
    for server, thread, site, engine in running:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        site.world.session.close()
        dispose(site.app)
        engine.dispose()
        errors += site.errors
    assert not errors, f"the app raised while serving: {errors!r}"


@pytest.fixture
def phone(browser) -> Iterator[Callable[..., Any]]:
    """Open a page in a new browser context (a phone unless desktop=True), signed in as
    `username` when given. JavaScript errors on any page fail the test at teardown."""
    contexts = []
    js_errors: list[str] = []

    def open_page(site: Site, username: str | None = None, *, desktop: bool = False):
        context = browser.new_context(**(DESKTOP if desktop else PHONE))
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: js_errors.append(str(exc)))
        if username:
            sign_in(context, site, username)
            page.goto(f"{site.url}/")  # where the home page sends this person
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not js_errors, f"JavaScript errors: {js_errors}"


def sign_in(context, site: Site, username: str, password: str = PASSWORD) -> None:
    """Sign in with the login form's own request (CSRF token included), without rendering
    it: the form itself is exercised by `login`."""
    form = context.request.get(f"{site.url}/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text())
    assert token, "the login form carries no CSRF token"
    answer = context.request.post(
        f"{site.url}/login",
        form={"csrf_token": token.group(1), "username": username, "password": password},
        max_redirects=0,
    )
    assert answer.status == 302, f"{username} could not sign in: HTTP {answer.status}"


def login(page, site: Site, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login page, as a person does."""
    from playwright.sync_api import expect

    page.goto(f"{site.url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button.primary")
    expect(page).not_to_have_url(re.compile(r"/login"))


@pytest.fixture
def shot(tmp_path) -> Callable[[Any, str], Path]:
    """Save a viewport screenshot (not the full page) as NAME.png."""
    folder = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=False, animations="disabled", caret="hide")
        return path

    return take
