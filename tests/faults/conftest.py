from tests.security.conftest import make_isolated_app  # noqa: F401  (shared fixture)
