"""A person's page: the registration itself, every email with its state, edits as "field: old → new"."""

from __future__ import annotations


def test_a_persons_page_shows_every_email_with_its_state_and_readable_history(organiser, populated):
    person = populated.people[0]
    html = organiser.get(f"/admin/events/{populated.upcoming.slug}/registrations/{person.id}").get_data(as_text=True)
    emails = html[html.index('id="emails-title"'):html.index('id="history-title"')]
    assert "Registration confirmed, with the invite" in emails and "calendar REQUEST, sequence 0" in emails
    assert "Reminder" in emails and "failed" in emails and "550 5.1.1 mailbox unavailable" in emails
    assert "Message from the organisers: Programme" in emails
    history = html[html.index('id="history-title"'):]
    assert "Awaiting approval → Confirmed" in history
    assert f"Email: old@parl.example → {person.email}" in history
    assert "Interpretation language: English → English" in history
    assert "{&#34;" not in history and '{"' not in history  # no raw JSON
    assert "through the registration form" in html


def test_a_person_without_email_shows_that_and_the_general_join_link(organiser, populated):
    person = populated.people[4]
    html = organiser.get(f"/admin/events/{populated.upcoming.slug}/registrations/{person.id}").get_data(as_text=True)
    assert "No email was queued for this person." in html
    assert populated.upcoming.join_url in html and "the event's general link" in html
