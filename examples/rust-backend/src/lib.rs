//! The Rust/axum twin of the handbook's Python reference backend.
//!
//! Each module has the name and place of its Python twin under
//! `examples/python-backend/reference_backend/`, with the same section markers, so
//! the two can be read side by side. `errors` and `extract` have no Python file:
//! they are what `FastAPI` does for its users and axum leaves to the application.

// `main.rs` is a library module here, as `main.py` is: the binary is `__main__.rs`.
#![allow(special_module_name)]

pub mod constants;
pub mod env;
pub mod errors;
pub mod extract;
pub mod internal;
pub mod main;
pub mod models;
pub mod routers;
pub mod utils;
