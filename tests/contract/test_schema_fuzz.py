"""Fuzzing from the schema: schemathesis against each twin, from the document it serves.

Every check schemathesis has, in positive and negative mode, through all its phases
(the document's examples, boundary values, random inputs, and stateful sequences
linking one operation's output to another's input), on a fresh server whose admin
sends every request. The test fails on any server error, on any finding of a kind not
explained below, and on a run too small to mean anything.

Open WebUI serves no document outside its dev mode, so this runs on the twins only.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .api import bearer, http_client, signup
from .fuzz_auth import admin_token
from .servers import Server
from .storage import location

# Per operation, and a ceiling for the whole run: the run stays bounded in time.
MAX_EXAMPLES = 25
MAX_TIME_S = 60
MIN_CASES_PER_OPERATION = 10
# Fixed, so a finding can be replayed; FUZZ_SEED explores elsewhere.
SEED = int(os.environ.get("FUZZ_SEED", "20261203"))
# Pointing the provider connection at random addresses would make every completion
# answer upstream's 500 for an unreachable provider, which the contract requires
# (test_completion_failures.py): that route's input is fuzzed nowhere else's way.
EXCLUDED = r"^/openai/config/update$"
# Without a provider, the OpenAI routes answer upstream's 503 "disabled" by design.
NEEDS_PROVIDER = r"^/(openai/|api/(v1/)?chat/completions$)"

SERVER_ERROR = "ST101"
# What each other kind of finding is, and why the twins keep it.
EXPLAINED = json.loads((Path(__file__).with_name("fuzz_findings.json")).read_text())

pytestmark = pytest.mark.twins_only


def run_schemathesis(server: Server, admin_id: str, report: Path) -> dict:
    """Run `st` against the server's own /openapi.json; return its JSON report."""
    excluded = EXCLUDED if server.target.provider else f"{EXCLUDED}|{NEEDS_PROVIDER}"
    st = Path(sys.executable).with_name("st")
    argv = [
        str(st),
        "run",
        f"{server.base_url}/openapi.json",
        "--checks=all",
        "--mode=all",
        "--phases=examples,coverage,fuzzing,stateful",
        f"--max-examples={MAX_EXAMPLES}",
        f"--max-time={MAX_TIME_S}",
        f"--seed={SEED}",
        "--workers=1",
        f"--exclude-path-regex={excluded}",
        "--generation-database=none",
        "--report=json",
        f"--report-json-path={report}",
        "--no-color",
    ]
    env = os.environ | {
        "SCHEMATHESIS_HOOKS": "fuzz_auth",
        "PYTHONPATH": str(Path(__file__).parent),
        "FUZZ_SECRET": server.secret,
        "FUZZ_USER_ID": admin_id,
        "FUZZ_DATABASE": location(server),
    }
    # Run where its cache of earlier findings (.schemathesis/) is thrown away.
    completed = subprocess.run(
        argv,
        cwd=report.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=MAX_TIME_S + 120,
    )
    assert report.exists(), completed.stdout[-3000:] + completed.stderr[-3000:]
    return json.loads(report.read_text())


def test_fuzzing_finds_no_server_error(launch, tmp_path: Path, record_property) -> None:
    server = launch({})
    with http_client(server.base_url) as client:
        admin = signup(client, "fuzz-admin@example.com", "password-1", "Fuzz Admin")
        assert admin.status_code == 200, admin.text
    admin_id = admin.json()["id"]
    report = run_schemathesis(server, admin_id, tmp_path / "report.json")
    found = {failure["code"]: failure for failure in report["failures"]}
    # For the Security and reliability page (tools/reliability.py reads the JUnit).
    summary = {
        "operations": report["operations"]["tested"],
        "test_cases": report["test_cases"]["generated"],
        "findings": {code: failure["count"] for code, failure in found.items()},
    }
    record_property("fuzz", json.dumps(summary))
    assert report["errors"] == []
    assert SERVER_ERROR not in found, found.get(SERVER_ERROR)
    unexplained = set(found) - set(EXPLAINED["kinds"])
    assert not unexplained, {code: found[code] for code in unexplained}
    assert report["operations"]["tested"] == report["operations"]["selected"] >= 40
    # Not an empty run: the time bound may end it early on a busy machine.
    tested = report["operations"]["tested"]
    assert report["test_cases"]["generated"] >= MIN_CASES_PER_OPERATION * tested
    # The hook's tokens still work after everything the run did to the admin.
    with http_client(server.base_url) as client:
        token = admin_token(server.secret, admin_id, location(server))
        me = client.get("/api/v1/auths/", headers=bearer(token))
    assert (me.status_code, me.json().get("role")) == (200, "admin"), me.text
