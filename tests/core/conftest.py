import pytest

from tests.registration.helpers import new_browser


@pytest.fixture
def client(app):
    """A browser whose requests each get their own app context (see IsolatedClient)."""
    return new_browser(app)
