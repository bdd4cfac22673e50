"""Playwright's `expect` for the browser tests. Without the playwright package, importing it
skips the test module that does, or fails it under REQUIRE_BROWSER=1."""

from __future__ import annotations

import pytest

from .conftest import REQUIRE_BROWSER

try:
    from playwright.sync_api import expect
except ImportError:
    if REQUIRE_BROWSER:
        raise
    pytest.skip(
        "browser tests skipped: the playwright package is not installed", allow_module_level=True
    )

__all__ = ["expect"]
