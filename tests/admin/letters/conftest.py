"""Letters console tests use the directory fixture of the letters service tests."""

from tests.directory.letters.conftest import make_directory  # noqa: F401  (fixture)
