"""Checks on user-supplied values, with upstream's rules and messages."""

import re
from urllib.parse import urlparse

from fastapi import HTTPException

from reference_backend import constants
from reference_backend.env import ROLES

# The only relative paths upstream itself assigns as profile images.
STATIC_IMAGES = frozenset({"/user.png", "/favicon.png", "/static/favicon.png"})
PROFILE_IMAGE_ROUTE = re.compile(r"^/api/v1/users/[^/?#]+/profile/image$")
RASTER_DATA_URI = re.compile(r"^data:image/(gif|jpeg|png|webp);base64,", re.IGNORECASE)
EMAIL = re.compile(r"[^@]+@[^@]+\.[^@]+")
# RFC 5321's limit on a path, in characters: no mail reaches a longer address.
MAX_EMAIL_LENGTH = 254


def validate_email_format(email: str) -> bool:
    """Upstream's loose check: something@something.tld, or any `@localhost` address."""
    return email.endswith("@localhost") or EMAIL.match(email) is not None


def normalize_email(email: str, *, strict: bool = False) -> str:
    """The form an email is stored and looked up in: lower-cased, as upstream has it.

    `strict` (`WEBUI_AUTH_STRICT_EMAILS`) strips surrounding whitespace first, so
    " a@x.com " is the account "a@x.com", not a second one.
    """
    return (email.strip() if strict else email).lower()


def email_to_store(email: str, *, strict: bool = False) -> str:
    """`normalize_email`, for a route about to store the result: `strict` refuses one
    longer than RFC 5321 allows with a 400."""
    email = normalize_email(email, strict=strict)
    if strict and len(email) > MAX_EMAIL_LENGTH:
        raise HTTPException(400, constants.INVALID_EMAIL_FORMAT)
    return email


def check_role(role: str | None, *, strict: bool = False) -> None:
    """`strict` (`WEBUI_AUTH_STRICT_ROLES`) refuses a role upstream's guards do not
    know with a 400; None sets no role, so it passes."""
    if strict and role is not None and role not in ROLES:
        raise HTTPException(400, constants.INVALID_ROLE)


def validate_image_url(url: str) -> str:
    """Accept what upstream accepts as a profile image; anything else is an error.

    Relative paths other than the known ones are refused, so an image tag cannot be
    used to make a signed-in browser call an API route.
    """
    if not url or url in STATIC_IMAGES or PROFILE_IMAGE_ROUTE.match(url):
        return url
    parsed = urlparse(url)
    if parsed.scheme in ("http", "https"):
        if not parsed.hostname:
            raise ValueError(
                "Invalid profile image URL: HTTP(S) URLs must include a host."
            )
        return url
    if RASTER_DATA_URI.match(url):
        return url
    raise ValueError(
        "Invalid profile image URL: must be a known internal path, an HTTP(S) URL "
        "with a host, or a data:image URI (png/jpeg/gif/webp)."
    )
