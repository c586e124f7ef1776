"""Fixtures for the docs tests: the site built once, and served on 127.0.0.1."""

import functools
import http.server
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import block_audit
from block_audit import ROOT
from pages import SCREENSHOTS

# Loaded before any docs test runs: screenshots newer than this are this run's.
LOADED = time.time()


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as `mkdocs build --strict` makes it, in a temporary directory."""
    site = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{result.stdout}{result.stderr}")
    return site


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *_args):
        pass


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    """The built site served over HTTP on 127.0.0.1 and a free port."""
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_address[1]}/"
        server.shutdown()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the block audit's counts, and the screenshots this run saved."""
    counts = block_audit.counts(block_audit.audit())
    terminalreporter.section("block audit")
    for category, count in counts.items():
        terminalreporter.write_line(f"{count:5d}  {block_audit.CLASS_LABELS[category]}")
    shots = sorted(p for p in SCREENSHOTS.glob("*.png") if p.stat().st_mtime >= LOADED)
    if shots:
        terminalreporter.section("screenshots")
        for shot in shots:
            terminalreporter.write_line(str(shot))
