//! The `edge_service` binary: read configuration, start telemetry, bind, serve
//! (or, with `--print-env-spec`, print the environment variables it reads).
//! All logic lives in the library so tests can drive it directly.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use edge_service::config::variables::SpecFormat;
use edge_service::headroom;
#[cfg(unix)]
use edge_service::http::shutdown;
use edge_service::store::{self, UserStore};
use edge_service::telemetry::Metrics;
use edge_service::{app::App, config::Config, http::server, telemetry};

/// Exit code for invalid configuration (the process never started serving).
const EXIT_BAD_CONFIG: u8 = 2;
/// Exit code when the service cannot start (e.g. the port is taken).
const EXIT_START_FAILED: u8 = 1;

/// Why the service stopped before or while serving.
#[derive(Debug, thiserror::Error)]
enum StartError {
    /// The listening socket could not be opened.
    #[error(transparent)]
    Bind(#[from] server::BindError),
    /// The serving task ended abnormally (natively: it panicked).
    #[error("the server task failed: {0}")]
    Server(#[from] tokio::task::JoinError),
}

/// What ends serving natively: SIGTERM or SIGINT starts the drain, a second one exits at
/// once with 128 + its number. Inside a Wasm runtime nothing here fires: edge-host shuts
/// the listening socket down instead, which `server::run` notices by itself.
async fn shutdown_requested() {
    #[cfg(unix)]
    {
        let first = shutdown::termination_signal().await;
        tracing::info!(signal = first.name, "shutting down: finishing requests in progress");
        tokio::spawn(async {
            let second = shutdown::termination_signal().await;
            eprintln!("edge-service: second {}: exiting without waiting for connections", second.name);
            std::process::exit(128 + second.number);
        });
    }
    #[cfg(not(unix))]
    std::future::pending::<()>().await;
}

/// Writes the declaration of the service's environment variables on stdout
/// (`--print-env-spec[=names|markdown]`), without reading the environment or serving.
fn print_env_spec(format: SpecFormat) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(format.render().as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("edge-service: cannot write the variables to stdout: {error}");
            ExitCode::from(EXIT_START_FAILED)
        }
    }
}

fn main() -> ExitCode {
    match SpecFormat::requested(std::env::args_os().skip(1)) {
        Ok(None) => {}
        Ok(Some(format)) => return print_env_spec(format),
        Err(error) => {
            eprintln!("edge-service: unknown argument {error}");
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    }
    let config = match Config::from_env(std::env::vars_os()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("edge-service: invalid configuration: {error}");
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };
    telemetry::init(&config.log);
    if !headroom::keep_reserve() {
        tracing::warn!(
            reserve_bytes = headroom::RESERVE_BYTES,
            "no memory reserve: the module's memory cap is too small for it, and running out of memory will abort"
        );
    }

    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("edge-service: cannot start the async runtime: {error}");
            return ExitCode::from(EXIT_START_FAILED);
        }
    };
    let result = runtime.block_on(async {
        // Bind first, so a taken port fails at once; clients that connect while the store
        // opens (at most DB_TIMEOUT_MS for a database) wait in the listen backlog.
        let listener = server::bind(config.listen_addr()).await?;
        // Everything else runs in a spawned task: inside WasmEdge a wake from another
        // task to this `block_on` future can go unnoticed (see `server::run`), and opening
        // a database store waits on its background tasks.
        let serving = tokio::spawn(async move {
            let store: Arc<dyn UserStore> = match store::open(&config.database).await {
                Ok(store) => store,
                Err(error) => {
                    // Exit from this task, for the reason given below.
                    eprintln!("edge-service: {}", store::ErrorChain(&error));
                    std::process::exit(i32::from(EXIT_START_FAILED));
                }
            };
            let metrics = Arc::new(Metrics::new(store.kind()));
            let app = App::new(config, Arc::clone(&store), metrics);
            server::run(listener, app, shutdown_requested()).await;
            store.release();
            // Drained: exit from here. The serving task ending would wake the `block_on`
            // future below, and inside WasmEdge that wake can go unnoticed until some
            // other socket or timer event (with a database, an idle pool timer minutes
            // away); nothing is left to clean up that the exit does not.
            std::process::exit(0);
        });
        serving.await?;
        Ok::<(), StartError>(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("edge-service: {error}");
            ExitCode::from(EXIT_START_FAILED)
        }
    }
}
