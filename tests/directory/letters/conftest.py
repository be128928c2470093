"""Letters to contacts: a directory of a few hundred parliaments, the real SMTP server on
loopback (the mail tests' fixtures), and an organiser to send as."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from panel_app.models import Contact, Organisation, User
from tests.mail.conftest import drain, mail_to_smtp, smtp_server  # noqa: F401  (fixtures used here)

REGIONS = ("Africa", "Arab Group", "Asia-Pacific", "Eurasia", "Latin America and the Caribbean", "Twelve Plus")
#: Long and accented names, in the three languages, as a real directory has them.
NAMES = [
    ("Assemblée nationale de Côte d'Ivoire", "CI", "fr", "Mme Aïssata Koné-Ouédraogo"),
    ("Congreso de la República del Perú", "PE", "es", "Dña. María-José Ñúñez de Balboa"),
    ("Parliament of the United Republic of Tanzania", "TZ", "en", "Hon. Dr. Tulia Ackson"),
    ("Storting of Norway", "NO", "en", "Zoë Ødegård"),
    ("Grande Assemblée nationale de Turquie", "TR", "de", "Ömer Çelik-Öztürk"),
]


@dataclass
class Directory:
    organisations: list[Organisation]
    contacts: list[Contact]


@pytest.fixture
def make_directory(db):
    """`make_directory(n)`: n active parliaments (member parliaments, associate members,
    observers in six regions), one contact each in its language (some in a language no
    event offers); commits and returns a Directory."""

    def make(count: int = 240, *, contacts_per_organisation: int = 1) -> Directory:
        organisations, contacts = [], []
        for n in range(count):
            base, country, language, person = NAMES[n % len(NAMES)]
            organisation = Organisation(
                name=f"{base} ({n:03d})", translations={"fr": f"{base} — fr ({n:03d})"}, country=country,
                affiliation_type=("member_parliament", "associate_member", "permanent_observer")[n % 3 if n % 10 == 0
                                                                                                  else 0],
                region=REGIONS[n % len(REGIONS)], active=True)
            db.session.add(organisation)
            organisations.append(organisation)
        db.session.flush()
        for n, organisation in enumerate(organisations):
            base, country, language, person = NAMES[n % len(NAMES)]
            for k in range(contacts_per_organisation):
                email = f"sg{n:03d}.{k}@parliament-{n:03d}.example"
                contacts.append(Contact(organisation_id=organisation.id, name=f"{person} {n:03d}", email=email,
                                        email_normalized=email.casefold(), function="Secretary General",
                                        language=language, active=True))
        db.session.add_all(contacts)
        db.session.commit()
        return Directory(organisations, contacts)

    return make


@pytest.fixture
def author(db):
    user = db.session.scalar(sa.select(User).where(User.email == "sg-office@ipu.example.org"))
    if user is None:
        user = User(email="sg-office@ipu.example.org", role="organiser")
        user.set_password("correct horse battery staple")
        db.session.add(user)
        db.session.commit()
    return user
