"""Every docs page's "Try it" walkthrough runs, as written, against a fresh `make run`.

A code block whose info string is ```` ```sh walkthrough ```` or ```` ```python walkthrough ```` is
part of its page's walkthrough (GitHub renders it as plain sh or python). The blocks of a page
run in order in one bash session, as a reader pastes them into one terminal: shell variables
carry over, and each python block runs with the virtualenv's Python. The server is what
`make run` starts: a copy of the repository with its own SQLite file and demo data, served by
`manage.py runserver` with DJANGO_DEBUG=1. Only the port differs: `127.0.0.1:8000` in a block
becomes the test server's port. A doc that drifts from the code fails here.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
BLOCK = re.compile(r"^```(sh|python) walkthrough\n(.*?)^```\n", re.MULTILINE | re.DOTALL)
# Pages about the project rather than one control carry no walkthrough.
NOT_A_CONTROL = {"benchmarks.md", "threat-model.md", "deployment.md"}
CONTROL_PAGES = sorted(page.name for page in DOCS.glob("*.md") if page.name not in NOT_A_CONTROL)


def walkthrough(page: Path) -> list[tuple[str, str]]:
    """The (language, code) walkthrough blocks of a docs page, in order."""
    return BLOCK.findall(page.read_text())


def script(blocks: list[tuple[str, str]], port: int) -> str:
    parts = ["set -euo pipefail"]
    for language, code in blocks:
        if language == "python":
            parts.append(f".venv/bin/python - <<'WALKTHROUGH_PY'\n{code}WALKTHROUGH_PY")
        else:
            parts.append(code)
    return "\n".join(parts).replace("127.0.0.1:8000", f"127.0.0.1:{port}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _clean_env(site: Path) -> dict[str, str]:
    # What a reader's shell has: no test database, no Redis; `make run` writes DJANGO_DEBUG=1 to .env.
    return {
        "PATH": f"{site / '.venv' / 'bin'}:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
    }


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    """A fresh copy of the repository after `make run`'s steps, its dev server on a free port."""
    site = tmp_path_factory.mktemp("site") / "repo"
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (f.decode() for f in files)):
        if (ROOT / name).is_file():
            (site / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, site / name)
    (site / ".venv").symlink_to(Path(sys.prefix))
    (site / ".env").write_text("DJANGO_DEBUG=1\n")
    env = _clean_env(site)
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        subprocess.run([".venv/bin/python", "manage.py", *command], cwd=site, env=env, check=True, capture_output=True)
    port = _free_port()
    log = open(site / "runserver.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [".venv/bin/python", "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=site,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((site / "runserver.log").read_text()[-2000:])
            time.sleep(0.2)
        yield site, port
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def test_every_control_page_has_a_shell_and_a_python_walkthrough():
    missing = {}
    for name in CONTROL_PAGES:
        languages = {language for language, _ in walkthrough(DOCS / name)}
        if languages != {"sh", "python"}:
            missing[name] = sorted({"sh", "python"} - languages)
    assert missing == {}


@pytest.mark.parametrize("page", CONTROL_PAGES)
def test_walkthrough_runs_against_make_run(demo_site, page):
    site, port = demo_site
    blocks = walkthrough(DOCS / page)
    if not blocks:
        pytest.fail(f"{page} has no walkthrough")
    result = subprocess.run(
        ["bash", "-c", script(blocks, port)],
        cwd=site,
        env=_clean_env(site),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{page}\n--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
