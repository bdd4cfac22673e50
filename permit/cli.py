"""The `permit` command line: database, demo data and audit verification."""

from __future__ import annotations

import sys

import click

from . import audit, db, demo
from .clock import SystemClock


@click.group()
def cli() -> None:
    """Permit-to-work engine for confined-space work (有限空间作业)."""


@cli.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (DATABASE_URL, default: SQLite in ./instance)."""
    engine = db.make_engine()
    try:
        db.migrate(engine)
    finally:
        engine.dispose()
    click.echo(f"database ready: {engine.url.render_as_string(hide_password=True)}")


@cli.command("demo")
def load_demo() -> None:
    """Load the demo enterprise once (idempotent) and print the demo logins."""
    engine = db.make_engine()
    try:
        db.check_migrated(engine)
        with db.session_factory(engine)() as session:
            created = demo.load(session, SystemClock())
            session.commit()
    finally:
        engine.dispose()
    click.echo("demo data loaded" if created else "demo data already present")
    click.echo(logins())


def logins() -> str:
    names = ", ".join(username for username, _, _ in demo.ACCOUNTS)
    return f"demo logins (password '{demo.DEMO_PASSWORD}'): {names}"


@cli.group("audit")
def audit_group() -> None:
    """The hash-chained audit log."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Recompute every chain; exit non-zero naming the first bad entry of each broken chain."""
    engine = db.make_engine()
    try:
        with db.session_factory(engine)() as session:
            breaks = list(audit.verify(session))
            count = session.scalar(audit.count_entries())
    finally:
        engine.dispose()
    if breaks:
        for brk in breaks:
            click.echo(f"BROKEN: {brk}", err=True)
        sys.exit(1)
    click.echo(f"audit log intact: {count} entries verified")
