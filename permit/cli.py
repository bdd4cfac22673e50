"""The `permit` command line: database, demo data and audit verification."""

from __future__ import annotations

import sys

import click

from . import audit, db, demo, signs, tallies
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
            hint = demo.detector_hint(session)
    finally:
        engine.dispose()
    click.echo("demo data loaded" if created else "demo data already present")
    click.echo(logins())
    if hint:
        click.echo(hint)


def logins() -> str:
    names = ", ".join(username for username, _, _ in demo.ACCOUNTS)
    order13 = ", ".join(username for username, _, _ in demo.ORDER13_ACCOUNTS)
    visits = ", ".join(username for username, _, _ in demo.VISIT_ACCOUNTS)
    return (
        f"demo logins (password '{demo.DEMO_PASSWORD}'): {names}\n"
        f"a second enterprise, judged by Order No. 13 + GB 46768-2025: {order13}\n"
        f"expert visits (杭州市 › 滨江区): expert and {visits} (the expert pair), regulator"
    )


@cli.command("tick")
@click.option(
    "--horizon",
    default=30,
    show_default=True,
    type=click.IntRange(0, 366),
    help="Days ahead to remind of what falls due.",
)
@click.option("--no-mail", is_flag=True, help="Do not send the outbox even if SMTP is set.")
def run_tick(horizon: int, no_mail: bool) -> None:
    """Expire permits past their window, flag silent detectors, remind people of what is due;
    then send the outbox when PERMIT_SMTP_HOST is set. For cron or a timer: safe to run twice
    at once, and on several hosts against one PostgreSQL database.

    \b
    e.g. in a crontab:  * * * * *  permit tick"""
    from . import tick

    clock = SystemClock()
    engine = db.make_engine()
    try:
        db.check_migrated(engine)
        sessions = db.session_factory(engine)
        summary = tick.tick(sessions, clock, horizon_days=horizon)
        for line in summary.lines():
            click.echo(line)
        if not no_mail:
            _send_mail(sessions, clock, quiet_without_smtp=True)
    finally:
        engine.dispose()


@cli.command("send-mail")
def send_mail() -> None:
    """Send the outbox now through the SMTP server of PERMIT_SMTP_HOST (…_PORT, …_FROM,
    …_USER, …_PASSWORD, …_STARTTLS=1)."""
    engine = db.make_engine()
    try:
        db.check_migrated(engine)
        _send_mail(db.session_factory(engine), SystemClock(), quiet_without_smtp=False)
    finally:
        engine.dispose()


def _send_mail(sessions, clock, *, quiet_without_smtp: bool) -> None:
    from . import outbox

    try:
        config = outbox.SmtpConfig.from_env()
    except ValueError as bad:
        raise click.ClickException(str(bad)) from bad
    if config is None:
        if quiet_without_smtp:
            click.echo("mail: not sent (PERMIT_SMTP_HOST is not set)")
            return
        raise click.ClickException("PERMIT_SMTP_HOST is not set: no SMTP server to send through")
    done = outbox.drain(sessions, clock, config)
    click.echo(f"mail: {len(done.sent)} sent, {len(done.failed)} failed (kept, retried later)")
    for message_id, error in done.failed.items():
        click.echo(f"  message {message_id}: {error}", err=True)


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


@cli.command("check-tallies")
def check_tallies() -> None:
    """Recount the board's running tallies from the records; exit non-zero on any difference."""
    engine = db.make_engine()
    try:
        with db.session_factory(engine)() as session:
            differences = tallies.differences(session)
    finally:
        engine.dispose()
    for name, (kept_only, recounted_only) in differences.items():
        for row in sorted(kept_only, key=str):
            click.echo(f"{name}: kept {row}, not in the records", err=True)
        for row in sorted(recounted_only, key=str):
            click.echo(f"{name}: the records give {row}, not kept", err=True)
    if differences:
        sys.exit(1)
    click.echo("tallies agree with the records")


