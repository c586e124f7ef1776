"""How tests talk to a server: cookie-less HTTP clients and the accounts they act as."""

import uuid
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

TIMEOUT = httpx.Timeout(30.0)


def http_client(base_url: str) -> httpx.Client:
    """A client that never stores cookies.

    Each request then carries exactly the credentials its test gives it: a cookie that a
    previous response set cannot turn an unauthenticated request into an accepted one.
    """
    jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.Client(base_url=base_url, timeout=TIMEOUT, cookies=jar)


def body_of(response: httpx.Response) -> object:
    """The JSON body, or the text when a server answers with something else: a
    comparison then fails with the answer in view instead of a decode error."""
    try:
        return response.json()
    except ValueError:
        return response.text


def unique_email(label: str = "user") -> str:
    """An address no other test uses, so tests never depend on each other's users."""
    return f"{label}-{uuid.uuid4().hex[:12]}@example.com"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"token={token}"}


@dataclass
class Account:
    """A user as a client knows it: its credentials and the token it holds."""

    id: str
    email: str
    password: str
    name: str
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


def signin(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return client.post(
        "/api/v1/auths/signin", json={"email": email, "password": password}
    )


def signup(
    client: httpx.Client, email: str, password: str, name: str = "Contract User"
) -> httpx.Response:
    return client.post(
        "/api/v1/auths/signup",
        json={"name": name, "email": email, "password": password},
    )


def account_from(response: httpx.Response, password: str) -> Account:
    """The account a signin, signup or add response describes; fails on an error."""
    assert response.status_code == 200, response.text
    body = response.json()
    return Account(
        id=body["id"],
        email=body["email"],
        password=password,
        name=body["name"],
        role=body["role"],
        token=body["token"],
    )


def add_user(
    client: httpx.Client, admin: Account, role: str = "user", label: str = "user"
) -> Account:
    """A new user made by the admin, as the admin panel does; it holds the token the
    add response carries, so no extra sign-in (and bcrypt check) is spent on it."""
    password = f"pw-{uuid.uuid4().hex[:12]}"
    response = client.post(
        "/api/v1/auths/add",
        headers=admin.headers,
        json={
            "name": f"{label.title()} {uuid.uuid4().hex[:6]}",
            "email": unique_email(label),
            "password": password,
            "role": role,
        },
    )
    return account_from(response, password)


def new_chat(client: httpx.Client, owner: Account, chat: dict | None = None) -> dict:
    """A chat of `owner`, as the chat page saves a new conversation."""
    response = client.post(
        "/api/v1/chats/new", headers=owner.headers, json={"chat": chat or {}}
    )
    assert response.status_code == 200, response.text
    return response.json()
