"""`.env.example` loads as it is, and so does every example value in it once uncommented."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / ".env.example"
ASSIGNMENT = re.compile(r"^(# )?([A-Z][A-Z0-9_]*)=(.*)$")

CHECK = """
import os, sys
import environ
environ.Env.read_env(sys.argv[1], overwrite=True)
os.environ["DJANGO_SETTINGS_MODULE"] = "apiproject.settings"
import django
django.setup()
from django.core.management import call_command
call_command("check")
"""


def _assignments() -> list[tuple[bool, str, str]]:
    rows = []
    for line in EXAMPLE.read_text().splitlines():
        if match := ASSIGNMENT.match(line):
            commented, name, value = match.groups()
            rows.append((commented is None, name, value))
    return rows


def _check(env_file: Path) -> subprocess.CompletedProcess:
    # A clean environment: only what the file sets (and what finds Python) reaches the settings.
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [sys.executable, "-c", CHECK, str(env_file)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_values_carry_no_inline_comment():
    # django-environ keeps `VAR=1   # comment` as the value "1   # comment".
    for _active, name, value in _assignments():
        assert "#" not in value and value == value.strip(), name


def test_only_debug_is_active_so_the_settings_defaults_decide_the_rest():
    active = [name for is_active, name, _ in _assignments() if is_active]
    assert active == ["DJANGO_DEBUG"]


def test_every_variable_the_settings_read_is_listed():
    settings_source = (ROOT / "apiproject" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]*)"', settings_source))
    listed = {name for _, name, _ in _assignments()}
    assert read - listed == set()


@pytest.mark.parametrize("uncomment", [False, True], ids=["as-is", "every-example-uncommented"])
def test_loads_and_passes_the_system_checks(tmp_path, uncomment):
    text = EXAMPLE.read_text()
    if uncomment:
        text = re.sub(r"^# ([A-Z][A-Z0-9_]*=)", r"\1", text, flags=re.MULTILINE)
    env_file = tmp_path / ".env"
    env_file.write_text(text)
    result = _check(env_file)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "no issues" in result.stdout
