"""Runtime and development requirements are split, and every requirement is pinned exactly."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[a-z0-9,_-]+\])?==[0-9][A-Za-z0-9.+-]*$")
DEV_ONLY = {"pytest", "pytest-django", "factory-boy", "time-machine", "selenium", "ruff", "schemathesis", "hypothesis"}


def _requirements(name: str) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in (ROOT / name).read_text().splitlines())
    return [line for line in lines if line]


def _name(requirement: str) -> str:
    return re.split(r"[\[=]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_every_requirement_is_pinned_exactly():
    for name in ("requirements.txt", "requirements-dev.txt"):
        unpinned = [line for line in _requirements(name) if line != "-r requirements.txt" and not PIN.match(line)]
        assert unpinned == [], name


def test_runtime_requirements_hold_no_test_or_lint_tool():
    assert {_name(line) for line in _requirements("requirements.txt")} & DEV_ONLY == set()


def test_development_requirements_build_on_the_runtime_ones():
    dev = _requirements("requirements-dev.txt")
    assert dev[0] == "-r requirements.txt"
    assert DEV_ONLY <= {_name(line) for line in dev[1:]}
