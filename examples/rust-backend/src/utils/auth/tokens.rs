//! Session tokens as Open WebUI signs them: HS256 JWTs carrying upstream's claims, and
//! the checks a token must pass besides its signature.
//!
//! Mirrors `reference_backend/utils/auth.py` (sections `tokens` and `is-valid`): a token
//! either side mints is accepted by the other, and both refuse the same tokens.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::utils::durations::TimeDelta;

/// `create_token` could not mint a token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Python's `datetime` stops at year 9999, so upstream fails on such an expiry too.
    #[error("the token's expiry falls outside the years 1 to 9999")]
    ExpiryOutOfRange,
    /// Serialising or signing failed.
    #[error(transparent)]
    Jwt(#[from] jsonwebtoken::errors::Error),
}

// --8<-- [start:tokens]
/// Upstream signs with HS256 and accepts nothing else.
pub const ALGORITHM: Algorithm = Algorithm::HS256;

/// What sign-in puts in a session token, in upstream's order.
///
/// A claim a token lacks reads as the default upstream's `claims.get(...)` gives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    /// The user's id.
    pub id: String,
    /// `session` for a sign-in; automations and subagents carry tokens of their own.
    #[serde(default = "session_type")]
    pub typ: String,
    /// How the user proved who they are (`password` in this slice).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub auth_method: String,
    /// When they did, in seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The `auth` row's stamp when the token was issued; rotating it revokes the token.
    #[serde(default)]
    pub session_stamp: Option<String>,
    /// Whether a second factor was checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_verified: Option<bool>,
}

fn session_type() -> String {
    "session".to_owned()
}

/// A token's claims: the session's, then the three `create_token` adds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The claims sign-in chose.
    #[serde(flatten)]
    pub session: SessionClaims,
    /// Absent when `JWT_EXPIRES_IN` is `-1`, `0` or a zero span: the token never expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// A random id, so one token can be signed out on its own.
    #[serde(default)]
    pub jti: Option<String>,
    /// When the token was issued, in seconds since the epoch.
    #[serde(default)]
    pub iat: Option<i64>,
}

/// The lifetime a token is minted with: `None`, no `exp`, also for a zero span, as
/// Python's `if expires_delta:` treats `timedelta(0)`.
#[must_use]
pub fn effective_lifetime(expires_in: Option<TimeDelta>) -> Option<TimeDelta> {
    expires_in.filter(|span| span.micros() != 0)
}

/// An HS256 JWT with upstream's claims; no `exp` when there is no expiry.
///
/// # Errors
/// [`TokenError::ExpiryOutOfRange`] past year 9999, where upstream's `datetime` fails.
pub fn create_token(
    claims: SessionClaims,
    secret: &str,
    expires_in: Option<TimeDelta>,
) -> Result<String, TokenError> {
    let now = now_micros();
    let exp = effective_lifetime(expires_in)
        .map(|span| whole_seconds(now + span.micros()))
        .transpose()?;
    let payload = Claims {
        session: claims,
        exp,
        jti: Some(Uuid::new_v4().to_string()),
        iat: Some(whole_seconds(now)?),
    };
    let key = EncodingKey::from_secret(secret.as_bytes());
    Ok(jsonwebtoken::encode(
        &Header::new(ALGORITHM),
        &payload,
        &key,
    )?)
}

/// The claims of a token signed with `secret` and not expired, else `None`.
///
/// `PyJWT`'s checks, not jsonwebtoken's defaults: `exp` has no leeway and is optional
/// unless `require_expiry`, and a token issued in the future is refused.
#[must_use]
pub fn decode_token(token: &str, secret: &str, require_expiry: bool) -> Option<Claims> {
    let key = DecodingKey::from_secret(secret.as_bytes());
    let validation = pyjwt_validation(require_expiry);
    let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
        .ok()?
        .claims;
    let issued_in_future = claims.iat.is_some_and(|iat| iat > now_seconds());
    // An id with a NUL is no account's on any database, and PostgreSQL would refuse
    // the lookup with a 400: the token is invalid, as the Python twin's `ClaimTypes`.
    let no_account = claims.session.id.contains('\0');
    (!issued_in_future && !no_account).then_some(claims)
}

