"""`flask --app wsgi ...` commands from the public contract. Thin: they call services."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from panel_app.admin.users import services as user_services
from panel_app.core.languages import CODES as LANGUAGE_CODES
from panel_app.events import services as event_services
from panel_app.events.timefmt import parse_local
from panel_app.extensions import db
from panel_app.models import ApprovalMode, Event, User, UserRole, utcnow
from panel_app.zoom.cli import zoom_cli

events_cli = AppGroup("events", help="Create and list events.")
users_cli = AppGroup("users", help="Manage organiser accounts.")
organisations_cli = AppGroup("organisations", help="Maintain the list of parliaments and organisations.")

DEMO_SLUG = "parliamentary-solidarity"
DEMO_ORGANISER_EMAIL = "organiser@example.org"


def _fail(message: str) -> None:
    raise click.ClickException(message)


@events_cli.command("create")
@click.option("--slug", required=True)
@click.option("--title", required=True)
@click.option("--start", "start", required=True, help='Local start, "YYYY-MM-DD HH:MM" in --timezone.')
@click.option("--end", "end", required=True, help='Local end, "YYYY-MM-DD HH:MM" in --timezone.')
@click.option("--timezone", "zone", default="Europe/Zurich", show_default=True, help="IANA zone name.")
@click.option("--languages", default="en", show_default=True, help="Interpretation languages, e.g. en,fr,es.")
@click.option("--capacity", type=click.IntRange(min=0), default=None)
@click.option("--approval", type=click.Choice(["auto", "manual"]), default="auto", show_default=True)
@click.option("--zoom-meeting-id", default=None)
@click.option("--zoom-webinar-id", default=None)
@click.option("--join-url", default=None)
@click.option("--description", default="")
@click.option("--organiser-email", default=None)
@click.option("--draft", is_flag=True, help="Create unpublished (registration not open).")
def create_event_command(slug, title, start, end, zone, languages, capacity, approval, zoom_meeting_id,
                         zoom_webinar_id, join_url, description, organiser_email, draft):
    """Create an event (published unless --draft)."""
    try:
        event_services.check_timezone(zone)
        starts_at, ends_at = parse_local(start, zone), parse_local(end, zone)
        event = event_services.create_event(
            db.session,
            event_services.EventInput(
                slug=slug, title=title, starts_at=starts_at, ends_at=ends_at, timezone=zone,
                languages=[code.strip() for code in languages.split(",") if code.strip()],
                capacity=capacity, approval_mode=approval, zoom_meeting_id=zoom_meeting_id,
                zoom_webinar_id=zoom_webinar_id, join_url=join_url, description=description,
                organiser_email=organiser_email, status="draft" if draft else "published",
            ),
        )
    except ValueError as exc:  # EventInputError and unparseable dates
        _fail(str(exc))
    db.session.commit()
    click.echo(f"Created event {event.slug}: {current_app.config['BASE_URL']}/events/{event.slug}")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", type=click.Choice([r.value for r in UserRole]), default="organiser", show_default=True)
def create_user_command(email, password, role):
    """Create an organiser account, or reset its password and role if it exists."""
    try:
        user, created = user_services.create_user(db.session, email=email, password=password, role=role,
                                                   actor="cli", now=utcnow(), replace_existing=True)
    except user_services.AccountError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"{'Created' if created else 'Updated'} {role} {user.email}")


@organisations_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--keep-missing", is_flag=True, help="Do not deactivate entries and contacts absent from the file.")
def import_organisations_command(path, keep_missing):
    """Load the directory from CSV or .xlsx: name, affiliation_type, and optionally name_fr, name_es,
    country, region, contact_name, contact_email, contact_function, contact_language (one contact a row)."""
    from panel_app.directory.importer import import_file

    report = import_file(db.session, path, Path(path).read_bytes(), deactivate_missing=not keep_missing,
                         actor="cli", now=utcnow())
    if not report.ok:
        db.session.rollback()
        for error in report.errors:
            click.echo(error, err=True)
        if report.more_problems:
            click.echo(f"... and {report.more_problems} more", err=True)
        _fail("nothing imported: fix the lines above and run again")
    db.session.commit()
    click.echo(f"added {report.added}, updated {report.updated}, deactivated {report.deactivated}; "
               f"contacts added {report.contacts_added}, updated {report.contacts_updated}, "
               f"deactivated {report.contacts_deactivated}")


DEMO_DESCRIPTION = (
    "Around the world, members of parliament face threats, harassment, arbitrary detention and "
    "violence because of the work they do. This panel discussion looks at how parliaments and "
    "their members can show solidarity with colleagues under threat, and what the IPU Committee "
    "on the Human Rights of Parliamentarians does to protect them.\n\n"
    "Simultaneous interpretation is provided in English, French and Spanish."
)
DEMO_AUDIENCE = (
    "Open to members of parliament and parliamentary staff of IPU Member Parliaments, and to "
    "representatives of Associate Members and Permanent Observers. Members of parliamentary "
    "committees on human rights and on foreign affairs are especially welcome."
)
DEMO_TRANSLATIONS = {
    "fr": {
        "title": "Solidarité parlementaire : soutenir les parlementaires menacés",
        "description": (
            "Partout dans le monde, des parlementaires sont menacés, harcelés, détenus arbitrairement "
            "ou victimes de violences en raison de leur travail. Ce débat examine comment les parlements "
            "et leurs membres peuvent témoigner leur solidarité envers leurs collègues menacés, et ce que "
            "fait le Comité des droits de l'homme des parlementaires de l'UIP pour les protéger.\n\n"
            "Une interprétation simultanée est assurée en anglais, en français et en espagnol."
        ),
        "audience": (
            "Ouvert aux parlementaires et au personnel parlementaire des Parlements membres de l'UIP, "
            "ainsi qu'aux représentants des Membres associés et des Observateurs permanents. Les membres "
            "des commissions parlementaires des droits de l'homme et des affaires étrangères sont "
            "particulièrement bienvenus."
        ),
    },
    "es": {
        "title": "Solidaridad parlamentaria: apoyo a los parlamentarios amenazados",
        "description": (
            "En todo el mundo, miembros del parlamento sufren amenazas, acoso, detenciones arbitrarias y "
            "violencia por el trabajo que realizan. Este panel analiza cómo los parlamentos y sus miembros "
            "pueden mostrar solidaridad con los colegas amenazados, y qué hace el Comité de Derechos Humanos "
            "de los Parlamentarios de la UIP para protegerlos.\n\n"
            "Se ofrece interpretación simultánea en inglés, francés y español."
        ),
        "audience": (
            "Abierto a parlamentarios y personal parlamentario de los Parlamentos Miembros de la UIP, y a "
            "representantes de los Miembros Asociados y Observadores Permanentes. Los miembros de las "
            "comisiones parlamentarias de derechos humanos y de asuntos exteriores son especialmente "
            "bienvenidos."
        ),
    },
}


def next_demo_start(now=None, zone="Europe/Zurich") -> str:
    """A Tuesday at 15:00 Geneva time, three to four weeks from now (always in the future)."""
    now = now or utcnow()
    local = now.astimezone(ZoneInfo(zone)).date() + timedelta(days=21)
    while local.weekday() != 1:
        local += timedelta(days=1)
    return f"{local.isoformat()} 15:00"


def register(app: Flask) -> None:
    register_worker_command(app)
    app.cli.add_command(events_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(organisations_cli)
    app.cli.add_command(zoom_cli)

    @app.cli.command("demo")
    @click.option("--zoom-meeting-id", default=None,
                  help="Link the sample panel to this Zoom meeting (e.g. one served by `zoom simulator`).")
    def demo_command(zoom_meeting_id):
        """Load the sample panel (open for registration) and an organiser account."""
        from panel_app.directory.importer import import_csv

        if current_app.config.get("ENV_NAME") == "production":
            _fail("demo loads sample data and a sample account: it does not run when PANEL_ENV=production")

        event = db.session.scalar(sa.select(Event).where(Event.slug == DEMO_SLUG))
        if event is None:
            start = next_demo_start()
            starts_at = parse_local(start, "Europe/Zurich")
            event = event_services.create_event(
                db.session,
                event_services.EventInput(
                    slug=DEMO_SLUG,
                    title="Parliamentary solidarity: Supporting MPs under threat",
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=90),
                    timezone="Europe/Zurich",
                    languages=list(LANGUAGE_CODES),
                    description=DEMO_DESCRIPTION,
                    audience=DEMO_AUDIENCE,
                    capacity=500,
                    approval_mode=ApprovalMode.AUTO,
                    join_url="https://zoom.us/j/0000000000",
                    organiser_name="Inter-Parliamentary Union",
                    organiser_email="events@ipu.example.org",
                    translations=DEMO_TRANSLATIONS,
                ),
            )
        elif event.ends_at <= utcnow() or event.status != "published":
            # Demo data from an earlier run has gone stale: move it to the next slot so that
            # registration is open again, as `demo` promises.
            event.starts_at = parse_local(next_demo_start(), event.timezone)
            event.ends_at = event.starts_at + timedelta(minutes=90)
            event.registration_opens_at = event.registration_closes_at = None
            event.status = "published"
            event.calendar_sequence = (event.calendar_sequence or 0) + 1
        if zoom_meeting_id:
            event.zoom_meeting_id, event.zoom_webinar_id = zoom_meeting_id.strip(), None
        sample = Path(__file__).parent / "data" / "organisations_sample.csv"
        with sample.open(encoding="utf-8", newline="") as stream:
            import_csv(db.session, stream, deactivate_missing=False)
        _demo_identity()
        # An organiser, not an admin, with a password of its own: a published one would open
        # every demo left running on a reachable address.
        password = None
        if db.session.scalar(sa.select(User.id).where(User.email == DEMO_ORGANISER_EMAIL)) is None:
            password = secrets.token_urlsafe(12)
            user_services.create_user(db.session, email=DEMO_ORGANISER_EMAIL, password=password,
                                      role=UserRole.ORGANISER, actor="cli", now=utcnow())
        db.session.commit()
        base = current_app.config["BASE_URL"]
        click.echo(f"Sample panel: {base}/events/{event.slug}")
        if password:
            click.echo(f"Organiser console: {base}/admin/login  (email {DEMO_ORGANISER_EMAIL}, password {password})")
        else:
            click.echo(f"Organiser console: {base}/admin/login  (email {DEMO_ORGANISER_EMAIL}, with the password "
                       f"printed when it was created; a new one: flask --app wsgi users create "
                       f"--email {DEMO_ORGANISER_EMAIL} --password ... --role organiser)")


DEMO_IDENTITY = {
    "names": {"en": "Inter-Parliamentary Union", "fr": "Union interparlementaire", "es": "Unión Interparlamentaria"},
    "short_name": "IPU",
    "contact_email": "events@ipu.example.org",
    "website": "https://www.ipu.example.org",
}


def _demo_identity() -> None:
    """The sample organisation's name, contact and site, unless one is configured already
    (ORGANISATION_NAME or the console's settings)."""
    from panel_app.models import SETTINGS_ID, IdentitySettings
    from panel_app.organisation import services as organisation

    if current_app.config.get("ORGANISATION_NAME") or db.session.get(IdentitySettings, SETTINGS_ID) is not None:
        return
    organisation.update_settings(db.session, organisation.IdentityInput(**DEMO_IDENTITY), actor="cli", now=utcnow())


def register_worker_command(app: Flask) -> None:
    @app.cli.command("worker")
    @click.option("--workers", "-w", default=2, show_default=True, help="Worker threads.")
    @click.option("--no-periodic", is_flag=True, help="Do not run periodic jobs (another consumer does).")
    def worker_command(workers, no_periodic):
        """Run the job consumer (mail, Zoom sync, reminders, reconcile sweeps)."""
        from panel_app.queue import queue

        consumer = queue.huey.create_consumer(workers=workers, worker_type="thread", periodic=not no_periodic)
        click.echo(f"worker: {type(queue.huey).__name__} with {workers} thread(s); Ctrl+C to stop")
        consumer.run()
