//! Passwords as Open WebUI stores them: bcrypt by default, argon2 when
//! `PASSWORD_HASH_ALGORITHM=argon2`, and either one verified whatever is configured.
//!
//! Mirrors `reference_backend/utils/auth.py` (section `passwords`): a hash either side
//! writes, the other verifies, with bcrypt's 72-byte limit applied in the same places.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};

/// A new hash could not be made.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// bcrypt refused the cost or the password.
    #[error(transparent)]
    Bcrypt(#[from] bcrypt::BcryptError),
    /// argon2 refused its parameters.
    #[error("argon2: {0}")]
    Argon2(argon2::password_hash::Error),
}

// --8<-- [start:passwords]
/// bcrypt reads this many bytes of a password and ignores the rest.
pub const BCRYPT_MAX_BYTES: usize = 72;

/// `PASSWORD_HASH_ALGORITHM`: the scheme of new hashes only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlgorithm {
    /// `$2b$12$…`, upstream's default.
    Bcrypt,
    /// `$argon2id$…`.
    Argon2,
}

/// The costs of new hashes; verifying reads them from the hash itself.
pub struct Costs {
    /// bcrypt's log2 rounds.
    pub bcrypt: u32,
    /// argon2's memory, passes and lanes.
    pub argon2: Params,
}

impl Default for Costs {
    /// Upstream's: bcrypt's `gensalt()` and argon2-cffi's `PasswordHasher()`.
    fn default() -> Self {
        let argon2 =
            Params::new(65_536, 3, 4, Some(32)).expect("argon2-cffi's defaults");
        Self { bcrypt: 12, argon2 }
    }
}

/// A new hash with the configured scheme.
///
/// # Errors
/// [`HashError`] when a cost is out of the scheme's range.
pub fn hash_password(
    password: &str,
    algorithm: HashAlgorithm,
    costs: &Costs,
) -> Result<String, HashError> {
    if algorithm == HashAlgorithm::Argon2 {
        let hasher =
            Argon2::new(Algorithm::Argon2id, Version::V0x13, costs.argon2.clone());
        let salt = SaltString::generate(&mut OsRng);
        let hash = hasher.hash_password(password.as_bytes(), &salt);
        return Ok(hash.map_err(HashError::Argon2)?.to_string());
    }
    Ok(bcrypt::hash(password, costs.bcrypt)?)
}

/// bcrypt reads 72 bytes; upstream refuses longer new passwords outright.
#[must_use]
pub fn password_too_long(password: &str, algorithm: HashAlgorithm) -> bool {
    algorithm == HashAlgorithm::Bcrypt && password.len() > BCRYPT_MAX_BYTES
}

/// Check against either scheme, chosen by the hash's own prefix.
#[must_use]
pub fn verify_password(password: &str, hashed: Option<&str>) -> bool {
    let Some(hashed) = hashed.filter(|hashed| !hashed.is_empty()) else {
        return false;
    };
    if hashed.starts_with("$argon2") {
        return PasswordHash::new(hashed).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
    }
    let bytes = password.as_bytes();
    bcrypt::verify(&bytes[..bytes.len().min(BCRYPT_MAX_BYTES)], hashed).unwrap_or(false)
}
// --8<-- [end:passwords]

// --8<-- [start:tests]
#[cfg(test)]
mod tests {
    use super::{
        Costs, HashAlgorithm, hash_password, password_too_long, verify_password,
    };
    use argon2::Params;
    use serde::Deserialize;
    use serde_json::json;
    use std::collections::{HashMap, HashSet};

    #[derive(Deserialize)]
    struct Vectors {
        upstream_prefixes: HashMap<String, String>,
        new_passwords: Vec<NewPassword>,
        hashes: Vec<Stored>,
        malformed: Vec<Option<String>>,
    }

    #[derive(Deserialize)]
    struct NewPassword {
        password: String,
        algorithm: String,
        too_long: bool,
    }

    #[derive(Deserialize)]
    struct Stored {
        made_by: String,
        variant: String,
        password: String,
        hash: String,
        verifies: Vec<String>,
        rejects: Vec<String>,
    }

