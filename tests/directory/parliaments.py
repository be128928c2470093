"""A directory of a few hundred parliaments and organisations, as the follow-up and coverage
tests need it: names long and accented, in three languages, spread over regions and affiliation
types, each with one or two contacts reading English, French or Spanish."""

from __future__ import annotations

from panel_app.models import Contact, Organisation

REGIONS = ("Africa", "Arab Group", "Asia-Pacific", "Eurasia", "Latin America and the Caribbean", "Twelve Plus")
#: (English, French, Spanish, country) of a few real-looking names; the rest are numbered variants.
NAMES = [
    ("National Assembly of Senegal", "Assemblée nationale du Sénégal", "Asamblea Nacional del Senegal", "SN"),
    ("Cortes Generales of Spain", "Cortes générales d'Espagne", "Cortes Generales de España", "ES"),
    ("Congress of the Republic of Peru", "Congrès de la République du Pérou", "Congreso de la República del Perú",
     "PE"),
    ("Parliament of Côte d'Ivoire", "Parlement de Côte d'Ivoire", "Parlamento de Côte d'Ivoire", "CI"),
    ("Storting of Norway", "Storting de Norvège", "Storting de Noruega", "NO"),
    ("National Assembly of Viet Nam (Quốc hội)", "Assemblée nationale du Viet Nam", "Asamblea Nacional de Viet Nam",
     "VN"),
]
AFFILIATIONS = ("member_parliament",) * 8 + ("associate_member", "permanent_observer")


def build_directory(session, count: int = 240) -> list[Organisation]:
    """`count` active parliaments (plus two inactive ones), flushed; returns the active ones by id."""
    organisations = []
    for index in range(count):
        en, fr, es, country = NAMES[index % len(NAMES)]
        suffix = "" if index < len(NAMES) else f" – chamber {index:03d}"
        organisation = Organisation(
            name=f"{en}{suffix}", translations={"fr": f"{fr}{suffix}", "es": f"{es}{suffix}"},
            country=country, affiliation_type=AFFILIATIONS[index % len(AFFILIATIONS)],
            region=REGIONS[index % len(REGIONS)] if index % 17 else "", active=True)
        organisation.contacts = [
            Contact(name=f"Secrétaire général·e {index}", email=f"sg{index}@parl{index}.example",
                    email_normalized=f"sg{index}@parl{index}.example", function="Secretary General",
                    language=("en", "fr", "es")[index % 3])]
        organisations.append(organisation)
    for index in range(2):
        organisations.append(Organisation(name=f"Former Parliament {index}", country="DE",
                                          affiliation_type="member_parliament", region="Twelve Plus", active=False))
    session.add_all(organisations)
    session.flush()
    return [o for o in organisations if o.active]
