"""The package's shape, checked: dependencies point one way and files stay readable.

- no import circle anywhere in `panel_app` (imports inside functions count too);
- services never import what sits above them: jobs, signal listeners, views, commands, the queue;
- models are plain data: they import only other models and the standard library/SQLAlchemy;
- a module outside models and the test simulator longer than the guide (~350 lines) says why at
  its top.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Entry points and edges: these may import jobs and listeners; nothing else may.
EDGE_NAMES = {"jobs", "receivers", "views", "cli", "webhooks", "tasks", "queue", "__init__", "__main__"}
LINE_GUIDE = 350


def _modules() -> dict[str, Path]:
    modules = {}
    for path in (ROOT / "panel_app").rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    return modules


MODULES = _modules()


def _imports(name: str) -> set[str]:
    """Every panel_app module `name` imports, at the top or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # `from package import module` depends on that module; `from module import name`
            # on the module the name comes from.
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name) for name in MODULES}


def _is_edge(name: str) -> bool:
    leaf = MODULES[name].stem
    return leaf in EDGE_NAMES or leaf.endswith("_views") or ".testing" in name


def test_no_module_imports_itself_back_through_others():
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for name in GRAPH:
        if name not in index:
            visit(name)
    assert circles == []


def test_services_never_import_jobs_listeners_views_or_the_queue():
    offenders = {}
    for name, targets in GRAPH.items():
        if _is_edge(name) or name.startswith("panel_app.models"):
            continue
        upward = sorted(t for t in targets if _is_edge(t) and not t.endswith(("blueprint",)))
        # A package's __init__ that only re-exports is fine to import (e.g. panel_app.admin.bp).
        upward = [t for t in upward if MODULES[t].stem != "__init__"]
        if upward:
            offenders[name] = upward
    assert offenders == {}


def test_models_import_only_models():
    offenders = {name: sorted(t for t in targets if not t.startswith("panel_app.models"))
                 for name, targets in GRAPH.items() if name.startswith("panel_app.models")}
    assert {name: t for name, t in offenders.items() if t} == {}


def test_long_modules_say_why_at_their_top():
    unexplained = []
    for name, path in MODULES.items():
        if name.startswith("panel_app.models") or ".testing" in name:
            continue
        text = path.read_text(encoding="utf-8")
        if text.count("\n") <= LINE_GUIDE:
            continue
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if "line" not in docstring.casefold() and "longer" not in docstring.casefold():
            unexplained.append(f"{name} ({text.count(chr(10))} lines)")
    assert unexplained == []
