"""The commands the docs give a reader: they name real sessions, and they work."""

import contextlib
import os
import re
import shlex
import signal
import socket
import subprocess
import time

import httpx
import pytest

import block_audit
import nox_sessions
from block_audit import ROOT

SERVE_URL = "http://127.0.0.1:8000/"
NOX_SESSION = re.compile(r"(?:\bnox|noxfile\.py)(?: [\w.=-]+)* -s ([\w-]+)")


def readme_commands() -> list[str]:
    """The commands of the README's `commands` section, without their comments."""
    (block,) = block_audit.parse_blocks(
        block_audit.section_text(ROOT / "README.md", "commands") or "",
        ROOT / "README.md",
    )
    lines = (re.sub(r"\s+#.*$", "", line).strip() for line in block.body.splitlines())
    return [line for line in lines if line]


def test_readme_gives_two_commands_serve_and_test():
    serve, test = readme_commands()
    assert serve.endswith("-s serve")
    assert "-s" not in shlex.split(test)


def test_ci_runs_the_readme_test_command():
    test_command = readme_commands()[1]
    ci_lines = (ROOT / ".ci/run").read_text(encoding="utf-8").splitlines()
    assert test_command in (line.strip() for line in ci_lines)


def test_every_session_the_docs_name_exists():
    named = {
        match[1]
        for block in block_audit.audit()
        if block.category in ("skip:command", "skip:diagram")
        for match in NOX_SESSION.finditer(block.body)
    }
    assert named
    assert named <= {session.name for session in nox_sessions.sessions()}


def test_plain_nox_runs_the_sessions_ci_needs():
    defaults = {session.name for session in nox_sessions.sessions() if session.default}
    assert defaults == {"lint", "rust", "docs", "tests", "upstream"}


def test_the_serve_command_serves_the_site_on_port_8000(tmp_path):
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 8000)) == 0:
            pytest.fail(
                "port 8000 is in use (is `nox -s serve` running?); stop it and rerun"
            )
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            shlex.split(readme_commands()[0]),
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        page = _first_answer(SERVE_URL, server, deadline=time.monotonic() + 300)
        assert "Open WebUI → Rust migration handbook" in page, log.read_text()
    finally:
        with contextlib.suppress(ProcessLookupError):  # it may have exited already
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _first_answer(url: str, server: subprocess.Popen, deadline: float) -> str:
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the serve command exited with {server.returncode}")
        try:
            return httpx.get(url, timeout=2).raise_for_status().text
        except httpx.TransportError:
            time.sleep(0.5)
    pytest.fail(f"nothing answered at {url}")
