"""The console's follow-up page: answers per parliament and per action, and their exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from panel_app.directory.follow_up import ACTIONS, Answer, save_answers
from panel_app.extensions import db as _db
from panel_app.models import AuditEntry, utcnow

TEXTS = {
    "debate_or_resolution": "Résolution adoptée le 12 octobre (n° 2026-114) — « Solidarité ».",
    "informed_media": "=cmd|' /C calc'!A0 press release",
}


@pytest.fixture
def answered(db, follow_up_world):
    """Parliaments 0..59 answered: every third took the debate action, every fifth informed the media."""
    now = utcnow()
    for index, report in enumerate(follow_up_world.reports[:60]):
        answers = {"debate_or_resolution": Answer(index % 3 == 0, TEXTS["debate_or_resolution"] if index % 3 == 0
                                                  else ""),
                   "informed_media": Answer(index % 5 == 0, TEXTS["informed_media"] if index % 5 == 0 else ""),
                   "met_ambassadors": Answer(False, "Planned for January." if index == 1 else "")}
        save_answers(db.session, report, answers, name=f"Hon. Ñúñez-Öztürk {index}", function="Secretary General",
                     language=("en", "fr", "es")[index % 3], now=now - timedelta(days=2))
    db.session.commit()
    return follow_up_world


def test_viewers_see_counts_per_action_and_the_texts_given(signed_in, answered, count_queries):
    client, _ = signed_in("viewer")
    with count_queries() as queries:
        response = client.get(f"/admin/events/{answered.event.slug}/follow-up")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and len(queries) < 15
    totals = [int(n) for n in re.findall(r'<span class="total-number">(\d+)</span>', html)]
    assert totals == [200, 60, 140]
    counts = dict(re.findall(r'<a href="#action-(\w+)">[^<]+</a></th><td class="num">(\d+)</td>', html))
    assert counts["debate_or_resolution"] == "20" and counts["informed_media"] == "12"
    assert counts["foreign_minister"] == "0" and len(counts) == len(ACTIONS)
    assert "Résolution adoptée le 12 octobre (n° 2026-114) — « Solidarité »." in html
    assert "Planned for January." in html  # a comment on an action not taken is shown apart


def test_the_per_parliament_list_filters_on_answered_and_not_yet(signed_in, answered):
    client, _ = signed_in("viewer")
    slug = answered.event.slug
    html = client.get(f"/admin/events/{slug}/follow-up?answered=no").get_data(as_text=True)
    section = html[html.index('id="per-parliament"'):]
    assert section.count('<th scope="row">') == 140
    html = client.get(f"/admin/events/{slug}/follow-up?answered=yes").get_data(as_text=True)
    section = html[html.index('id="per-parliament"'):]
    assert section.count('<th scope="row">') == 60 and "Hon. Ñúñez-Öztürk 0" in section
    response = client.get(f"/admin/events/{slug}/follow-up?answered=maybe")
    assert response.status_code == 400 and "this value is not one of the choices" in response.get_data(as_text=True)


def test_the_page_speaks_spanish_to_a_spanish_organiser(signed_in, answered):
    client, _ = signed_in("viewer")
    client.set_cookie("lang", "es")
    html = client.get(f"/admin/events/{answered.event.slug}/follow-up").get_data(as_text=True)
    assert "Seguimiento: acciones llevadas a cabo por los parlamentos" in html
    assert "Celebró un debate o aprobó una resolución o declaración" in html


def test_the_csv_has_a_row_per_parliament_and_two_columns_per_action(signed_in, answered):
    client, _ = signed_in("organiser")
    response = client.get(f"/admin/events/{answered.event.slug}/follow-up.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert len(rows) == 201 and len(rows[0]) == 9 + 2 * len(ACTIONS)
    assert rows[0][9:11] == ["Brought the decisions to the attention of members",
                             "Brought the decisions to the attention of members: details"]
    header = rows[0]
    media = header.index("Informed the media")
    first = {r[0]: r for r in rows[1:]}[answered.organisations[0].name]
    assert first[3] == "yes" and first[6] == "Hon. Ñúñez-Öztürk 0" and first[7] == "Secretary General"
    assert first[media] == "yes" and first[media + 1] == "'" + TEXTS["informed_media"]  # formula neutralised
    waiting = {r[0]: r for r in rows[1:]}[answered.organisations[100].name]
    assert waiting[3] == "no" and waiting[4] == "" and waiting[media] == ""
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "export.follow_up.csv")) == 1


def test_the_excel_file_lists_each_action_taken_on_its_own_row(signed_in, answered, tmp_path):
    client, _ = signed_in("viewer")
    client.set_cookie("lang", "fr")
    response = client.get(f"/admin/events/{answered.event.slug}/follow-up.xlsx")
    path = tmp_path / "follow-up.xlsx"
    path.write_bytes(response.get_data())
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Suivi", "Par action"]
    by_action = list(book["Par action"].iter_rows(values_only=True))
    assert by_action[0] == ("Action", "Parlement ou organisation", "Détails")
    assert len(by_action) == 1 + 20 + 12
    assert {row[0] for row in by_action[1:]} == {"A tenu un débat ou adopté une résolution ou une déclaration",
                                                 "A informé les médias"}
    main = list(book["Suivi"].iter_rows(values_only=True))
    assert main[1][3] is True and main[1][4] is not None  # typed: a boolean and a date


def test_an_event_nobody_was_asked_about_says_how_the_questionnaire_goes_out(signed_in, make_event):
    event = make_event(slug="no-follow-up")
    client, _ = signed_in("viewer")
    html = client.get(f"/admin/events/{event.slug}/follow-up").get_data(as_text=True)
    assert "No parliament has been asked yet." in html
