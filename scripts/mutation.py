"""Mutation testing of the critical modules with mutmut, one module at a time (README "Mutation testing").

    .venv/bin/python scripts/mutation.py                 # every module, one after the other
    .venv/bin/python scripts/mutation.py calendar zoom-client --max-children 1
    .venv/bin/python scripts/mutation.py --list          # the modules, their files and tests
    .venv/bin/python scripts/mutation.py --survivors calendar   # the diff of each surviving mutant
    .venv/bin/python scripts/mutation.py --recheck calendar     # only the last run's survivors, with today's tests

Each module runs in its own folder, .mutation/<module>/: a pyproject.toml made of the project's
(with its [tool.mutmut] table) plus `only_mutate` (the module's files) and the module's tests as
the test selection, next to links to the project's folders. mutmut copies them to mutants/
there, mutates only those files, and runs, for each mutant, the selected tests that execute the
mutated function. So a run stays bounded, and runs of different modules never mix results.
The result is printed as killed/total per module and written, with the surviving mutants'
names, to .mutation/<module>/result.json (`mutmut show NAME` in that folder prints a mutant).

Not run by CI (.ci/run): the whole set takes tens of minutes on two cores.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".mutation"
#: What the app and the tests read at run time, linked into each module's folder.
LINKED = ("panel_app", "tests", "templates", "static", "migrations", "config.py", "wsgi.py", "babel.cfg")

#: module: (files mutated, tests that pin their behaviour)
MODULES: dict[str, tuple[list[str], list[str]]] = {
    "registration": (["panel_app/registration/services.py"],
                     ["tests/registration", "tests/directory/test_registration_form.py", "tests/admin/registrations",
                      "tests/api/test_registrations.py"]),
    "zoom-client": (["panel_app/zoom/client.py", "panel_app/zoom/ratelimit.py"],
                    ["tests/zoom/test_client.py", "tests/zoom/test_ratelimit.py"]),
    "zoom-sync": (["panel_app/zoom/sync.py", "panel_app/zoom/registrants.py"], ["tests/zoom/test_sync.py"]),
    "zoom-webhooks": (["panel_app/zoom/webhooks.py", "panel_app/zoom/webhook_events.py"],
                      ["tests/zoom/test_webhooks.py", "tests/zoom/test_webhook_payloads.py",
                       "tests/zoom/test_webhook_verification.py"]),
    "attendance": (["panel_app/attendance/services.py"], ["tests/attendance"]),
    "mail-delivery": (["panel_app/mail/delivery.py"],
                      ["tests/mail/test_delivery_races.py", "tests/mail/test_delivery_faults.py",
                       "tests/mail/test_invite_state.py", "tests/mail/test_delivery_schedule.py",
                       "tests/mail/test_invites.py", "tests/mail/test_group_messages.py"]),
    "calendar": (["panel_app/calendar/vtimezone.py"], ["tests/calendar/test_timezones.py"]),
    "privacy": (["panel_app/privacy/services.py"],
                ["tests/privacy", "tests/admin/privacy", "tests/directory/letters/test_privacy.py"]),
    "admin-auth": (["panel_app/admin/auth.py"], ["tests/admin/test_auth.py", "tests/admin/test_access_rule.py"]),
    "exports": (["panel_app/exports/services.py", "panel_app/exports/writers.py"], ["tests/exports"]),
}


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    return "[" + ", ".join(_toml_value(v) for v in value) + "]"


def module_pyproject(files: list[str], tests: list[str]) -> str:
    """The project's pyproject.toml with a [tool.mutmut] table for this module only."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    settings = dict(tomllib.loads(text)["tool"]["mutmut"])
    settings["only_mutate"] = files
    settings["pytest_add_cli_args_test_selection"] = tests
    start = text.index("[tool.mutmut]")
    following = re.search(r"^\[", text[start + 1:], re.M)
    rest = text[start + 1 + following.start():] if following else ""
    table = "[tool.mutmut]\n" + "".join(f"{key} = {_toml_value(value)}\n" for key, value in settings.items())
    return text[:start] + rest + "\n" + table


