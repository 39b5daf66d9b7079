//! The application state every request sees, built once in `main` (or a test) and
//! shared behind an `Arc` by all connections.

use std::sync::Arc;

use crate::config::Config;
use crate::http::body::BodyBudget;
use crate::http::cors::CorsPolicy;
use crate::store::UserStore;
use crate::telemetry::{MeteredStore, Metrics, StoreFiguresCollector};

/// Everything a handler may need.
pub struct App {
    /// The settings the service started with (limits, timeouts, logging).
    pub config: Config,
    /// Where users are kept (memory by default), wrapped so its failures are counted.
    pub store: Arc<dyn UserStore>,
    /// The registry `/metrics` serves; backends may register their own figures in it.
    pub metrics: Arc<Metrics>,
    /// Which browser origins get CORS headers, prepared once from `CORS_ALLOW_ORIGIN`.
    pub cors: CorsPolicy,
    /// Memory all request bodies being read may share (`MAX_BUFFERED_BODY_BYTES`).
    pub body_budget: BodyBudget,
}

impl App {
    /// Builds the shared state around `store`, recording into `metrics` (create it first
    /// with [`Metrics::new`] so a store can register its own figures while it is built).
    /// The store's pool and cache figures ([`UserStore::figures`]) join the metrics here.
    pub fn new(config: Config, store: Arc<dyn UserStore>, metrics: Arc<Metrics>) -> Arc<Self> {
        let cors = CorsPolicy::new(&config.http.cors);
        let body_budget = BodyBudget::new(config.http.max_buffered_body_bytes);
        metrics.register_collector(Box::new(StoreFiguresCollector::new(Arc::clone(&store))));
        let store: Arc<dyn UserStore> = Arc::new(MeteredStore::new(store, Arc::clone(&metrics)));
        Arc::new(Self { config, store, metrics, cors, body_budget })
    }
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("config", &self.config).field("store", &self.store.kind()).finish()
    }
}
