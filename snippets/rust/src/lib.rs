//! The Rust side of the handbook's side-by-side patterns.
//!
//! Each module mirrors the Python module of the same name under `snippets/python/`,
//! with the same section markers, and both are tested against `snippets/vectors/`.

pub mod durations;
pub mod errors;
pub mod jwt_tokens;
pub mod passwords;
