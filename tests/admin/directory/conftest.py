"""The directory fixtures (tests/directory/conftest.py) for the console's directory pages."""

from tests.directory.conftest import directory, make_organisation  # noqa: F401
