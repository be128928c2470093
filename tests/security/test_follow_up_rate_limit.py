"""The follow-up questionnaire's submissions are rate limited per address; reading it is not."""

from __future__ import annotations

from panel_app.directory import links
from panel_app.extensions import db
from panel_app.models import Organisation
from tests.factories import TEST_SECRET_KEY, EventFactory


def test_follow_up_posts_are_limited_per_address_and_reading_stays_free(make_isolated_app):
    app = make_isolated_app(RATELIMIT_ENABLED=True, RATELIMIT_FOLLOW_UP="2 per minute")
    with app.app_context():
        event = EventFactory.build()
        organisation = Organisation(name="Assemblée nationale du Sénégal", country="SN",
                                    affiliation_type="member_parliament")
        db.session.add_all([event, organisation])
        db.session.flush()
        report = links.follow_up_report_for(db.session, event, organisation, TEST_SECRET_KEY)
        db.session.commit()
        url = f"/follow-up/{links.follow_up_token(report, TEST_SECRET_KEY)}"
    client = app.test_client()
    statuses = [client.post(url, data={"name": ""}).status_code for _ in range(3)]
    assert statuses == [422, 422, 429]
    assert "Too many requests" in client.post(url, data={"name": "x"}).get_data(as_text=True)
    assert client.get(url).status_code == 200
