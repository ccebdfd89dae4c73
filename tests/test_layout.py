"""The layout README's "Layout" section describes: apps depend in one direction, by their imports.

Read with `ast`, not by importing: a cycle that Python happens to resolve today is still a cycle.
benchmarks/ imports nothing from tests/: the harness runs without the test suite (STYLE.md).
"""

import ast
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"

# Each app may import only the apps before it (README, "Layout").
ORDER = [
    "apiproject",
    "audit",
    "clients",
    "dpop",
    "transport",
    "signatures",
    "accounts",
    "browser_sessions",
    "oauth",
    "attestation",
    "signup",
    "purchases",
    "web",
]
# The project's wiring names every app: settings, the root URLconf and the service views
# (whoami lists every scheme). Nothing imports them but Django.
WIRING = {"apiproject/settings.py", "apiproject/urls.py", "apiproject/views.py"}
# The import names of every installed distribution (jwt, jose, redis, ...), and Django's own
# apps: a module named like one reads as the library at a glance, and shadows it for a reader.
LIBRARY_NAMES = set(packages_distributions()) | {"sessions", "auth", "admin_docs", "contenttypes"}


def _modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _imported_modules(path: Path) -> list[str]:
    modules = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.append(node.module)
    return modules


def _imported_apps(path: Path) -> set[str]:
    return {module.split(".")[0] for module in _imported_modules(path)} & set(ORDER)


@pytest.mark.parametrize("app", ORDER)
def test_app_imports_only_the_apps_before_it(app):
    allowed = set(ORDER[: ORDER.index(app) + 1])
    wrong = {
        str(path.relative_to(ROOT)): sorted(_imported_apps(path) - allowed)
        for path in _modules(app)
        if str(path.relative_to(ROOT)) not in WIRING and _imported_apps(path) - allowed
    }
    assert wrong == {}


def test_the_order_names_every_project_app():
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert apps == set(ORDER) - {"apiproject"}


def test_no_module_takes_a_library_name():
    names = {path.stem for app in ORDER for path in _modules(app)}
    assert names & LIBRARY_NAMES == set()


def test_no_package_re_exports():
    inits = [path for app in ORDER for path in _modules(app) if path.name == "__init__.py"]
    reexporting = [
        str(path.relative_to(ROOT))
        for path in inits
        if any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in ast.parse(path.read_text()).body)
    ]
    assert reexporting == []


def test_benchmarks_import_nothing_from_tests():
    files = sorted(BENCHMARKS.rglob("*.py"))
    assert files, "benchmarks/ has no modules: the check would pass on nothing"
    offending = [
        f"{path.relative_to(BENCHMARKS.parent)} imports {module}"
        for path in files
        for module in _imported_modules(path)
        if module == "tests" or module.startswith("tests.")
    ]
    assert offending == []
