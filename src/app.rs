//! The application state every request sees, built once in `main` (or a test) and
//! shared behind an `Arc` by all connections.

use std::sync::Arc;

use crate::config::Config;
use crate::store::UserStore;

/// Everything a handler may need.
pub struct App {
    /// The settings the service started with.
    pub config: Config,
    /// Where users are kept (memory by default).
    pub store: Arc<dyn UserStore>,
}

impl App {
    /// Builds the shared state.
    pub fn new(config: Config, store: Arc<dyn UserStore>) -> Arc<Self> {
        Arc::new(Self { config, store })
    }
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("config", &self.config).field("store", &self.store.kind()).finish()
    }
}