@cli.group("rules")
def rules_group() -> None:
    """Rule packs: the texts an enterprise is judged by."""


@rules_group.command("list")
def rules_list() -> None:
    """The shipped rule packs."""
    from . import packs

    for pack in packs.packs().values():
        since = pack.in_force_from or "—"
        click.echo(f"{pack.id}\t{since}\t{pack.label('zh')}")


@rules_group.command("diff")
@click.argument("a")
@click.argument("b")
@click.option("--changed", is_flag=True, help="Only the rules that differ.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
def rules_diff(a: str, b: str, changed: bool, lang: str) -> None:
    """Each rule of pack A beside pack B with both citations: '≠' the rule differs, '~' only
    its citation, '=' the same."""
    from . import packs

    for pack in (a, b):
        if pack not in packs.packs():
            raise click.BadParameter(f"no rule pack {pack} (see `permit rules list`)")
    topic = None
    for row in packs.compare(a, b, lang):
        if changed and not row.changed:
            continue
        if row.topic != topic:
            topic = row.topic
            click.echo(f"\n== {topic}")
        click.echo(f"{row.mark} {row.item}")
        click.echo(f"    {a}: {row.a}  [{row.a_cite}]")
        click.echo(f"    {b}: {row.b}  [{row.b_cite}]")


@rules_group.command("use")
@click.argument("enterprise")
@click.argument("pack")
@click.option(
    "--from",
    "applies_from",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The day the pack applies from (default: today).",
)
def rules_use(enterprise: str, pack: str, applies_from) -> None:
    """Judge ENTERPRISE (its code) by PACK from a date on; permits keep the pack they had."""
    from sqlalchemy import select

    from . import packs
    from .clock import local_date
    from .errors import DomainError
    from .models import Enterprise

    clock = SystemClock()
    engine = db.make_engine()
    try:
        with db.session_factory(engine)() as session:
            ent = session.scalar(select(Enterprise).where(Enterprise.code == enterprise))
            if ent is None:
                raise click.BadParameter(f"no enterprise with code {enterprise}")
            day = applies_from.date() if applies_from else local_date(clock.now())
            try:
                packs.choose(session, ent.id, pack, day, clock=clock)
            except DomainError as refused:
                raise click.ClickException("; ".join(refused.messages("zh"))) from refused
            session.commit()
    finally:
        engine.dispose()
    click.echo(f"{enterprise}: {pack} from {day}")


@cli.command("sign")
@click.argument("codes", nargs=-1)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), default="signs.pdf", show_default=True
)
@click.option("--enterprise", help="The enterprise's code, when space codes repeat across them.")
@click.option("--size", type=click.Choice(["A4", "A3"]), default="A4", show_default=True)
@click.option("--all", "every", is_flag=True, help="Every active space of the enterprise.")
@click.option(
    "--base-url",
    envvar="PUBLIC_BASE_URL",
    help="The address phones open from the QR code (default: $PUBLIC_BASE_URL).",
)
def sign(
    codes: tuple[str, ...], output: str, enterprise: str | None, size: str, every: bool, base_url
) -> None:
    """Print the warning signs (安全警示标志) of spaces CODES… (or --all) to one PDF."""
    from .clock import local_date
    from .documents.sign import sign_pdf
    from .errors import DomainError
    from .qr import scan_url

    if not base_url:
        raise click.UsageError(
            "no public base URL: pass --base-url or set PUBLIC_BASE_URL to the address phones "
            "will open from the QR code (e.g. https://permits.example.com)"
        )
    try:
        scan_url(base_url, "x")
    except ValueError as bad:
        raise click.BadParameter(str(bad), param_hint="--base-url") from bad
    clock = SystemClock()
    engine = db.make_engine()
    try:
        db.check_migrated(engine)
        with db.session_factory(engine)() as session:
            try:
                spaces = signs.spaces_for_cli(session, codes, enterprise, every)
            except DomainError as refused:
                raise click.ClickException("; ".join(refused.messages("zh"))) from refused
            pdf = sign_pdf(session, spaces, base_url=base_url, size=size, now=clock.now())
    finally:
        engine.dispose()
    with open(output, "wb") as fh:
        fh.write(pdf)
    click.echo(
        f"{output}: {len(spaces)} sign(s), {size}, {local_date(clock.now())}: "
        + ", ".join(s.code for s in spaces)
    )


