"""The `flask --app wsgi ...` commands from the public contract."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from panel_app.cli import DEMO_ORGANISER_EMAIL, DEMO_SLUG, next_demo_start
from panel_app.models import Event, Organisation, User, utcnow
from panel_app.registration.services import WindowState, registration_window

CONTRACT_ARGS = [
    "events", "create",
    "--slug", "parliamentary-solidarity-2099",
    "--title", "Parliamentary solidarity: Supporting MPs under threat",
    "--start", "2099-09-29 15:00",
    "--end", "2099-09-29 16:30",
    "--timezone", "Europe/Zurich",
    "--languages", "en,fr,es",
]


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def read(db):
    def scalars(query):
        db.session.expire_all()
        return list(db.session.scalars(query))

    return scalars


def test_events_create_with_contract_options(runner, read):
    result = runner.invoke(
        args=CONTRACT_ARGS
        + [
            "--capacity",
            "120",
            "--approval",
            "manual",
            "--zoom-webinar-id",
            "81234567890",
            "--join-url",
            "https://zoom.example/j/1",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "http://panel.test/events/parliamentary-solidarity-2099" in result.output
    [event] = read(sa.select(Event))
    assert event.starts_at.isoformat() == "2099-09-29T13:00:00+00:00"  # 15:00 CEST stored in UTC
    assert event.duration_minutes == 90
    assert (event.timezone, event.languages, event.capacity) == ("Europe/Zurich", ["en", "fr", "es"], 120)
    assert (event.approval_mode, event.status, event.zoom_webinar_id) == ("manual", "published", "81234567890")
    assert event.join_url == "https://zoom.example/j/1"


def test_events_create_defaults_and_draft(runner, read):
    args = [
        "events",
        "create",
        "--slug",
        "draft-panel",
        "--title",
        "Draft",
        "--start",
        "2099-01-13 15:00",
        "--end",
        "2099-01-13 16:00",
        "--draft",
    ]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    [event] = read(sa.select(Event))
    assert (event.timezone, event.languages, event.capacity, event.approval_mode, event.status) == (
        "Europe/Zurich",
        ["en"],
        None,
        "auto",
        "draft",
    )
    assert event.starts_at.isoformat() == "2099-01-13T14:00:00+00:00"  # CET in January


@pytest.mark.parametrize(
    "change, message",
    [
        ({"--timezone": "Mars/Olympus_Mons"}, "unknown time zone 'Mars/Olympus_Mons'"),
        ({"--timezone": "../../etc/passwd"}, "unknown time zone"),
        ({"--timezone": "Europe"}, "unknown time zone 'Europe'"),  # a folder of the zone database
        ({"--end": "2099-09-29 14:00"}, "the end must be after the start"),
        ({"--end": "2099-09-29 15:00"}, "the end must be after the start"),
        ({"--start": "29/09/2099 15:00"}, "is not a date and time written like 2023-09-26 15:00"),
        ({"--start": "2099-03-29 02:30", "--end": "2099-03-29 04:00"}, "does not exist in Europe/Zurich"),
        ({"--start": "2099-10-25 02:30", "--end": "2099-10-25 04:00"}, "happens twice in Europe/Zurich"),
        ({"--languages": "en,de"}, "languages must be among en, fr, es"),
        ({"--slug": "Bad Slug!"}, "slug must be lower-case letters"),
        ({"--title": "   "}, "title is required"),
    ],
)
def test_events_create_refuses_bad_input_with_a_clear_error(runner, read, change, message):
    args = list(CONTRACT_ARGS)
    for option, value in change.items():
        args[args.index(option) + 1] = value
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)  # a ClickException, not a crash
    assert read(sa.select(Event)) == []


def test_events_create_refuses_both_zoom_ids(runner, read):
    result = runner.invoke(args=CONTRACT_ARGS + ["--zoom-meeting-id", "1", "--zoom-webinar-id", "2"])
    assert result.exit_code == 1 and "not both" in result.output
    assert read(sa.select(Event)) == []


def test_events_create_refuses_a_duplicate_slug(runner, read):
    assert runner.invoke(args=CONTRACT_ARGS).exit_code == 0
    result = runner.invoke(args=CONTRACT_ARGS)
    assert result.exit_code == 1
    assert "an event with slug 'parliamentary-solidarity-2099' already exists" in result.output
    assert len(read(sa.select(Event))) == 1


@pytest.mark.parametrize("option, value", [("--capacity", "-1"), ("--approval", "maybe"), ("--capacity", "many")])
def test_events_create_option_types_are_checked(runner, read, option, value):
    result = runner.invoke(args=CONTRACT_ARGS + [option, value])
    assert result.exit_code == 2 and "Invalid value" in result.output
    assert read(sa.select(Event)) == []


def test_users_create_hashes_password_and_updates_existing(runner, read):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            " Organiser@IPU.example.org ",
            "--password",
            "correct horse",
            "--role",
            "admin",
        ]
    )
    assert result.exit_code == 0, result.output
    [user] = read(sa.select(User))
    assert (user.email, user.role) == ("organiser@ipu.example.org", "admin")
    assert user.password_hash != "correct horse" and user.check_password("correct horse")

    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "organiser@ipu.example.org",
            "--password",
            "battery staple",
            "--role",
            "viewer",
        ]
    )
    assert result.exit_code == 0 and "Updated viewer" in result.output
    [user] = read(sa.select(User))
    assert user.role == "viewer" and user.check_password("battery staple") and not user.check_password("correct horse")


def test_users_create_default_role_is_organiser(runner, read):
    assert (
        runner.invoke(args=["users", "create", "--email", "o@ipu.example.org", "--password", "long enough!"]).exit_code
        == 0
    )
    assert read(sa.select(User))[0].role == "organiser"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--email", "o@ipu.example.org", "--password", "short"], "at least 12 characters"),
        # The console's rule: an account made on the command line reaches the same data.
        (["--email", "o@ipu.example.org", "--password", "11 chars ok"], "at least 12 characters"),
        (["--email", "not an email", "--password", "long enough"], "is not a valid email address"),
        (["--email", "o@ipu.example.org", "--password", "long enough", "--role", "god"], "Invalid value"),
    ],
)
def test_users_create_refuses_bad_input(runner, read, args, message):
    result = runner.invoke(args=["users", "create", *args])
    assert result.exit_code != 0 and message in result.output
    assert read(sa.select(User)) == []


def test_demo_creates_the_sample_panel_open_for_registration(runner, read):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert f"http://panel.test/events/{DEMO_SLUG}" in result.output and DEMO_ORGANISER_EMAIL in result.output

    [event] = read(sa.select(Event))
    now = utcnow()
    local_start = event.starts_at.astimezone(ZoneInfo("Europe/Zurich"))
    assert event.slug == DEMO_SLUG and event.status == "published"
    assert event.title == "Parliamentary solidarity: Supporting MPs under threat"
    assert (local_start.hour, local_start.minute) == (15, 0)
    assert event.ends_at - event.starts_at == timedelta(minutes=90)
    assert event.timezone == "Europe/Zurich" and event.languages == ["en", "fr", "es"]
    assert event.starts_at > now
    assert registration_window(event, now) == WindowState.OPEN
    assert "Member Parliaments" in event.audience and "Permanent Observers" in event.audience
    assert event.translations["fr"]["title"] and event.translations["es"]["title"]

    [user] = read(sa.select(User))
    assert user.email == DEMO_ORGANISER_EMAIL
    assert len(read(sa.select(Organisation).where(Organisation.active))) > 10


def test_demo_is_idempotent(runner, read):
    assert runner.invoke(args=["demo"]).exit_code == 0
    before = [(e.id, e.starts_at) for e in read(sa.select(Event))]
    organisations = len(read(sa.select(Organisation)))
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert [(e.id, e.starts_at) for e in read(sa.select(Event))] == before
    assert len(read(sa.select(User))) == 1
    assert len(read(sa.select(Organisation))) == organisations


def test_demo_moves_a_stale_sample_panel_back_into_the_future(runner, read, db):
    assert runner.invoke(args=["demo"]).exit_code == 0
    event = read(sa.select(Event))[0]
    event.starts_at = utcnow() - timedelta(days=30)
    event.ends_at = event.starts_at + timedelta(minutes=90)
    db.session.commit()

    assert runner.invoke(args=["demo"]).exit_code == 0
    [event] = read(sa.select(Event))
    assert registration_window(event, utcnow()) == WindowState.OPEN
    assert event.starts_at.astimezone(ZoneInfo("Europe/Zurich")).hour == 15


def test_next_demo_start_is_a_future_tuesday_afternoon_across_dst():
    from datetime import datetime, timezone

    for month in range(1, 13):
        now = datetime(2025, month, 15, 12, tzinfo=timezone.utc)
        start = next_demo_start(now)
        assert start.endswith(" 15:00")
        day = datetime.strptime(start, "%Y-%m-%d %H:%M").date()
        assert day.weekday() == 1 and 21 <= (day - now.date()).days <= 27


def _write(tmp_path, text: str, name="organisations.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_organisations_import_then_reimport_deactivates_and_reactivates(runner, read, tmp_path):
    first = _write(
        tmp_path,
        "name,country,affiliation_type\nParliament of Senegal,SN,member_parliament\n"
        "Parliament of Chile,CL,member_parliament\nEast African Legislative Assembly,,associate_member\n",
    )
    result = runner.invoke(args=["organisations", "import", first])
    assert result.exit_code == 0, result.output
    assert "added 3, updated 0, deactivated 0" in result.output

    second = _write(
        tmp_path, "name,country,affiliation_type\nParliament of Senegal,SN,member_parliament\n", "second.csv"
    )
    assert "added 0, updated 0, deactivated 2" in runner.invoke(args=["organisations", "import", second]).output
    assert {o.name: o.active for o in read(sa.select(Organisation))} == {
        "Parliament of Senegal": True,
        "Parliament of Chile": False,
        "East African Legislative Assembly": False,
    }

    result = runner.invoke(args=["organisations", "import", first])
    assert "added 0, updated 2, deactivated 0" in result.output
    assert all(o.active for o in read(sa.select(Organisation)))


def test_organisations_import_keep_missing(runner, read, tmp_path):
    runner.invoke(
        args=["organisations", "import", _write(tmp_path, "name,country,affiliation_type\nA,SN,member_parliament\n")]
    )
    path = _write(tmp_path, "name,country,affiliation_type\nB,CL,member_parliament\n", "b.csv")
    assert runner.invoke(args=["organisations", "import", "--keep-missing", path]).exit_code == 0
    assert {o.name: o.active for o in read(sa.select(Organisation))} == {"A": True, "B": True}


def test_organisations_import_with_errors_reports_lines_and_imports_nothing(runner, read, tmp_path):
    runner.invoke(
        args=["organisations", "import", _write(tmp_path, "name,country,affiliation_type\nKept,SN,member_parliament\n")]
    )
    bad = _write(
        tmp_path,
        "name,country,affiliation_type\n"
        "Parliament of Chile,CL,member_parliament\n"
        ",SN,member_parliament\n"
        "Parliament of Atlantis,XX,member_parliament\n"
        "Parliament of Peru,PE,senate\n"
        "Parliament of Chile,CL,member_parliament\n",
        "bad.csv",
    )
    result = runner.invoke(args=["organisations", "import", bad])
    assert result.exit_code == 1
    assert "Line 3: The name is empty." in result.output
    assert "Line 4: Unknown country code “XX”" in result.output
    assert "Line 5: “affiliation_type” must be one of" in result.output
    assert "Line 6" not in result.output  # the same parliament again with the same data adds nothing wrong
    assert "nothing imported" in result.output
    assert {o.name: o.active for o in read(sa.select(Organisation))} == {"Kept": True}


@pytest.mark.parametrize(
    "content, message",
    [
        ("title,kind\nX,Y\n", "Missing column(s): name, affiliation_type."),
        ("name,country,affiliation_type\n", "no parliaments or organisations"),
        ("", "Missing column(s)"),
    ],
)
def test_organisations_import_refuses_unusable_files(runner, read, tmp_path, content, message):
    result = runner.invoke(args=["organisations", "import", _write(tmp_path, content)])
    assert result.exit_code == 1 and message in result.output
    assert read(sa.select(Organisation)) == []


def test_organisations_import_refuses_a_non_utf8_file(runner, read, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("name,country,affiliation_type\nAssemblée nationale,FR,member_parliament\n".encode("latin-1"))
    result = runner.invoke(args=["organisations", "import", str(path)])
    assert result.exit_code == 1 and "cannot be read as UTF-8 CSV" in result.output
    assert read(sa.select(Organisation)) == []


def test_organisations_import_accepts_excel_bom_and_quoted_names(runner, read, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(
        (
            '\ufeffname,country,affiliation_type\n'
            '"Parliament of Bosnia and Herzegovina, House of Representatives",BA,member_parliament\n'
        ).encode("utf-8")
    )
    result = runner.invoke(args=["organisations", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert [o.name for o in read(sa.select(Organisation))] == [
        "Parliament of Bosnia and Herzegovina, House of Representatives"
    ]
