"""Sharing set up on Open WebUI holds on a twin: groups and a model's grants are made
through Open WebUI's own routes, and the twin on the same database honours them."""

import uuid

import httpx
import pytest
from contract.api import Account, add_user

from .conftest import distinct_impls
from .deployments import Deployments

pytestmark = pytest.mark.needs_upstream


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "twin" in metafunc.fixturenames:
        twins = [impl for impl in distinct_impls(metafunc.config) if impl != "upstream"]
        metafunc.parametrize("twin", twins)


def new_group(client: httpx.Client, admin: Account, parent: str | None = None) -> str:
    form = {"name": f"Team {uuid.uuid4().hex[:6]}", "description": ""}
    if parent is not None:
        form["parent_group_id"] = parent
    response = client.post("/api/v1/groups/create", headers=admin.headers, json=form)
    assert response.status_code == 200, response.text
    return response.json()["id"]


def test_a_grant_to_a_parent_group_made_on_open_webui_reaches_a_member_on_the_twin(
    deployments: Deployments, twin: str
) -> None:
    """The model is shared with a group whose child group holds the member: Open
    WebUI counts the member in the parent, and so does the twin; a user in no group
    sees nothing of it."""
    sides = deployments.sides(("upstream", twin))
    upstream, reader = sides["upstream"], sides[twin]
    member = add_user(upstream.client, upstream.admin, label="member")
    outsider = add_user(upstream.client, upstream.admin, label="outsider")
    parent = new_group(upstream.client, upstream.admin)
    child = new_group(upstream.client, upstream.admin, parent=parent)
    joined = upstream.client.post(
        f"/api/v1/groups/id/{child}/users/add",
        headers=upstream.admin.headers,
        json={"user_ids": [member.id]},
    )
    assert joined.status_code == 200, joined.text
    model_id = f"team/shared-{uuid.uuid4().hex[:6]}"
    grant = {"principal_type": "group", "principal_id": parent, "permission": "read"}
    created = upstream.client.post(
        "/api/v1/models/create",
        headers=upstream.admin.headers,
        json={
            "id": model_id,
            "base_model_id": "gpt-x",
            "name": "Shared with a team",
            "meta": {},
            "params": {"system": "Be brief."},
            "access_grants": [grant],
        },
    )
    assert created.status_code == 200, created.text

    def listed(caller: Account) -> list[str]:
        response = reader.client.get("/api/v1/models/list", headers=caller.headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert model_id in listed(member)
    assert model_id not in listed(outsider)
    one = reader.client.get(
        "/api/v1/models/model", params={"id": model_id}, headers=member.headers
    )
    assert one.status_code == 200, one.text
    assert one.json()["write_access"] is False
    assert one.json()["access_grants"] == created.json()["access_grants"]
    hidden = reader.client.get(
        "/api/v1/models/model", params={"id": model_id}, headers=outsider.headers
    )
    assert hidden.status_code == 401
