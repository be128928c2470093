"""The lock files agree with pyproject.toml, carry hashes, and are what the scripts install.

`requirements.lock` (the app) and `requirements-test.lock` (the app and its test tools) are
generated from pyproject.toml by pip-compile (see the README, "Dependencies"). A dependency
added or re-ranged in pyproject.toml without regenerating the locks fails here.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def _declared() -> tuple[list[Requirement], list[Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = [Requirement(text) for text in project["dependencies"]]
    test = [Requirement(text) for text in project["optional-dependencies"]["test"]]
    return runtime, test


def _pins(lock: str) -> dict[str, tuple[Version, int]]:
    """name -> (version, number of hashes) for every package pinned in `lock`."""
    pins: dict[str, tuple[Version, int]] = {}
    current = None
    for line in (ROOT / lock).read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            pins[current] = (Version(match.group(2)), 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
        elif not line.startswith(" "):
            current = None
    return pins


@pytest.mark.parametrize("lock, groups", [("requirements.lock", ("runtime",)),
                                          ("requirements-test.lock", ("runtime", "test"))])
def test_every_declared_dependency_is_locked_at_a_version_it_allows(lock, groups):
    runtime, test = _declared()
    declared = {"runtime": runtime, "test": test}
    pins = _pins(lock)
    wrong = []
    for requirement in (r for group in groups for r in declared[group]):
        name = canonicalize_name(requirement.name)
        if name not in pins:
            wrong.append(f"{requirement} is not in {lock}")
        elif not requirement.specifier.contains(pins[name][0], prereleases=True):
            wrong.append(f"{requirement} does not allow the locked {name}=={pins[name][0]}")
        for extra in requirement.extras:  # psycopg[binary] locks psycopg-binary beside it
            if canonicalize_name(f"{requirement.name}-{extra}") not in pins:
                wrong.append(f"{requirement}: {requirement.name}-{extra} is not in {lock}")
    assert not wrong, "regenerate the locks (README, Dependencies):\n" + "\n".join(wrong)


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-test.lock"])
def test_every_locked_package_has_hashes(lock):
    pins = _pins(lock)
    assert len(pins) > 20
    assert [name for name, (_, hashes) in pins.items() if hashes == 0] == []


def test_the_locks_hold_nothing_the_project_does_not_declare():
    """The app lock is the test lock without the test tools: the same versions for shared packages."""
    app, full = _pins("requirements.lock"), _pins("requirements-test.lock")
    assert set(app) <= set(full)
    assert {name: version for name, (version, _) in app.items() if full[name][0] != version} == {}


def test_floors_stay_above_known_advisories():
    runtime, _ = _declared()
    specifiers = {canonicalize_name(r.name): r.specifier for r in runtime}
    # Flask 3.1.1: CVE-2025-47278; requests 2.32.4: CVE-2024-47081.
    for name, vulnerable, fixed in (("flask", "3.1.0", "3.1.1"), ("requests", "2.32.3", "2.32.4")):
        assert not specifiers[name].contains(vulnerable) and specifiers[name].contains(fixed), name


@pytest.mark.parametrize("script, lock", [("scripts/test.sh", "requirements-test.lock"),
                                          ("scripts/serve.sh", "requirements.lock")])
def test_the_scripts_install_from_the_lock_with_hashes(script, lock):
    text = (ROOT / script).read_text()
    installs = [line for line in text.splitlines() if "pip install" in line and not line.lstrip().startswith("#")]
    assert any(f"--require-hashes -r {lock}" in line for line in installs), installs
    assert all("--require-hashes" in line or "--no-deps -e ." in line for line in installs), installs