fn pyjwt_validation(require_expiry: bool) -> Validation {
    let mut validation = Validation::new(ALGORITHM);
    let required: &[&str] = if require_expiry { &["exp"] } else { &[] };
    validation.set_required_spec_claims(required);
    validation.leeway = 0;
    // PyJWT treats `exp == now` as expired; jsonwebtoken would still accept it.
    validation.reject_tokens_expiring_in_less_than = 1;
    validation.validate_nbf = true;
    validation
}

/// The claims of a new session for the account whose `auth` row this is.
#[must_use]
pub fn session_claims(auth: &StoredAuth) -> SessionClaims {
    SessionClaims {
        id: auth.id.clone(),
        typ: session_type(),
        auth_method: "password".to_owned(),
        auth_time: Some(now_seconds()),
        session_stamp: auth.session_stamp.clone(),
        mfa_verified: Some(false),
    }
}
// --8<-- [end:tokens]

const MICROS_PER_SECOND: i128 = 1_000_000;
/// `datetime.min` and `datetime.max` in microseconds since the epoch.
const DATETIME_RANGE: std::ops::RangeInclusive<i128> =
    -62_135_596_800_000_000..=253_402_300_799_999_999;

fn now_seconds() -> i64 {
    whole_seconds(now_micros()).expect("the clock is within datetime's range")
}

fn now_micros() -> i128 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is past 1970");
    i128::try_from(since_epoch.as_micros())
        .expect("microseconds since 1970 fit in i128")
}

/// Seconds since the epoch, rounded down as `PyJWT`'s `timegm(utctimetuple())` does.
fn whole_seconds(micros: i128) -> Result<i64, TokenError> {
    if !DATETIME_RANGE.contains(&micros) {
        return Err(TokenError::ExpiryOutOfRange);
    }
    i64::try_from(micros.div_euclid(MICROS_PER_SECOND))
        .map_err(|_| TokenError::ExpiryOutOfRange)
}

// --8<-- [start:is-valid]
/// The token types upstream accepts on its routes.
pub const TOKEN_TYPES: [&str; 3] = ["session", "automation", "subagent"];

/// The columns of the user's `auth` row that decide whether a token still stands.
#[derive(Clone, Debug, Deserialize)]
pub struct StoredAuth {
    /// The user's id (`auth.id` equals `user.id`).
    pub id: String,
    /// A deactivated account's tokens are refused outright.
    pub active: bool,
    /// Rotated on a password change or a sign-out everywhere.
    pub session_stamp: Option<String>,
}

/// Where sign-outs are recorded: Redis, upstream, when one is configured.
pub trait Revocations {
    /// Whether the token with this `jti` was signed out.
    fn token_revoked(&self, jti: &str) -> bool;
    /// When every token of the user issued until then was revoked, if ever.
    fn user_revoked_at(&self, user_id: &str) -> Option<i64>;
}

/// No `auth` row, or a deactivated one: upstream answers 401 instead of "invalid".
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("the account is missing or deactivated")]
pub struct InactiveAccount;