def prepare(name: str, *, fresh: bool) -> Path:
    files, tests = MODULES[name]
    folder = WORK / name
    if fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for entry in LINKED:
        link = folder / entry
        if not link.exists():
            link.symlink_to(ROOT / entry)
    (folder / "pyproject.toml").write_text(module_pyproject(files, tests), encoding="utf-8")
    # The calendar tests read invites with ical.js from node_modules next to tests/ (skipped without it).
    (folder / "mutants").mkdir(exist_ok=True)
    modules = folder / "mutants" / "node_modules"
    if (ROOT / "node_modules").exists() and not modules.exists():
        modules.symlink_to(ROOT / "node_modules")
    return folder


def unkilled(folder: Path) -> list[str]:
    """Names of the mutants of the last run in `folder` that no test killed yet."""
    listing = mutmut(folder, "results", "--all", "true", capture=True).stdout
    return sorted(line.strip().split(":")[0] for line in listing.splitlines()
                  if ":" in line and line.rsplit(":", 1)[1].strip() not in ("killed", "timeout"))


def refresh_unmutated_sources(folder: Path, mutated: list[str]) -> None:
    """Bring mutants/panel_app's unmutated files up to date with the project (mutmut copies the
    source tree only once, so a later change elsewhere in the app would not reach a recheck)."""
    for source in (ROOT / "panel_app").rglob("*.py"):
        relative = source.relative_to(ROOT)
        if str(relative) in mutated:
            continue
        target = folder / "mutants" / relative
        if not target.exists() or target.read_bytes() != source.read_bytes():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def sqlite_template(folder: Path) -> Path:
    """The schema, migrated once by the unmutated code, for every mutant's test session to copy
    (tests/conftest.py reads TEST_SQLITE_TEMPLATE): migrating anew would cost each mutant more
    than its tests. The migrations themselves are tested by the normal suite."""
    template = folder / "schema.sqlite3"
    # sqlite3's backup API, so pages still in the write-ahead log are included.
    script = ("import sys, tempfile, pathlib, sqlite3; sys.path.insert(0, sys.argv[1]);"
              "from tests.apps import build_app; d = pathlib.Path(tempfile.mkdtemp()); build_app(d);"
              "source, target = sqlite3.connect(d / 'db.sqlite3'), sqlite3.connect(sys.argv[2]);"
              "source.backup(target); target.execute('PRAGMA journal_mode=DELETE'); target.close()")
    subprocess.run([sys.executable, "-c", script, str(ROOT), str(template)], check=True, cwd=ROOT,
                   capture_output=True)
    return template


def keep_results_for_a_wider_selection(folder: Path, tests: list[str]) -> None:
    """Let a recheck keep the earlier verdicts when the module's test selection has grown.

    mutmut forgets every result when the selection changes (a narrower one could un-kill a
    mutant). New tests only ever add kills, so for a recheck the recorded selection is set to
    the current one: mutmut then keeps the kills, collects the new tests' coverage ("new tests
    found") and reruns the survivors with them. The hash is mutmut 3.8's
    (`Config.config_fingerprint`, group "test_selection").
    """
    stats_file = folder / "mutants" / "mutmut-stats.json"
    if not stats_file.exists():
        return
    stats = json.loads(stats_file.read_text())
    fingerprint = stats.get("config_fingerprint") or {}
    fingerprint["test_selection"] = hashlib.sha256(repr(tuple(tests)).encode()).hexdigest()[:12]
    stats["config_fingerprint"] = fingerprint
    stats_file.write_text(json.dumps(stats))


def mutmut(folder: Path, *args: str, capture: bool = False, log: Path | None = None) -> subprocess.CompletedProcess:
    executable = Path(sys.executable).with_name("mutmut")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", TEST_SQLITE_TEMPLATE=str(folder / "schema.sqlite3"))
    if log is not None:
        with log.open("w") as out:
            return subprocess.run([str(executable), *args], cwd=folder, text=True, check=False, stdout=out,
                                  stderr=subprocess.STDOUT, env=env)
    return subprocess.run([str(executable), *args], cwd=folder, text=True, check=False, capture_output=capture,
                          env=env)


