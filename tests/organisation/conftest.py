"""The organisation identity as a deployment would configure it from the environment."""

from __future__ import annotations

import pytest

IPU = {
    "ORGANISATION_NAME": "Inter-Parliamentary Union",
    "ORGANISATION_NAMES": {"en": "", "fr": "Union interparlementaire", "es": "Unión Interparlamentaria"},
    "ORGANISATION_SHORT_NAME": "IPU",
    "ORGANISATION_CONTACT_EMAIL": "events@ipu.example.org",
    "ORGANISATION_WEBSITE": "https://www.ipu.example.org",
    "DATA_CONTROLLER_ADDRESS": "Chemin du Pommier 5, 1218 Le Grand-Saconnex, Geneva, Switzerland",
}


@pytest.fixture
def ipu_environment(app, monkeypatch):
    """The app configured as the IPU's deployment (ORGANISATION_* settings)."""
    for name, value in IPU.items():
        monkeypatch.setitem(app.config, name, value)
    return app.config