/// A signature is not enough: the stamp must match, and the revocations must not object.
///
/// # Errors
/// [`InactiveAccount`] when `auth` is missing or not active.
pub fn is_valid_token(
    claims: &Claims,
    auth: Option<&StoredAuth>,
    revocations: Option<&dyn Revocations>,
) -> Result<bool, InactiveAccount> {
    let auth = auth.filter(|auth| auth.active).ok_or(InactiveAccount)?;
    if claims.session.session_stamp != auth.session_stamp {
        return Ok(false);
    }
    if !TOKEN_TYPES.contains(&claims.session.typ.as_str()) {
        return Ok(false);
    }
    let Some(revocations) = revocations else {
        return Ok(true);
    };
    let jti = claims.jti.as_deref().unwrap_or_default();
    if !jti.is_empty() && revocations.token_revoked(jti) {
        return Ok(false);
    }
    let Some(revoked_at) = revocations.user_revoked_at(&claims.session.id) else {
        return Ok(true);
    };
    Ok(claims.iat.is_some_and(|issued_at| issued_at > revoked_at))
}
// --8<-- [end:is-valid]

// --8<-- [start:tests]
#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::{
        Claims, InactiveAccount, Revocations, StoredAuth, create_token, decode_token,
        is_valid_token, session_claims,
    };
    use crate::utils::durations::parse_duration;
    use serde::Deserialize;
    use serde_json::{Value, json};

    #[derive(Deserialize)]
    struct Vectors {
        secret: String,
        other_secret: String,
        accepted: Vec<Accepted>,
        rejected: Vec<Rejected>,
        validity: Vec<Validity>,
    }

    #[derive(Deserialize)]
    struct Accepted {
        minted_by: String,
        token: String,
        claims: Value,
    }

    #[derive(Deserialize)]
    struct Rejected {
        name: String,
        token: String,
    }

    #[derive(Deserialize)]
    struct Validity {
        name: String,
        claims: Claims,
        auth: Option<StoredAuth>,
        revocations: Option<Revoked>,
        expected: String,
    }

    /// What Redis holds in a validity case.
    #[derive(Deserialize)]
    struct Revoked {
        tokens: HashSet<String>,
        user_revoked_at: Option<i64>,
    }

    impl Revocations for Revoked {
        fn token_revoked(&self, jti: &str) -> bool {
            self.tokens.contains(jti)
        }

        fn user_revoked_at(&self, _user_id: &str) -> Option<i64> {
            self.user_revoked_at
        }
    }

    /// 2100-01-01T00:00:00Z: the committed tokens that expire stay valid until then.
    const YEAR_2100: i64 = 4_102_444_800;

    fn vectors() -> Vectors {
        serde_json::from_str(include_str!(
            "../../../../../snippets/vectors/jwt_tokens.json"
        ))
        .unwrap()
    }

    #[test]
    fn tokens_minted_by_either_side_decode_to_their_claims() {
        let vectors = vectors();
        let minters: HashSet<_> =
            vectors.accepted.iter().map(|a| &a.minted_by).collect();
        assert_eq!(minters.len(), 2, "tokens from both twins");
        for accepted in &vectors.accepted {
            let claims = decode_token(&accepted.token, &vectors.secret, false).unwrap();
            assert_eq!(serde_json::to_value(claims).unwrap(), accepted.claims);
        }
    }

    #[test]
    fn a_signed_token_whose_claims_have_the_wrong_type_is_refused() {
        let key = jsonwebtoken::EncodingKey::from_secret(b"secret");
        for id in [
            json!({"id": "u"}),
            json!(["u"]),
            json!(1),
            json!(null),
            json!("u\u{0}1"),
        ] {
            let claims = json!({"id": id, "typ": "session"});
            let header = jsonwebtoken::Header::new(super::ALGORITHM);
            let token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
            assert_eq!(decode_token(&token, "secret", false), None, "{id}");
        }
    }

    #[test]
    fn expired_forged_and_other_algorithm_tokens_are_refused() {
        let vectors = vectors();
        for rejected in vectors.rejected {
            let claims = decode_token(&rejected.token, &vectors.secret, false);
            assert_eq!(claims, None, "{}", rejected.name);
        }
    }

    #[test]
    fn the_stamp_the_type_and_revocations_decide_validity() {
        for case in vectors().validity {
            let revocations = case.revocations.as_ref().map(|r| r as &dyn Revocations);
            let outcome =
                match is_valid_token(&case.claims, case.auth.as_ref(), revocations) {
                    Ok(true) => "valid",
                    Ok(false) => "invalid",
                    Err(InactiveAccount) => "unauthenticated",
                };
            assert_eq!(outcome, case.expected, "{}", case.name);
        }
    }

    /// A session token of `user-1` that lives `span`.
    fn mint(span: &str, secret: &str) -> String {
        let auth = StoredAuth {
            id: "user-1".into(),
            active: true,
            session_stamp: None,
        };
        let expires_in = parse_duration(span).unwrap();
        create_token(session_claims(&auth), secret, expires_in).unwrap()
    }

    #[test]
    fn a_zero_span_means_no_expiry_and_a_negative_one_an_expired_token() {
        let secret = vectors().secret;
        assert_eq!(
            decode_token(&mint("0s", &secret), &secret, false)
                .unwrap()
                .exp,
            None
        );
        assert_eq!(decode_token(&mint("-1h", &secret), &secret, false), None);
        let month = decode_token(&mint("4w", &secret), &secret, false).unwrap();
        assert_eq!(month.exp.unwrap() - month.iat.unwrap(), 28 * 24 * 3600);
    }

    #[test]
    fn a_token_without_exp_is_refused_only_when_expiry_is_required() {
        let secret = vectors().secret;
        for never in ["-1", "0", "0s"] {
            let token = mint(never, &secret);
            assert!(decode_token(&token, &secret, false).is_some(), "{never}");
            assert_eq!(decode_token(&token, &secret, true), None, "{never}");
        }
        assert!(decode_token(&mint("4w", &secret), &secret, true).is_some());
    }

    #[test]
    fn a_null_exp_is_no_expiry_to_a_server_that_requires_one() {
        let key = jsonwebtoken::EncodingKey::from_secret(b"secret");
        let header = jsonwebtoken::Header::new(super::ALGORITHM);
        let claims = json!({"id": "u", "exp": null});
        let token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
        assert_eq!(decode_token(&token, "secret", true), None);
    }

    #[test]
    fn an_expiry_past_year_9999_fails_as_upstream_does() {
        let auth = StoredAuth {
            id: "user-1".into(),
            active: true,
            session_stamp: None,
        };
        let span = parse_duration("999999999d").unwrap();
        assert!(create_token(session_claims(&auth), "secret", span).is_err());
    }

    /// Writes the Rust-minted tokens to `$RUST_VECTORS_OUT`; `tools/make_vectors.py`
    /// runs it and merges them into `snippets/vectors/jwt_tokens.json`.
    #[test]
    #[ignore = "run by tools/make_vectors.py"]
    fn mint_vectors() {
        let vectors = vectors();
        let auth = StoredAuth {
            id: "rust-user".into(),
            active: true,
            session_stamp: Some("rust-stamp".into()),
        };
        let mint = |span: &str, secret: &str| {
            let expires_in = parse_duration(span).unwrap();
            create_token(session_claims(&auth), secret, expires_in).unwrap()
        };
        let until_2100 = format!("{}s", YEAR_2100 - super::now_seconds());
        let accepted: Vec<_> = [
            mint("-1", &vectors.secret),
            mint(&until_2100, &vectors.secret),
        ]
        .into_iter()
        .map(|token| {
            let claims = decode_token(&token, &vectors.secret, false).unwrap();
            json!({"minted_by": "rust", "token": token, "claims": claims})
        })
        .collect();
        let rejected = json!([
            {"name": "rust: expired", "token": mint("-1h", &vectors.secret)},
            {"name": "rust: another secret", "token": mint("-1", &vectors.other_secret)},
        ]);
        let out = std::env::var("RUST_VECTORS_OUT").unwrap();
        let minted = json!({"accepted": accepted, "rejected": rejected});
        std::fs::write(out, minted.to_string()).unwrap();
    }
}
// --8<-- [end:tests]
