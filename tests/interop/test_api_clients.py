"""A script with an API key beside the browser, in the parallel run as deployed: its
completions reach the twin through nginx and read exactly as Open WebUI's.

The deployment is the browser flow's: Open WebUI, the twin on its database, one model
provider connected to both, and nginx rendered from the shipped template.
"""

import json
from collections.abc import Iterator

import httpx
import pytest
from contract.api import bearer, http_client, signup
from proxy.deployments import PARALLEL_RUN, Deployment, deployment
from proxy.nginx import served_by

from .conftest import distinct_impls

pytestmark = pytest.mark.needs_upstream

EMAIL = "api-client-admin@example.com"
PASSWORD = "api-client-admin-1"
PROMPT = "Say which backend streams this reply to a script"
# Fields the provider stamps per request: they differ between any two streams.
PER_REQUEST = ("id", "created", "system_fingerprint")


def frames(response: httpx.Response) -> list[object]:
    """The stream's `data:` payloads, JSON with per-request fields blanked, and the
    closing `[DONE]` as a string."""
    payloads = []
    for line in response.iter_lines():
        if not line.startswith("data:"):
            continue
        data = line.removeprefix("data:").strip()
        if data == "[DONE]":
            payloads.append(data)
            continue
        frame = json.loads(data)
        payloads.append(
            {key: value for key, value in frame.items() if key not in PER_REQUEST}
        )
    return payloads


@pytest.fixture(scope="module")
def parallel_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    twin = "rust" if "rust" in distinct_impls(request.config) else "python"
    workdir = tmp_path_factory.mktemp("api-clients")
    with deployment(PARALLEL_RUN, twin, workdir) as setup:
        yield setup


@pytest.fixture(scope="module")
def api_key(parallel_run: Deployment) -> str:
    """The admin's API key: the first signup on the empty database makes the admin."""
    with http_client(parallel_run.proxy.base_url) as client:
        token = signup(client, EMAIL, PASSWORD).json()["token"]
        created = client.post("/api/v1/auths/api_key", headers=bearer(token))
    assert created.status_code == 200, created.text
    return created.json()["api_key"]


def stream_completion(base_url: str, api_key: str) -> tuple[str, list[object]]:
    """Who answered, and the frames of one streamed completion."""
    body = {
        "model": "handbook-echo",
        "messages": [{"role": "user", "content": PROMPT}],
        "stream": True,
    }
    with (
        http_client(base_url) as client,
        client.stream(
            "POST", "/api/chat/completions", json=body, headers=bearer(api_key)
        ) as response,
    ):
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        return served_by(response), frames(response)


def test_an_api_key_client_streams_from_the_twin_as_from_open_webui(
    parallel_run: Deployment, api_key: str
) -> None:
    assert parallel_run.provider.models[0] == "handbook-echo"
    answered, through_proxy = stream_completion(parallel_run.proxy.base_url, api_key)
    assert answered == "twin"
    _, from_open_webui = stream_completion(parallel_run.open_webui.base_url, api_key)
    # The provider's eight tokens, at least, then the end of the stream.
    assert len(from_open_webui) > 8
    assert from_open_webui[-1] == "[DONE]"
    assert through_proxy == from_open_webui
