"""Set-Cookie headers read attribute by attribute, as a browser would act on them."""

from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class SetCookie:
    """One Set-Cookie header: the value, and attributes keyed by lower-cased name.

    A flag attribute (HttpOnly, Secure) maps to True; the rest map to their text.
    """

    name: str
    value: str
    attributes: dict[str, str | bool]

    @property
    def cleared(self) -> bool:
        """Whether a browser drops the cookie: empty value and Max-Age 0."""
        return self.value in ("", '""') and self.attributes.get("max-age") == "0"


def parse(header: str) -> SetCookie:
    pair, *parts = (part.strip() for part in header.split(";"))
    name, _, value = pair.partition("=")
    attributes: dict[str, str | bool] = {}
    for part in filter(None, parts):
        key, has_value, text = part.partition("=")
        attributes[key.strip().lower()] = text.strip() if has_value else True
    return SetCookie(name.strip(), value.strip(), attributes)


def set_cookies(response: httpx.Response) -> dict[str, SetCookie]:
    """The cookies a response sets, by name; a name set twice would be a bug."""
    cookies = [parse(value) for value in response.headers.get_list("set-cookie")]
    names = [cookie.name for cookie in cookies]
    assert len(names) == len(set(names)), f"a cookie is set twice: {names}"
    return {cookie.name: cookie for cookie in cookies}
