"""Dependencies point one way in mail and privacy: jobs and listeners import services,
services never import jobs, listeners or the queue, and no module imports itself back
through others (an import circle)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("panel_app.mail", "panel_app.privacy", "panel_app.core")
#: Modules that may reach the queue or the listeners; everything else in mail/ is a service.
MAIL_EDGES = {"panel_app.mail.jobs", "panel_app.mail.receivers"}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in (ROOT / "panel_app").rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    return modules


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every panel_app module `name` imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {m for m in found if m in modules and m != name}


def test_mail_privacy_and_core_modules_form_no_import_circle():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    ours = [name for name in graph if name.startswith(PACKAGES)]

    def reaches(start: str, target: str) -> bool:
        seen, todo = set(), list(graph[start])
        while todo:
            current = todo.pop()
            if current == target:
                return True
            if current not in seen:
                seen.add(current)
                todo.extend(graph[current])
        return False

    circles = sorted(name for name in ours if reaches(name, name))
    assert circles == []


def test_mail_services_import_neither_jobs_nor_listeners_nor_the_queue():
    modules = _modules()
    forbidden = MAIL_EDGES | {"panel_app.queue", "panel_app.tasks"}
    offenders = {}
    for name, path in modules.items():
        if name.startswith("panel_app.mail.") and name not in MAIL_EDGES:
            bad = _imports(name, path, modules) & forbidden
            if bad:
                offenders[name] = sorted(bad)
    assert offenders == {}
