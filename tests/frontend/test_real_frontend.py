"""Open WebUI 0.12.4's own frontend in Debian's Chromium, through nginx rendered from
the handbook's parallel-run template.

The same flow runs twice: with Open WebUI alone behind the proxy (the baseline), then
with the twin beside it on one database (the parallel run). The parallel run must do
everything the baseline does, with no console error and no failed response that the
baseline did not also have, and the twin must really answer its routes.

The twin is the Rust backend when the run has it as a --target, else the Python one.
Every step's result and every request of both runs go to artifacts/frontend-flow.json,
and the parallel run's key steps to artifacts/screenshots/parallel-run/.
"""

import json
import re
import shutil
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest
from contract.servers import ROOT
from contract.targets import requested_targets
from playwright.sync_api import Browser
from proxy.deployments import (
    BASELINE,
    MODES,
    PARALLEL_RUN,
    Deployment,
    deployment,
)
from support.provider import Provider

from .flow import PROMPT, VIEWPORT, Flow, FlowResult, normalised

pytestmark = pytest.mark.needs_upstream

ARTIFACTS = ROOT / "artifacts"
REPORT = ARTIFACTS / "frontend-flow.json"
SCREENSHOTS = ARTIFACTS / "screenshots" / "parallel-run"
FAILURES = ARTIFACTS / "frontend-failures"
# Requests of the flow on routes the template gives the twin: in the parallel run the
# twin answers them all, and Open WebUI none.
TWIN_ROUTES = (
    ("POST", "/api/v1/auths/signup"),
    ("POST", "/api/v1/auths/signin"),
    ("POST", "/api/v1/auths/signout"),
    ("GET", "/api/v1/auths/"),
    ("POST", "/api/v1/users/user/settings/update"),
    ("GET", "/api/v1/chats/"),
    ("GET", "/api/v1/chats/{id}"),
    ("POST", "/api/v1/chats/{id}"),
    ("DELETE", "/api/v1/chats/{id}"),
    ("POST", "/api/v1/models/create"),
)
# Answered by the twin, with a copy sent to Open WebUI (the template's model-list
# location): Open WebUI sees these in both runs.
MIRRORED_ROUTES = (("GET", "/api/models"),)
# An access-log line of Open WebUI's uvicorn: `"POST /api/v1/auths/signin HTTP/1.1"`.
ACCESS_LOG = re.compile(r'"([A-Z]+) (/\S*) HTTP/[0-9.]+"')


@dataclass(frozen=True)
class Run:
    """One mode's flow and what Open WebUI's process logged meanwhile."""

    deployment: Deployment
    result: FlowResult
    # (method, normalised path) of every request Open WebUI's process answered.
    open_webui_saw: set[tuple[str, str]]


def twin_impl(config: pytest.Config) -> str:
    impls = {target.impl for target in requested_targets(config)}
    return "rust" if "rust" in impls else "python"


def expected_reply(provider: Provider, model: str) -> str:
    """The provider's own text for the prompt, asked without streaming."""
    response = httpx.post(
        f"{provider.base_url}/chat/completions",
        json={
            "model": model,
            "messages": [{"role": "user", "content": PROMPT}],
            "stream": False,
        },
        headers=provider.headers(),
        timeout=30.0,
    )
    response.raise_for_status()
    text = response.json()["choices"][0]["message"]["content"]
    return " ".join(text.split())


def requests_seen(log: str) -> set[tuple[str, str]]:
    return {
        (method, normalised(urlsplit(target).path))
        for method, target in ACCESS_LOG.findall(log)
    }


def run_flow(browser: Browser, setup: Deployment) -> Run:
    model = setup.provider.models[0]
    screenshots = SCREENSHOTS if setup.mode == PARALLEL_RUN else None
    context = browser.new_context(viewport=VIEWPORT)
    try:
        flow = Flow(
            context.new_page(),
            setup.mode,
            setup.proxy.base_url,
            model,
            expected_reply(setup.provider, model),
            screenshots,
            FAILURES,
        )
        result = flow.run()
    finally:
        context.close()
    log = setup.open_webui.log_path.read_text(errors="replace")
    return Run(setup, result, requests_seen(log))


def report(runs: dict[str, Run], twin: str) -> dict:
    baseline = runs[BASELINE].result.failed_responses()
    parallel = runs[PARALLEL_RUN].result.failed_responses()
    return {
        "twin": twin,
        "served_by": (
            "the proxy's X-Served-By group; in the baseline both groups point at "
            "Open WebUI, so both names mean Open WebUI there"
        ),
        "prompt": PROMPT,
        "new_failed_responses": sorted(parallel - baseline, key=str),
        "modes": {
            mode: {
                **run.result.as_json(),
                "twin_routes_seen_by_open_webui": sorted(
                    set(TWIN_ROUTES) & run.open_webui_saw
                ),
            }
            for mode, run in runs.items()
        },
    }


@pytest.fixture(scope="module")
def runs(
    browser: Browser,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Run]:
    twin = twin_impl(request.config)
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    shutil.rmtree(FAILURES, ignore_errors=True)
    runs = {}
    for mode in MODES:
        workdir = tmp_path_factory.mktemp(f"frontend-{mode}")
        with deployment(mode, twin, workdir) as setup:
            runs[mode] = run_flow(browser, setup)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report(runs, twin), indent=1) + "\n")
    return runs


@pytest.mark.parametrize("mode", MODES)
def test_every_step_happens(runs: dict[str, Run], mode: str):
    failed = [
        f"{step.name}: {step.error}"
        for step in runs[mode].result.steps
        if not step.passed
    ]
    assert failed == [], "\n".join(failed)


@pytest.mark.parametrize("mode", MODES)
def test_no_console_page_or_request_errors(runs: dict[str, Run], mode: str):
    assert runs[mode].result.errors == []
    assert runs[mode].result.foreign == []


def test_the_parallel_run_fails_no_request_the_baseline_did_not(
    runs: dict[str, Run],
):
    baseline = runs[BASELINE].result.failed_responses()
    parallel = runs[PARALLEL_RUN].result.failed_responses()
    assert sorted(parallel - baseline, key=str) == []


def test_the_twin_answers_its_routes_in_the_parallel_run_only(runs: dict[str, Run]):
    """Otherwise the comparison compares nothing: in the baseline Open WebUI answers
    every request, whatever group the proxy names; in the parallel run the twin
    answers the flow's requests on its routes, and Open WebUI never sees them."""
    baseline, parallel = runs[BASELINE], runs[PARALLEL_RUN]
    assert baseline.deployment.twin is None
    assert set(TWIN_ROUTES + MIRRORED_ROUTES) <= baseline.open_webui_saw
    assert parallel.deployment.twin is not None
    answered = TWIN_ROUTES + MIRRORED_ROUTES
    served = {route: parallel.result.served(*route) for route in answered}
    assert served == {route: {"twin"} for route in answered}
    assert set(TWIN_ROUTES) & parallel.open_webui_saw == set()
    assert set(MIRRORED_ROUTES) <= parallel.open_webui_saw