    fn vectors() -> Vectors {
        serde_json::from_str(include_str!(
            "../../../../../snippets/vectors/passwords.json"
        ))
        .unwrap()
    }

    fn algorithm(name: &str) -> HashAlgorithm {
        match name {
            "argon2" => HashAlgorithm::Argon2,
            _ => HashAlgorithm::Bcrypt,
        }
    }

    /// The costs of the committed hashes: cheap, so the tests stay fast.
    fn cheap() -> Costs {
        Costs {
            bcrypt: 4,
            argon2: Params::new(8, 1, 1, Some(32)).unwrap(),
        }
    }

    #[test]
    fn hashes_made_by_either_side_verify_the_same_passwords() {
        let hashes = vectors().hashes;
        let makers: HashSet<_> = hashes.iter().map(|hash| &hash.made_by).collect();
        assert_eq!(makers.len(), 2, "hashes from both twins");
        for hash in hashes {
            for password in &hash.verifies {
                assert!(verify_password(password, Some(&hash.hash)), "{}", hash.hash);
            }
            for password in &hash.rejects {
                assert!(
                    !verify_password(password, Some(&hash.hash)),
                    "{}",
                    hash.hash
                );
            }
        }
    }

    #[test]
    fn only_bcrypt_refuses_new_passwords_over_72_bytes() {
        for new in vectors().new_passwords {
            let too_long = password_too_long(&new.password, algorithm(&new.algorithm));
            assert_eq!(too_long, new.too_long, "{} bytes", new.password.len());
        }
    }

    #[test]
    fn missing_or_malformed_hashes_never_verify() {
        for hashed in vectors().malformed {
            assert!(
                !verify_password("anything", hashed.as_deref()),
                "{hashed:?}"
            );
        }
    }

    #[test]
    fn new_hashes_use_the_configured_scheme() {
        let argon2 = hash_password("s3cret", HashAlgorithm::Argon2, &cheap()).unwrap();
        let bcrypt = hash_password("s3cret", HashAlgorithm::Bcrypt, &cheap()).unwrap();
        assert!(
            argon2.starts_with("$argon2id$v=19$m=8,t=1,p=1$"),
            "{argon2}"
        );
        assert!(bcrypt.starts_with("$2b$04$"), "{bcrypt}");
        for hashed in [argon2, bcrypt] {
            assert!(verify_password("s3cret", Some(&hashed)));
        }
    }

    #[test]
    fn by_default_new_hashes_cost_what_upstreams_do() {
        for (scheme, prefix) in vectors().upstream_prefixes {
            let hashed = hash_password("s3cret", algorithm(&scheme), &Costs::default());
            assert!(hashed.unwrap().starts_with(&prefix), "{scheme}");
        }
    }

    /// Writes the Rust-made hashes to `$RUST_VECTORS_OUT`; `tools/make_vectors.py` runs
    /// it and merges them into `snippets/vectors/passwords.json`.
    #[test]
    #[ignore = "run by tools/make_vectors.py"]
    fn mint_vectors() {
        let vectors = vectors();
        let hashes: Vec<_> = vectors
            .hashes
            .iter()
            .filter(|hash| hash.made_by == "python")
            .filter(|hash| hash.variant == "2b" || hash.variant == "argon2id")
            .map(|python| {
                let scheme = if python.variant == "2b" {
                    "bcrypt"
                } else {
                    "argon2"
                };
                let hashed =
                    hash_password(&python.password, algorithm(scheme), &cheap());
                json!({
                    "made_by": "rust",
                    "variant": python.variant,
                    "password": python.password,
                    "hash": hashed.unwrap(),
                    "verifies": python.verifies,
                    "rejects": python.rejects,
                })
            })
            .collect();
        let out = std::env::var("RUST_VECTORS_OUT").unwrap();
        std::fs::write(out, json!({"hashes": hashes}).to_string()).unwrap();
    }
}
// --8<-- [end:tests]
