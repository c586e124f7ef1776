//! The database and what a route can ask for, as `reference_backend/internal/`.

pub mod db;
pub mod deps;
