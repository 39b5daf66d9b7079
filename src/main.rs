//! The `edge_service` binary: read configuration, start telemetry, bind, serve.
//! All logic lives in the library so tests can drive it directly.

use std::process::ExitCode;
use std::sync::Arc;

use edge_service::store::{MemoryStore, UserStore};
use edge_service::telemetry::Metrics;
use edge_service::{app::App, config::Config, http::server, telemetry};

/// Exit code for invalid configuration (the process never started serving).
const EXIT_BAD_CONFIG: u8 = 2;
/// Exit code when the service cannot start (e.g. the port is taken).
const EXIT_START_FAILED: u8 = 1;

fn main() -> ExitCode {
    let config = match Config::from_env(std::env::vars_os()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("edge-service: invalid configuration: {error}");
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };
    telemetry::init(&config.log);

    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("edge-service: cannot start the async runtime: {error}");
            return ExitCode::from(EXIT_START_FAILED);
        }
    };
    let result = runtime.block_on(async {
        let listener = server::bind(config.listen_addr()).await?;
        let store: Arc<dyn UserStore> = Arc::new(MemoryStore::new());
        let metrics = Arc::new(Metrics::new(store.kind()));
        let app = App::new(config, store, metrics);
        server::run(listener, app, std::future::pending::<()>()).await;
        Ok::<(), server::BindError>(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("edge-service: {error}");
            ExitCode::from(EXIT_START_FAILED)
        }
    }
}
