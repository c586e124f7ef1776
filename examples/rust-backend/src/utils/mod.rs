//! Helpers the routers share, as `reference_backend/utils/`.

pub mod access_control;
pub mod auth;
pub mod durations;
pub mod misc;
pub mod models;
pub mod payload;
pub mod rate_limit;
pub mod streaming;
pub mod validate;
