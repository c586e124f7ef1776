//! Checks on user-supplied values, with upstream's rules and messages.

use std::sync::LazyLock;

use axum::http::StatusCode;
use regex::Regex;

use crate::constants;
use crate::env::ROLES;
use crate::errors::ApiError;

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

/// RFC 5321 allows a path of 256 characters, angle brackets included: 254 for the
/// address.
pub const MAX_EMAIL_LENGTH: usize = 254;

/// Whitespace as Python's `str.strip()` sees it: Unicode's, and the four ASCII
/// separators U+001C to U+001F, which `str::trim` keeps; the twins trim alike.
fn python_whitespace(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// An email in the form it is stored and looked up in: lower-cased, as upstream
/// stores it, and with `strict` trimmed of surrounding whitespace first.
#[must_use]
pub fn normalize_email(email: &str, strict: bool) -> String {
    let email = if strict {
        email.trim_matches(python_whitespace)
    } else {
        email
    };
    email.to_lowercase()
}

/// An email a route is about to store, normalized; with `strict`, one longer than
/// [`MAX_EMAIL_LENGTH`] characters is refused.
///
/// # Errors
/// 400 with upstream's invalid-format message.
pub fn email_to_store(email: &str, strict: bool) -> Result<String, ApiError> {
    let email = normalize_email(email, strict);
    if strict && email.chars().count() > MAX_EMAIL_LENGTH {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            constants::INVALID_EMAIL_FORMAT,
        ));
    }
    Ok(email)
}

/// With `strict`, a role other than upstream's three is refused; otherwise any role
/// passes, as upstream stores it. `None` sets no role, so it passes.
///
/// # Errors
/// 400 naming the roles allowed.
pub fn check_role(role: Option<&str>, strict: bool) -> Result<(), ApiError> {
    if strict && role.is_some_and(|role| !ROLES.contains(&role)) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            constants::INVALID_ROLE,
        ));
    }
    Ok(())
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
