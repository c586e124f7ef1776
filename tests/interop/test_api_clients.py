"""A script with an API key beside the browser, in the parallel run as deployed: its
completions reach the twin through nginx and read exactly as Open WebUI's.

The deployment is the browser flow's: Open WebUI, the twin on its database, one model
provider connected to both, and nginx rendered from the shipped template.
"""

import dataclasses
from collections.abc import Iterator

import pytest
from contract.api import Account, account_from, http_client, signup
from contract.completions import PROVIDER_MODEL, TOKENS, Streamed, ask, stream
from proxy.deployments import PARALLEL_RUN, Deployment, deployment
from proxy.nginx import SERVED_BY

from .conftest import distinct_impls

pytestmark = pytest.mark.needs_upstream

EMAIL = "api-client-admin@example.com"
PASSWORD = "api-client-admin-1"
PROMPT = "Say which backend streams this reply to a script"


@pytest.fixture(scope="module")
def parallel_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    twin = "rust" if "rust" in distinct_impls(request.config) else "python"
    workdir = tmp_path_factory.mktemp("api-clients")
    with deployment(PARALLEL_RUN, twin, workdir) as setup:
        yield setup


@pytest.fixture(scope="module")
def script(parallel_run: Deployment) -> Account:
    """The admin, holding an API key instead of a session token: the first signup
    on the empty database makes the admin."""
    with http_client(parallel_run.proxy.base_url) as client:
        admin = account_from(signup(client, EMAIL, PASSWORD), PASSWORD)
        created = client.post("/api/v1/auths/api_key", headers=admin.headers)
    assert created.status_code == 200, created.text
    return dataclasses.replace(admin, token=created.json()["api_key"])


def stream_completion(base_url: str, script: Account) -> Streamed:
    body = {"model": PROVIDER_MODEL, "messages": ask(PROMPT), "stream": True}
    with http_client(base_url) as client:
        streamed = stream(client, "/api/chat/completions", script, body)
    assert streamed.status == 200, streamed.lines
    assert streamed.headers["content-type"].startswith("text/event-stream")
    return streamed


def test_an_api_key_client_streams_from_the_twin_as_from_open_webui(
    parallel_run: Deployment, script: Account
) -> None:
    assert parallel_run.provider.models[0] == PROVIDER_MODEL
    through_proxy = stream_completion(parallel_run.proxy.base_url, script)
    assert through_proxy.headers[SERVED_BY] == "twin"
    from_open_webui = stream_completion(parallel_run.open_webui.base_url, script)
    # The provider's tokens, at least, then the end of the stream.
    assert len(from_open_webui.frames) > TOKENS
    assert from_open_webui.frames[-1] == "[DONE]"
    assert through_proxy.frames == from_open_webui.frames
