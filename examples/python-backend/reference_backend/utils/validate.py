"""Checks on user-supplied values, with upstream's rules and messages."""

import re
from urllib.parse import urlparse

# The only relative paths upstream itself assigns as profile images.
STATIC_IMAGES = frozenset({"/user.png", "/favicon.png", "/static/favicon.png"})
PROFILE_IMAGE_ROUTE = re.compile(r"^/api/v1/users/[^/?#]+/profile/image$")
RASTER_DATA_URI = re.compile(r"^data:image/(gif|jpeg|png|webp);base64,", re.IGNORECASE)
EMAIL = re.compile(r"[^@]+@[^@]+\.[^@]+")


def validate_email_format(email: str) -> bool:
    """Upstream's loose check: something@something.tld, or any `@localhost` address."""
    return email.endswith("@localhost") or EMAIL.match(email) is not None


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
