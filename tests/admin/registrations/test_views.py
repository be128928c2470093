"""Registration list (search, filters, sorting, paging), detail page and actions."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from panel_app.models import AuditEntry, Event, Notification, Registration, utcnow
from tests.conftest import csrf_from
from tests.factories import build_registration


def _bulk_add(db, event, n, **overrides):
    rows = []
    for i in range(n):
        registration, _ = build_registration(event, email=f"bulk{i}@parliament.example", **overrides)
        rows.append(registration)
    db.session.add_all(rows)
    db.session.commit()


def test_list_shows_search_results_with_unicode_and_filters(organiser, make_event, make_registration):
    event = make_event()
    make_registration(
        event, first_name="Zoë", last_name="Ñúñez", organisation="Cortes Generales", language="es", country="ES"
    )
    make_registration(event, first_name="Amina", last_name="Diallo", language="fr", status="pending")
    base = f"/admin/events/{event.slug}/registrations"
    html = organiser.get(base + "?q=ñúñez").get_data(as_text=True)
    assert "Ñúñez" in html and "Diallo" not in html
    html = organiser.get(base + "?q=cortes+zoë").get_data(as_text=True)
    assert "Ñúñez" in html
    html = organiser.get(base + "?status=pending").get_data(as_text=True)
    assert "Diallo" in html and "Ñúñez" not in html
    html = organiser.get(base + "?language=es&country=es").get_data(as_text=True)
    assert "Ñúñez" in html and "Diallo" not in html
    assert 'scope="col"' in html and 'aria-sort="descending"' in html


def test_sorting_by_name(organiser, make_event, make_registration):
    event = make_event()
    for last in ("Bravo", "Alpha", "Charlie"):
        make_registration(event, last_name=last)
    html = organiser.get(f"/admin/events/{event.slug}/registrations?sort=name&dir=asc").get_data(as_text=True)
    assert html.index("Alpha,") < html.index("Bravo,") < html.index("Charlie,")
    assert 'aria-sort="ascending"' in html


def test_pagination_is_server_side_and_accessible(organiser, db, make_event):
    event = make_event()
    _bulk_add(db, event, 30)
    base = f"/admin/events/{event.slug}/registrations"
    html = organiser.get(base + "?per_page=25").get_data(as_text=True)
    assert html.count('name="ids"') == 25
    assert 'aria-label="Pages"' in html and 'aria-current="page"' in html
    html = organiser.get(base + "?per_page=25&page=2").get_data(as_text=True)
    assert html.count('name="ids"') == 5


def test_bad_list_input_gets_a_clear_answer_not_a_500(organiser, make_event):
    event = make_event()
    base = f"/admin/events/{event.slug}/registrations"
    response = organiser.get(base + "?page=99")
    assert response.status_code == 404 and "There is no page 99" in response.get_data(as_text=True)
    for query, fragment in (
        ("page=abc", "page number"),
        ("page=-1", "page number"),
        ("status=bogus", "Unknown value"),
        ("language=de", "Unknown value"),
        ("sort=password", "Unknown sort"),
        ("per_page=100000", "Rows per page"),
        ("q=" + "x" * 20000, "too long"),
        ("country=%00%01", "two-letter"),
    ):
        response = organiser.get(f"{base}?{query}")
        assert response.status_code == 400, query
        assert fragment in response.get_data(as_text=True), query
    # Unknown parameter names are ignored (e.g. ?lang=fr is the language switcher).
    assert organiser.get(base + "?utm_source=x").status_code == 200


def test_list_page_runs_the_same_number_of_queries_for_10_and_500_rows(organiser, db, make_event, count_queries):
    small, large = make_event(), make_event()
    _bulk_add(db, small, 10)
    _bulk_add(db, large, 500)
    counts = []
    for event in (small, large):
        url = f"/admin/events/{event.slug}/registrations?per_page=200&sort=name&dir=asc"
        organiser.get(url)  # warm-up: first-request caches
        with count_queries() as queries:
            response = organiser.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 8, counts


def test_dashboard_and_export_queries_do_not_grow_with_rows(organiser, db, make_event, count_queries):
    small, large = make_event(), make_event()
    _bulk_add(db, small, 10)
    _bulk_add(db, large, 300)
    for path in ("", "/registrations.csv", "/participants"):
        counts = []
        for event in (small, large):
            organiser.get(f"/admin/events/{event.slug}{path}")
            with count_queries() as queries:
                response = organiser.get(f"/admin/events/{event.slug}{path}")
                response.get_data()
            counts.append(len(queries))
        assert counts[0] == counts[1], (path, counts)


def test_detail_page_shows_history(organiser, post, make_event, make_registration):
    event = make_event(approval_mode="manual")
    registration, _ = make_registration(event, status="pending", accessibility_needs="Sign language")
    url = f"/admin/events/{event.slug}/registrations/{registration.id}"
    html = organiser.get(url).get_data(as_text=True)
    assert "Sign language" in html and "no changes since" in html
    post(organiser, url + "/action", {"action": "approve"}, form_url=url)
    html = organiser.get(url).get_data(as_text=True)
    assert "Awaiting approval → Confirmed" in html


def test_approve_one_then_again_changes_nothing_the_second_time(organiser, post, db, make_event, make_registration):
    event = make_event(approval_mode="manual")
    registration, _ = make_registration(event, status="pending")
    url = f"/admin/events/{event.slug}/registrations/{registration.id}"
    first = post(organiser, url + "/action", {"action": "approve"}, form_url=url, follow_redirects=True)
    assert "Done: 1 approved and confirmed." in first.get_data(as_text=True)
    second = post(organiser, url + "/action", {"action": "approve"}, form_url=url, follow_redirects=True)
    assert "Nothing changed." in second.get_data(as_text=True)
    assert "Left as they were: 1 already confirmed." in second.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status == "confirmed"
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "registration.status")
        )
        == 1
    )


def test_concurrent_approvals_of_the_same_person_change_it_once(signed_in, db, make_event, make_registration):
    event = make_event(approval_mode="manual")
    registration, _ = make_registration(event, status="pending")
    url = f"/admin/events/{event.slug}/registrations/{registration.id}"
    clients = [signed_in("organiser")[0] for _ in range(3)]
    tokens = [csrf_from(c, url) for c in clients]
    barrier = threading.Barrier(len(clients))
    statuses = []

    def approve(client, token):
        barrier.wait()
        statuses.append(client.post(url + "/action", data={"csrf_token": token, "action": "approve"}).status_code)

    threads = [threading.Thread(target=approve, args=pair) for pair in zip(clients, tokens, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert statuses == [303] * len(clients)
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status == "confirmed"
    changes = db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "registration.status")
    )
    assert changes == 1
    # One status change means one confirmation email queued, not three.
    mails = db.session.scalar(
        sa.select(sa.func.count()).select_from(Notification).where(Notification.registration_id == registration.id)
    )
    assert mails <= 1


def test_bulk_actions(organiser, post, db, make_event, make_registration):
    event = make_event(approval_mode="manual", capacity=2)
    pending = [make_registration(event, status="pending")[0] for _ in range(3)]
    list_url = f"/admin/events/{event.slug}/registrations"
    response = post(
        organiser,
        list_url + "/bulk",
        {"action": "approve", "ids": [r.id for r in pending], "back": list_url + "?status=pending"},
        form_url=list_url,
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("?status=pending")
    db.session.expire_all()
    statuses = sorted(db.session.get(Registration, r.id).status for r in pending)
    assert statuses == ["confirmed", "confirmed", "waitlisted"]  # capacity 2: the third waits

    confirmed = [r for r in pending if db.session.get(Registration, r.id).status == "confirmed"]
    waiting = [r for r in pending if db.session.get(Registration, r.id).status == "waitlisted"][0]
    post(organiser, list_url + "/bulk", {"action": "cancel", "ids": [confirmed[0].id]}, form_url=list_url)
    db.session.expire_all()
    assert db.session.get(Registration, confirmed[0].id).status == "cancelled"
    assert db.session.get(Registration, waiting.id).status == "confirmed"  # the freed seat went to them

    # Attendance can be marked once the event has started.
    db.session.execute(sa.update(Event).where(Event.id == event.id).values(
        starts_at=utcnow() - timedelta(minutes=30), ends_at=utcnow() + timedelta(minutes=60)))
    db.session.commit()
    post(
        organiser,
        list_url + "/bulk",
        {"action": "mark_attended", "ids": [waiting.id, confirmed[1].id]},
        form_url=list_url,
    )
    db.session.expire_all()
    assert db.session.get(Registration, waiting.id).attended is True
    assert db.session.get(Registration, waiting.id).attendance_source == "manual"
    assert (
        db.session.scalar(
            sa.select(AuditEntry)
            .where(AuditEntry.action == "registration.bulk")
            .order_by(AuditEntry.id.desc())
            .limit(1)
        ).details["changed"]
        == 2
    )


def test_bulk_with_nothing_selected_or_junk_is_explained(organiser, post, make_event):
    event = make_event()
    list_url = f"/admin/events/{event.slug}/registrations"
    html = post(
        organiser, list_url + "/bulk", {"action": "approve"}, form_url=list_url, follow_redirects=True
    ).get_data(as_text=True)
    assert "Select at least one registration" in html
    html = post(
        organiser, list_url + "/bulk", {"action": "drop_tables", "ids": ["1"]}, form_url=list_url, follow_redirects=True
    ).get_data(as_text=True)
    assert "Choose an action" in html
    response = post(
        organiser, list_url + "/bulk", {"action": "approve", "ids": ["x", "99999999999999999999"]}, form_url=list_url
    )
    assert response.status_code == 303


def test_forged_csrf_on_an_action_is_refused(organiser, db, make_event, make_registration):
    event = make_event(approval_mode="manual")
    registration, _ = make_registration(event, status="pending")
    url = f"/admin/events/{event.slug}/registrations/{registration.id}/action"
    response = organiser.post(url, data={"csrf_token": "forged", "action": "approve"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status == "pending"


def test_promote_fills_free_seats_in_order(organiser, post, db, make_event, make_registration, future):
    event = make_event(capacity=1)
    first, _ = make_registration(event, status="waitlisted", created_at=future(days=-2))
    second, _ = make_registration(event, status="waitlisted", created_at=future(days=-1))
    url = f"/admin/events/{event.slug}/registrations/{second.id}"
    post(organiser, url + "/action", {"action": "promote"}, form_url=url)
    db.session.expire_all()
    assert db.session.get(Registration, first.id).status == "confirmed"
    assert db.session.get(Registration, second.id).status == "waitlisted"


def test_resend_invite_queues_an_invite_for_confirmed_only(organiser, post, db, make_event, make_registration):
    event = make_event()
    confirmed, _ = make_registration(event, status="confirmed")
    waiting, _ = make_registration(event, status="waitlisted")
    list_url = f"/admin/events/{event.slug}/registrations"
    html = post(
        organiser,
        list_url + "/bulk",
        {"action": "resend_invite", "ids": [confirmed.id, waiting.id]},
        form_url=list_url,
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Done: invite queued again for 1 person." in html and "Left as they were: 1 not confirmed." in html
    kinds = db.session.scalars(sa.select(Notification.registration_id)).all()
    assert confirmed.id in kinds and waiting.id not in kinds


def test_edit_details_and_refuse_a_taken_email(organiser, post, db, make_event, make_registration):
    event = make_event()
    registration, _ = make_registration(event)
    other, _ = make_registration(event, email="taken@parliament.example")
    url = f"/admin/events/{event.slug}/registrations/{registration.id}/edit"
    data = {
        "salutation": "Dr.",
        "first_name": "Zoë",
        "last_name": "Ñúñez",
        "email": "Zoe@Parliament.example",
        "country": "ES",
        "organisation": "Cortes",
        "affiliation_type": "member_parliament",
        "role": "staff",
        "committees": "",
        "language": "es",
        "accessibility_needs": "",
    }
    response = post(organiser, url, data, form_url=url)
    assert response.status_code == 303
    db.session.expire_all()
    # A new address continues as a new registration (see test_decisions.py): read it by its address.
    saved = db.session.scalar(sa.select(Registration).where(Registration.email_normalized == "zoe@parliament.example"))
    assert (saved.first_name, saved.language, saved.role, saved.email_normalized) == (
        "Zoë",
        "es",
        "staff",
        "zoe@parliament.example",
    )
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "registration.edit"))
    assert entry.details["language"] == {"from": "fr", "to": "es"}

    response = post(organiser, url, {**data, "email": "TAKEN@parliament.example"}, form_url=url)
    assert response.status_code == 422 and "already uses this email" in response.get_data(as_text=True)
    response = post(organiser, url, {**data, "language": "de"}, form_url=url)
    assert response.status_code == 422


def test_unknown_registration_or_event_is_404(organiser, make_event, make_registration):
    event, other = make_event(), make_event()
    registration, _ = make_registration(other)
    assert organiser.get(f"/admin/events/{event.slug}/registrations/{registration.id}").status_code == 404
    assert organiser.get("/admin/events/" + "x" * 300).status_code == 404
    assert organiser.get("/admin/events/nope/registrations").status_code == 404


def test_participants_page_lists_confirmed_people_by_name(organiser, make_event, make_registration):
    event = make_event()
    make_registration(event, last_name="Zulu", organisation="Parliament of Zambia", role="mp")
    make_registration(event, last_name="Alpha", organisation="Parlement du Bénin", role="staff")
    make_registration(event, last_name="Gone", status="cancelled")
    html = organiser.get(f"/admin/events/{event.slug}/participants").get_data(as_text=True)
    assert html.index("ALPHA") < html.index("ZULU")
    assert "GONE" not in html and "Parlement du Bénin" in html and "Parliamentary staff" in html


def test_attended_filter(organiser, make_event, make_registration, future):
    event = make_event(starts_at=future(days=-2), ends_at=future(days=-2) + timedelta(hours=1))
    make_registration(event, last_name="Came", attended=True, attended_minutes=55)
    make_registration(event, last_name="Absent", attended=False, attended_minutes=0)
    html = organiser.get(f"/admin/events/{event.slug}/registrations?attended=yes").get_data(as_text=True)
    assert "Came," in html and "Absent," not in html


def test_out_of_range_ids_and_odd_values_answer_4xx_never_500(signed_in, make_event, make_registration, post, db):
    client, _ = signed_in("admin")
    event = make_event()
    registration, _token = make_registration(event, status="pending")
    base = f"/admin/events/{event.slug}/registrations"
    assert client.get(f"{base}/99999999999999999999999").status_code == 404
    assert client.get(f"{base}/9223372036854775808/edit").status_code == 404
    assert post(client, f"{base}/99999999999/action", {"action": "approve"}).status_code == 404
    assert post(client, "/admin/users/99999999999999999999", {}).status_code == 404
    assert client.get("/admin/audit?page=%C2%B2").status_code == 400  # "²" is a digit to str.isdigit
    assert client.get("/admin/audit?action=%00").status_code == 400
    # Ids Python reads as digits but no row can have are ignored; the valid one is acted on.
    response = post(
        client, f"{base}/bulk", {"action": "approve", "ids": ["99999999999", "\u00b2", str(registration.id)]}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(type(registration), registration.id).status == "confirmed"
