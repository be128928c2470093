"""`flask --app wsgi zoom ...`: reconcile with Zoom, import attendance, run the simulator."""

from __future__ import annotations

import time

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from panel_app.extensions import db
from panel_app.models import Event, utcnow
from panel_app.zoom.errors import ZoomError

zoom_cli = AppGroup("zoom", help="Zoom registrant sync, attendance import and the API simulator.")


def _client_or_fail():
    from panel_app.zoom.jobs import make_client

    client = make_client()
    if client is None:
        raise click.ClickException(
            "Zoom sync is off: set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET "
            "(or point ZOOM_API_BASE_URL / ZOOM_OAUTH_TOKEN_URL at `flask zoom simulator`)."
        )
    return client


def _event_or_fail(slug: str) -> Event:
    event = db.session.scalar(sa.select(Event).where(Event.slug == slug))
    if event is None:
        raise click.ClickException(f"no event with slug {slug!r}")
    if not event.zoom_id:
        raise click.ClickException(f"event {slug!r} has no Zoom meeting or webinar id")
    return event


@zoom_cli.command("sync")
@click.option("--event", "slug", default=None, help="Only this event (slug); default: every event linked to Zoom.")
def sync_command(slug):
    """Compare our registrations with Zoom's and repair the differences."""
    from panel_app.zoom.reconcile import reconcile_event

    client = _client_or_fail()
    if slug:
        events = [_event_or_fail(slug)]
    else:
        events = list(db.session.scalars(sa.select(Event).where(
            sa.or_(Event.zoom_meeting_id.isnot(None), Event.zoom_webinar_id.isnot(None))).order_by(Event.starts_at)))
    problems = 0
    try:
        for event in events:
            click.echo(f"{event.slug}: reading Zoom's registrants…")

            def progress(ids, label=event.slug):
                click.echo(f"{label}: pushing {len(ids)} change(s) to Zoom")
                return click.progressbar(ids, label=label, show_pos=True)

            try:
                report = reconcile_event(db.session, client, event, now=utcnow(),
                                         secret_key=current_app.config["SECRET_KEY"],
                                         progress=lambda ids: _with_bar(progress(ids)))
            except ZoomError as exc:
                db.session.rollback()
                problems += 1
                click.echo(f"{event.slug}: Zoom could not be read: {exc}", err=True)
                continue
            click.echo(
                f"{event.slug}: {report.ours} here, {report.in_zoom} at Zoom; linked {report.linked}, "
                f"imported {report.imported} registered on Zoom, pushed {report.pushed} "
                f"({report.done} done, {len(report.still_pending)} pending, {len(report.failed)} failed)")
            for line in report.mismatches:
                click.echo(f"  mismatch: {line}")
            for line in report.still_pending:
                click.echo(f"  pending (will retry): {line}")
            for line in report.failed:
                click.echo(f"  FAILED: {line}")
            problems += len(report.failed)
    finally:
        client.close()
    if problems:
        raise click.exceptions.Exit(1)


def _with_bar(bar):
    with bar:
        yield from bar


@zoom_cli.command("import-attendance")
@click.option("--event", "slug", required=True, help="Event slug.")
def import_attendance_command(slug):
    """Read Zoom's participants report for the event and merge it with webhook data."""
    from panel_app.attendance.importer import run_import

    event = _event_or_fail(slug)
    client = _client_or_fail()
    try:
        report = run_import(db.session, client, event, now=utcnow())
    finally:
        client.close()
    if report is None:
        from panel_app.models.attendance import AttendanceImport

        job = db.session.get(AttendanceImport, event.id)
        raise click.ClickException(f"Zoom's report could not be read: {job.last_error if job else 'unknown error'}")
    click.echo(f"{event.slug}: {report.instances} meeting instance(s), {report.rows} report row(s), "
               f"{report.added} new; {report.walk_ins} walk-in(s)")
    if report.waiting_room:
        click.echo(f"  {report.waiting_room} row(s) of people left in the waiting room (not attendance)")
    for uuid in report.missing_instances:
        click.echo(f"  no report (yet) for instance {uuid}")
    if not report.complete:
        click.echo("  not final yet: nobody is marked absent until Zoom's report is complete; "
                   "the worker retries on its own")


@zoom_cli.command("simulator")
@click.option("--port", default=8765, show_default=True)
@click.option("--rate-limit", type=int, default=None, help="Requests per second before 429.")
def simulator_command(port, rate_limit):
    """Run the Zoom API simulator on 127.0.0.1 for local demos (Ctrl+C to stop)."""
    from panel_app.zoom.testing import ZoomSimulator

    sim = ZoomSimulator(port=port, auto_create_meetings=True)
    sim.unknown_custom_questions = "ignore"  # demo meetings have no registration questions set up
    sim.set_rate_limit(rate_limit)
    sim.start()
    click.echo(f"Zoom simulator on {sim.root_url}. Start the app and worker with:")
    for key, value in sim.app_config().items():
        click.echo(f"  export {key}={value}")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()


def register(app) -> None:
    app.cli.add_command(zoom_cli)


# -- meeting set-up ------------------------------------------------------------------------------

@zoom_cli.command("setup")
@click.option("--event", "slug", required=True, help="Event slug.")
@click.option("--fix", is_flag=True, help="Change at Zoom what can be fixed (one update per resource).")
@click.option("--push-interpreters", is_flag=True, help="Send the event's interpreters to the meeting.")
def setup_command(slug, fix, push_interpreters):
    """Check the linked meeting's or webinar's settings against the event; exit 1 while problems remain."""
    from panel_app.zoom import setup, setup_text

    event = _event_or_fail(slug)
    client = _client_or_fail()
    actor = "cli"
    try:
        if push_interpreters and not fix:
            report = setup.push_interpreters(db.session, client, event, now=utcnow(), actor=actor)
            click.echo(f"{event.slug}: interpreters sent to Zoom")
        elif fix:
            result = setup.fix_setup(db.session, client, event, now=utcnow(), actor=actor)
            report = result.after
            if result.updated:
                click.echo(f"{event.slug}: updated at Zoom: {', '.join(result.updated)}; "
                           f"fixed {len(result.fixed)}, not applied by Zoom {len(result.not_applied)}")
            else:
                click.echo(f"{event.slug}: nothing to change at Zoom")
        else:
            report = setup.check_setup(db.session, client, event, now=utcnow())
        db.session.commit()
    except setup.SetupError as exc:
        db.session.rollback()
        raise click.ClickException(setup_text.input_error_message(exc.code)) from None
    except ZoomError as exc:
        db.session.rollback()
        raise click.ClickException(setup_text.error_message(exc, zoom_id=event.zoom_id)) from None
    finally:
        client.close()
    click.echo(f"{event.slug}: Zoom {report.kind[:-1]} {report.zoom_id} ({report.topic}): "
               f"{len(report.problems)} problem(s)")
    for finding in report.findings:
        have, want = setup_text.describe(finding, event.zone)
        fixable = " [can be fixed with --fix]" if finding.fixable else ""
        click.echo(f"  {finding.severity.upper()} {finding.code}: {setup_text.finding_title(finding.code)}{fixable}")
        if have or want:
            click.echo(f"      Zoom has: {have or '-'}; the event needs: {want or '-'}")
    if report.problems:
        raise click.exceptions.Exit(1)
