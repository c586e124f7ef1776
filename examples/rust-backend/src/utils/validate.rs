//! Checks on user-supplied values, with upstream's rules and messages.

use std::sync::LazyLock;

use regex::Regex;

/// The only relative paths upstream itself assigns as profile images.
const STATIC_IMAGES: [&str; 3] = ["/user.png", "/favicon.png", "/static/favicon.png"];
static PROFILE_IMAGE_ROUTE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^/api/v1/users/[^/?#]+/profile/image$").unwrap());
static RASTER_DATA_URI: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^data:image/(gif|jpeg|png|webp);base64,").unwrap()
});
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[^@]+@[^@]+\.[^@]+").unwrap());

/// Upstream's loose check: something@something.tld, or any `@localhost` address.
#[must_use]
pub fn validate_email_format(email: &str) -> bool {
    email.ends_with("@localhost") || EMAIL.is_match(email)
}

/// Accept what upstream accepts as a profile image; anything else is an error.
///
/// Relative paths other than the known ones are refused, so an image tag cannot be
/// used to make a signed-in browser call an API route.
///
/// # Errors
/// Upstream's message, which the 422 carries.
pub fn validate_image_url(url: &str) -> Result<(), &'static str> {
    if url.is_empty()
        || STATIC_IMAGES.contains(&url)
        || PROFILE_IMAGE_ROUTE.is_match(url)
    {
        return Ok(());
    }
    if let Ok(parsed) = url::Url::parse(url) {
        if matches!(parsed.scheme(), "http" | "https") {
            return if parsed.host_str().is_some_and(|host| !host.is_empty()) {
                Ok(())
            } else {
                Err("Invalid profile image URL: HTTP(S) URLs must include a host.")
            };
        }
    }
    if RASTER_DATA_URI.is_match(url) {
        return Ok(());
    }
    Err(
        "Invalid profile image URL: must be a known internal path, an HTTP(S) URL \
         with a host, or a data:image URI (png/jpeg/gif/webp).",
    )
}
