"""The house's never-rules, read from the source (issue 27): an app imports only the apps on
the floors below it (`incidents` nothing of `hotline`, neither of them `demo`), no app imports
`imi_portal`, and no module imports one that imports it back (imports inside functions
count: they only hide a circle)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The floors, from the bottom: each app may import the ones before it, never one after it.
APPS = ("incidents", "hotline", "demo")


def _modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(name: str, path: Path) -> set[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets |= {module} | {f"{module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
    return targets


def _graph():
    modules = _modules()
    every = {name: _imports(name, path) for name, path in modules.items()}
    return {
        name: {t for t in targets if t in modules and t != name} for name, targets in every.items()
    }, every


def _floor(module: str) -> int | None:
    app = module.split(".")[0]
    return APPS.index(app) if app in APPS else None


def test_no_app_imports_one_above_it_nor_the_project():
    graph, every = _graph()
    upward = sorted(
        (name, target)
        for name, targets in every.items()
        for target in targets
        if target.split(".")[0] == "imi_portal"
        or (_floor(target) is not None and _floor(target) > _floor(name))
    )
    assert upward == []


def test_no_module_imports_one_that_imports_it_back():
    graph, _every = _graph()
    circles = []

    def walk(start, node, path):
        for nxt in graph[node]:
            if nxt == start:
                circles.append(path)
            elif nxt not in path and nxt > start:
                walk(start, nxt, [*path, nxt])

    for name in graph:
        walk(name, name, [name])
    assert circles == [], circles[:5]
    assert len(graph) > 40