@cli.command("device-token")
@click.argument("enterprise")
@click.argument("serial")
@click.option("--label", default="", help="A name for the gateway (default: the serial).")
def device_token(enterprise: str, serial: str, label: str) -> None:
    """Issue a token for the gateway of gas detector SERIAL of ENTERPRISE (its code): it can
    send readings for the permits that detector is on, nothing else. Printed once."""
    from sqlalchemy import select

    from . import tokens
    from .errors import DomainError
    from .models import Enterprise

    engine = db.make_engine()
    try:
        db.check_migrated(engine)
        with db.session_factory(engine)() as session:
            ent = session.scalar(select(Enterprise).where(Enterprise.code == enterprise))
            if ent is None:
                raise click.BadParameter(f"no enterprise with code {enterprise}")
            try:
                issued = tokens.issue_device_token(
                    session, ent.id, serial, clock=SystemClock(), label=label
                )
            except DomainError as refused:
                raise click.ClickException("; ".join(refused.messages("zh"))) from refused
            session.commit()
    finally:
        engine.dispose()
    click.echo(issued.token)


@cli.command("simulate-detector")
@click.argument("permit")
@click.option("--rate", default="1/s", show_default=True, help="Readings per second, e.g. 10/s.")
@click.option(
    "--spike",
    "spikes",
    multiple=True,
    help="GAS=VALUEUNIT@SECONDS[+SECONDS]: that gas reads VALUE from then, for 10 s unless "
    "told, e.g. h2s=15mg/m3@60s. May be repeated.",
)
@click.option("--url", default="http://127.0.0.1:5000", envvar="PERMIT_URL", show_default=True)
@click.option(
    "--token",
    envvar="PERMIT_DEVICE_TOKEN",
    required=True,
    help="A device token (permit device-token), or PERMIT_DEVICE_TOKEN.",
)
@click.option("--duration", default=60.0, show_default=True, help="Seconds to run.")
@click.option(
    "--gases", default="o2,lel,h2s,co", show_default=True, help="The gases the detector measures."
)
@click.option("--detector", default=None, help="Its serial (a device token knows it).")
@click.option("--point", default="", help="Sampling point: upper, middle or lower.")
@click.option("--batch", default=100, show_default=True, help="Most readings per request.")
@click.option("--seed", default=None, type=int, help="Seed the noise, for a repeatable run.")
def simulate_detector(
    permit: str,
    rate: str,
    spikes: tuple[str, ...],
    url: str,
    token: str,
    duration: float,
    gases: str,
    detector: str | None,
    point: str,
    batch: int,
    seed: int | None,
) -> None:
    """Send simulated readings for PERMIT through the API, as a detector's gateway would."""
    import json
    import random

    from . import simulator

    try:
        air = simulator.Air(
            [g.strip() for g in gases.split(",") if g.strip()],
            [simulator.parse_spike(s) for s in spikes],
            random.Random(seed),
        )
        unknown = [g for g in air.gases if g not in simulator.NORMAL]
        if unknown:
            raise simulator.SimulatorError(f"unknown gases: {', '.join(unknown)}")
        summary = simulator.run(
            url,
            permit,
            token,
            rate=simulator.parse_rate(rate),
            duration=duration,
            clock=SystemClock(),
            air=air,
            detector=detector,
            point=point,
            size=max(1, min(batch, 1000)),
            say=click.echo,
        )
    except simulator.SimulatorError as bad:
        raise click.ClickException(str(bad)) from bad
    click.echo(json.dumps(summary.as_dict(), ensure_ascii=False))
    if summary.sent and summary.stored < summary.sent:
        sys.exit(1)
