//! `reference-backend`: serve the API on `HOST:PORT` until SIGTERM or Ctrl-C.
//!
//! The twin of `python -m reference_backend`. Logs are JSON lines on stderr, one span
//! per request with its `x-request-id`; `RUST_LOG` sets the level (`info` by default).

use std::process::ExitCode;

use axum::ServiceExt;
use axum::extract::Request;
use reference_backend::env::{Environ, Settings};
use reference_backend::main::{app_state, create_app};
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match serve().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the server stopped");
            ExitCode::FAILURE
        }
    }
}

// --8<-- [start:serve]
async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::from_environ(&Environ::process())?;
    let address = (settings.host.clone(), settings.port);
    let app = create_app(app_state(settings).await?);
    let listener = TcpListener::bind(address).await?;
    tracing::info!(address = %listener.local_addr()?, "listening");
    let app = ServiceExt::<Request>::into_make_service(app);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
}
// --8<-- [end:serve]

// --8<-- [start:shutdown]
/// Resolves on SIGTERM or SIGINT: in-flight requests then finish, new ones are refused.
async fn shutdown() {
    let mut terminate = signal(SignalKind::terminate()).expect("a SIGTERM handler");
    tokio::select! {
        _ = terminate.recv() => {},
        _ = tokio::signal::ctrl_c() => {},
    }
    tracing::info!("shutting down");
}
// --8<-- [end:shutdown]
