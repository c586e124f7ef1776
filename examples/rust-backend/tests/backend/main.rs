//! The backend through its router, on a fresh SQLite file per test: the twin of the
//! Python unit tests in `tests/backend/`.

mod access;
mod app;
mod common;
mod completions;
mod config;
mod db;
mod emails;
mod guards;
mod revoked_tokens;
mod roles;
mod throttle;
mod tokens;
