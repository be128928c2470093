"""The deployment examples under deploy/ stay loadable by the configuration they document."""

from pathlib import Path

from config import load_config

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def test_the_production_env_example_loads_and_sets_the_organisation_identity():
    env = _read_env_file(DEPLOY / "panel.env.example")
    env["SECRET_KEY"] = "x" * 64  # the example's placeholder is refused in production, on purpose
    config = load_config(env)
    assert config.ORGANISATION_NAME == "Inter-Parliamentary Union"
    assert config.ORGANISATION_NAMES["fr"] == "Union interparlementaire"
    assert config.ORGANISATION_NAMES["es"] == "Unión Interparlamentaria"
    assert config.ORGANISATION_CONTACT_EMAIL == "events@example.org"
    assert config.REDIS_URL.startswith("redis://")
    assert config.MAIL_FROM_ORGANISER is False
