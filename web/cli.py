"""The full `permit` command: the domain's commands plus `serve`."""

from __future__ import annotations

import click

from permit.cli import cli, logins


@cli.command("serve")
@click.option("--host", default="127.0.0.1", envvar="HOST", show_default=True)
@click.option("--port", default=5000, type=int, envvar="PORT", show_default=True)
def serve(host: str, port: int) -> None:
    """Serve the web app (a development server; use gunicorn in production)."""
    from . import create_app

    app = create_app()
    click.echo(f"serving on http://{host}:{port}/")
    click.echo(logins())
    app.run(host=host, port=port, debug=False, use_reloader=False)


__all__ = ["cli"]