def run(name: str, *, max_children: int, fresh: bool, recheck: bool = False) -> dict:
    if recheck and not (WORK / name / "mutants" / "mutmut-stats.json").exists():
        raise SystemExit(f"{name}: no earlier run to recheck (run it first)")
    folder = prepare(name, fresh=fresh and not recheck)
    started = time.monotonic()
    print(f"{name}: mutating {' '.join(MODULES[name][0])} (log: {folder / 'run.log'})", flush=True)
    # A recheck runs only the mutants the last run did not kill (survived, not tested, or not
    # reached because that run was interrupted), with the tests as they are now (mutmut copies
    # the tests again and collects the new tests' coverage first); killed mutants keep their
    # result. It is valid while the mutated files are unchanged: mutmut regenerates the
    # mutants of a changed file, whose earlier results then no longer apply.
    names = unkilled(folder) if recheck else []
    if recheck:
        refresh_unmutated_sources(folder, MODULES[name][0])
        keep_results_for_a_wider_selection(folder, MODULES[name][1])
    sqlite_template(folder)
    mutmut(folder, "run", "--max-children", str(max_children), *names, log=folder / "run.log")
    mutmut(folder, "export-cicd-stats", capture=True)
    stats_file = folder / "mutants" / "mutmut-cicd-stats.json"
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    listing = mutmut(folder, "results", capture=True).stdout
    survivors = sorted(line.strip().split(":")[0] for line in listing.splitlines()
                       if line.strip().endswith(": survived"))
    result = {"module": name, "files": MODULES[name][0], "seconds": round(time.monotonic() - started),
              **{key: stats.get(key, 0) for key in ("killed", "survived", "timeout", "suspicious", "no_tests",
                                                    "skipped", "segfault", "total")},
              "survivors": survivors}
    (folder / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    print(score_line(result), flush=True)
    return result


def score_line(result: dict) -> str:
    # A timeout is a kill (the mutant made the code spin); "no tests" mutants sit on lines no
    # selected test runs and count as not killed.
    killed = result["killed"] + result["timeout"]
    total = result["total"] - result["skipped"]
    share = f"{100 * killed / total:.1f}%" if total else "n/a"
    return (f"{result['module']:<15} {killed:>4}/{total:<4} killed {share:>6}   "
            f"survived {result['survived']}, no tests {result['no_tests']}, {result['seconds']} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", choices=[[], *MODULES], metavar="MODULE",
                        help=f"some of: {', '.join(MODULES)} (default: all)")
    parser.add_argument("--max-children", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--keep", action="store_true", help="reuse the previous run's results where mutmut can")
    parser.add_argument("--recheck", action="store_true",
                        help="rerun only what the last run did not kill, with the current tests (files unchanged)")
    parser.add_argument("--list", action="store_true", help="print the modules, their files and tests")
    parser.add_argument("--survivors", action="store_true",
                        help="print the diff of every surviving mutant of the last run of each module given")
    args = parser.parse_args(argv)
    if args.survivors:
        for name in args.modules or MODULES:
            result_file = WORK / name / "result.json"
            if not result_file.exists():
                continue
            for mutant in json.loads(result_file.read_text())["survivors"]:
                print(mutmut(WORK / name, "show", mutant, capture=True).stdout)
        return 0
    if args.list:
        for name, (files, tests) in MODULES.items():
            print(f"{name}: {' '.join(files)}  <-  {' '.join(tests)}")
        return 0
    results = [run(name, max_children=args.max_children, fresh=not args.keep, recheck=args.recheck)
               for name in args.modules or MODULES]
    print("\nmodule          killed/total          (details and surviving mutants: .mutation/<module>/result.json)")
    for result in results:
        print(score_line(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
