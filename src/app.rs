//! The application state every request sees: configuration now, the store and the
//! metrics as they arrive. Built once in `main` (or a test) and shared behind an `Arc`.

use std::sync::Arc;

use crate::config::Config;

/// Everything a handler may need, shared by all connections.
#[derive(Debug)]
pub struct App {
    /// The settings the service started with.
    pub config: Config,
}

impl App {
    /// Builds the shared state from the configuration.
    pub fn new(config: Config) -> Arc<Self> {
        Arc::new(Self { config })
    }
}
