"""The app the HTTP benchmark serves with gunicorn: the real web app from create_app, with the
bare baseline mounted under /_baseline. Configured from the environment:

    DATABASE_URL           the database (migrated, with the benchmark's data)
    SECRET_KEY             signs the session cookie
    BENCH_HTTP_CSRF        "1" (default) keeps CSRF checks on; "0" turns them off
    BENCH_HTTP_LIVE_READS  how many SELECTs the baseline live endpoint sends
    BENCH_HTTP_STATIC_PAGE a file whose bytes /_baseline/static-page serves (bench/documents.py)
    PUBLIC_BASE_URL, PDF_CACHE_DIR   as for the app

    gunicorn 'bench.http_app:from_env()'   (from the repository root)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

os.environ.setdefault("PERMIT_FAST_HASHES", "1")  # before permit is imported

from flask import Flask  # noqa: E402

from bench.http_baseline import register  # noqa: E402
from web import create_app, dispose  # noqa: E402


def build(config: Mapping[str, Any], live_reads: int | None = None) -> Flask:
    return register(create_app(dict(config)), live_reads)


def from_env() -> Flask:
    """The app for gunicorn. Built once in the master (--preload): the engine's pool is emptied
    before the workers are forked, so no worker shares a database connection."""
    reads = os.environ.get("BENCH_HTTP_LIVE_READS")
    static = os.environ.get("BENCH_HTTP_STATIC_PAGE")
    app = build(
        {
            "DATABASE_URL": os.environ["DATABASE_URL"],
            "SECRET_KEY": os.environ["SECRET_KEY"],
            "WTF_CSRF_ENABLED": os.environ.get("BENCH_HTTP_CSRF", "1") == "1",
            "BENCH_HTTP_STATIC_PAGE": Path(static).read_bytes() if static else b"",
        },
        int(reads) if reads else None,
    )
    dispose(app)
    return app
