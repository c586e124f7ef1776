"""The parallel-run proxy on every run: nginx from the handbook's template in front of
two Python reference backends on one database and one secret, one of them standing in
for Open WebUI. `tests/interop/test_parallel_run.py` puts real Open WebUI behind it."""

import re
import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from contract.api import bearer, http_client, signin, signup
from contract.servers import Server, running_server
from contract.targets import Target

from .nginx import Proxy, check_config, running_proxy, served_by
from .route_map import (
    API_KEY_CLIENT,
    BROWSER,
    concrete_path,
    inventory_paths,
    read_route_map,
)

EMAIL = "proxy-admin@example.com"
PASSWORD = "proxy-admin-1"
# How long Open WebUI's copy of a model list may take to reach it.
COPY_TIMEOUT = 10.0
LOOPBACK_DIRECTIVE = re.compile(r"^\s*(listen|server)\s+([^\s{;]+)\s*;", re.MULTILINE)


@dataclass(frozen=True)
class Deployment:
    """Both backends, the proxy in front of them and a client of the proxy."""

    twin: Server
    open_webui: Server
    proxy: Proxy
    client: httpx.Client


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    secret = secrets.token_hex(32)
    data_dir = tmp_path_factory.mktemp("proxy-shared")
    with ExitStack() as stack:
        twin, open_webui = (
            stack.enter_context(
                running_server(
                    Target("python"),
                    tmp_path_factory.mktemp(f"proxy-{role}"),
                    secret,
                    data_dir=data_dir,
                )
            )
            for role in ("twin", "open-webui")
        )
        proxy = stack.enter_context(
            running_proxy(
                twin.base_url, open_webui.base_url, tmp_path_factory.mktemp("nginx")
            )
        )
        client = stack.enter_context(http_client(proxy.base_url))
        # The first signup on the empty database makes the admin.
        assert signup(client, EMAIL, PASSWORD).status_code == 200
        yield Deployment(twin, open_webui, proxy, client)


# --8<-- [start:routing]
def test_every_route_goes_to_the_backend_the_map_names(deployment: Deployment):
    """nginx routes each of upstream's paths as the template's map says."""
    upstream, _ = inventory_paths()
    route_map = read_route_map()
    misrouted = {}
    for path in sorted(upstream):
        concrete = concrete_path(path)
        answered = served_by(deployment.client.get(concrete))
        if answered != route_map.backend_for(concrete):
            misrouted[path] = answered
    assert misrouted == {}


# --8<-- [end:routing]


def test_signin_reaches_the_twin_process(deployment: Deployment):
    probe = f"probe={uuid.uuid4().hex}"
    response = deployment.client.post(
        f"/api/v1/auths/signin?{probe}", json={"email": EMAIL, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert served_by(response) == "twin"
    # The header is the proxy's decision; the access logs show which process got it.
    assert probe in deployment.twin.log_path.read_text()
    assert probe not in deployment.open_webui.log_path.read_text()


def test_tokens_cross_between_the_backends(deployment: Deployment):
    from_twin = signin(deployment.client, EMAIL, PASSWORD).json()["token"]
    with http_client(deployment.open_webui.base_url) as open_webui:
        accepted = open_webui.get("/api/v1/auths/", headers=bearer(from_twin))
        assert accepted.status_code == 200
        from_open_webui = signin(open_webui, EMAIL, PASSWORD).json()["token"]
    response = deployment.client.get("/api/v1/auths/", headers=bearer(from_open_webui))
    assert response.status_code == 200
    assert served_by(response) == "twin"
    assert response.json()["email"] == EMAIL


def test_proxy_listens_and_connects_on_loopback_only(deployment: Deployment):
    """Every address in the configuration as nginx read it is 127.0.0.1."""
    addresses = LOOPBACK_DIRECTIVE.findall(check_config(deployment.proxy.prefix))
    assert {directive for directive, _ in addresses} == {"listen", "server"}
    assert [a for _, a in addresses if not a.startswith("127.0.0.1:")] == []


def test_completions_go_where_the_credential_says(deployment: Deployment):
    """nginx splits /api/chat/completions on the Authorization header, as the route
    map reads the template."""
    route_map = read_route_map()
    for client in (BROWSER, API_KEY_CLIENT):
        response = deployment.client.post(
            "/api/chat/completions", json={}, headers=client
        )
        expected = route_map.backend_for("/api/chat/completions", client)
        assert served_by(response) == expected
    assert route_map.backends_for("/api/chat/completions") == {"twin", "open_webui"}


def test_open_webui_sees_every_model_list_the_twin_answers(deployment: Deployment):
    """The model list goes to the twin, and a copy to Open WebUI, whose own table
    of models is rebuilt only when it lists them."""
    token = signin(deployment.client, EMAIL, PASSWORD).json()["token"]
    for path in ("/api/models", "/api/v1/models"):
        probe = f"probe={uuid.uuid4().hex}"
        response = deployment.client.get(f"{path}?{probe}", headers=bearer(token))
        assert response.status_code == 200
        assert served_by(response) == "twin"
        assert probe in deployment.twin.log_path.read_text()
        assert logged_within(deployment.open_webui.log_path, probe, COPY_TIMEOUT)


def logged_within(log: Path, text: str, seconds: float) -> bool:
    """Whether `text` shows in `log` within `seconds`: the copy runs beside the
    answer, so it may land a moment after it."""
    deadline = time.monotonic() + seconds
    while text not in log.read_text(errors="replace"):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
