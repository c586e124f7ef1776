//! Helpers the routers share, as `reference_backend/utils/`.

pub mod auth;
pub mod durations;
pub mod misc;
pub mod rate_limit;
pub mod validate;
