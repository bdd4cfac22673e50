"""Browser tests: the phone screens driven through Chromium (Playwright)."""
