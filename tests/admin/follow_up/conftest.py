from tests.directory.follow_up.conftest import follow_up_world  # noqa: F401  (the same world of 200 parliaments)
