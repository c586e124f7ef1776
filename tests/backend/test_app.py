"""The app's own answers: JSON for unknown routes and methods, and the trailing slash.

The twin of the Rust backend's `tests/backend/app.rs`, test for test where the two
behave alike. They differ on a root route without its slash: the Rust twin serves it,
FastAPI redirects to it, and the test here says so.
"""

from fastapi.testclient import TestClient


# --8<-- [start:json-errors]
def test_unknown_routes_and_methods_get_fastapis_json(client: TestClient) -> None:
    response = client.get("/api/v1/nowhere")
    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})
    response = client.delete("/health")
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}


# --8<-- [end:json-errors]


# --8<-- [start:slash]
def test_both_spellings_of_a_root_route_reach_it(client: TestClient) -> None:
    """With its slash the route answers; without, FastAPI answers 307 to it first."""
    response = client.get("/api/v1/users/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    redirect = client.get("/api/v1/users", follow_redirects=False)
    assert redirect.status_code == 307
    assert redirect.headers["location"] == "http://testserver/api/v1/users/"
    followed = client.get("/api/v1/users")
    assert (followed.status_code, followed.json()) == (401, response.json())


# --8<-- [end:slash]
