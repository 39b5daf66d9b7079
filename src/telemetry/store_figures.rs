//! The store's own figures on `/metrics`: connection pool and read-through cache, read
//! from [`UserStore::figures`] at each scrape (nothing is recorded per request). A
//! store that reports no pool or cache adds no series.

use std::fmt;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

use crate::store::UserStore;

/// Encodes `store.figures()` as `edge_service_store_*` and `edge_service_cache_*`.
pub struct StoreFiguresCollector {
    /// The store to ask at each scrape.
    store: Arc<dyn UserStore>,
}

impl StoreFiguresCollector {
    /// A collector for `store`.
    pub fn new(store: Arc<dyn UserStore>) -> Self {
        Self { store }
    }
}

impl fmt::Debug for StoreFiguresCollector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreFiguresCollector").field("store", &self.store.kind()).finish()
    }
}

/// One labelled sample of a gauge or counter family.
pub(super) fn samples<M: EncodeMetric>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    metric_type: MetricType,
    label: &str,
    values: &[(&str, M)],
) -> Result<(), fmt::Error> {
    let mut family = encoder.encode_descriptor(name, help, None, metric_type)?;
    for (value, metric) in values {
        metric.encode(family.encode_family(&[(label, *value)])?)?;
    }
    Ok(())
}

/// One unlabelled gauge or counter.
pub(super) fn single<M: EncodeMetric>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    metric_type: MetricType,
    metric: M,
) -> Result<(), fmt::Error> {
    metric.encode(encoder.encode_descriptor(name, help, None, metric_type)?)
}

impl Collector for StoreFiguresCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        let figures = self.store.figures();
        if let Some(pool) = figures.pool {
            let connections =
                [("in_use", ConstGauge::new(pool.in_use)), ("idle", ConstGauge::new(pool.idle))];
            let help = "Database pool connections by state";
            samples(&mut encoder, "store_pool_connections", help, MetricType::Gauge, "state", &connections)?;
            let help = "The most connections the pool opens (DB_POOL_SIZE)";
            single(
                &mut encoder,
                "store_pool_max_connections",
                help,
                MetricType::Gauge,
                ConstGauge::new(pool.max),
            )?;
            let reachable = ConstGauge::new(u64::from(pool.reachable));
            let help = "1 while the database answers, 0 while it is unreachable";
            single(&mut encoder, "store_database_reachable", help, MetricType::Gauge, reachable)?;
            let help = "Database operations that ran past DB_TIMEOUT_MS";
            single(
                &mut encoder,
                "store_timeouts",
                help,
                MetricType::Counter,
                ConstCounter::new(pool.timeouts_total),
            )?;
        }
        if let Some(cache) = figures.cache {
            let results = [
                ("hit", ConstCounter::new(cache.hits)),
                ("miss", ConstCounter::new(cache.misses)),
                ("error", ConstCounter::new(cache.errors)),
            ];
            let help = "Read-through cache lookups by result";
            samples(&mut encoder, "cache_requests", help, MetricType::Counter, "result", &results)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;

    use super::*;
    use crate::domain::{NewUser, User, UserChanges, UserId};
    use crate::store::{CacheFigures, PoolFigures, StoreError, StoreFigures};
    use crate::telemetry::{Metrics, MetricsFormat};

    struct Reporting(StoreFigures);

    #[async_trait]
    impl UserStore for Reporting {
        fn kind(&self) -> &'static str {
            "reporting"
        }
        fn is_durable(&self) -> bool {
            true
        }
        fn figures(&self) -> StoreFigures {
            self.0
        }
        async fn ping(&self) -> Result<(), StoreError> {
            Ok(())
        }
        async fn list(&self, _: Option<UserId>, _: u32) -> Result<Vec<User>, StoreError> {
            Ok(Vec::new())
        }
        async fn get(&self, _: UserId) -> Result<Option<User>, StoreError> {
            Ok(None)
        }
        async fn create(&self, _: NewUser) -> Result<User, StoreError> {
            Err(StoreError::internal_because("read-only"))
        }
        async fn update(&self, _: UserId, _: UserChanges) -> Result<Option<User>, StoreError> {
            Ok(None)
        }
        async fn delete(&self, _: UserId) -> Result<bool, StoreError> {
            Ok(false)
        }
    }

    fn scrape(figures: StoreFigures) -> String {
        let metrics = Metrics::new("reporting");
        metrics.register_collector(Box::new(StoreFiguresCollector::new(Arc::new(Reporting(figures)))));
        metrics.encode(MetricsFormat::Prometheus).expect("encodes")
    }

    #[test]
    fn pool_and_cache_figures_are_exported() {
        let text = scrape(StoreFigures {
            pool: Some(PoolFigures { in_use: 2, idle: 3, max: 8, reachable: true, timeouts_total: 5 }),
            cache: Some(CacheFigures { hits: 10, misses: 4, errors: 1 }),
        });
        for line in [
            r#"edge_service_store_pool_connections{state="in_use"} 2"#,
            r#"edge_service_store_pool_connections{state="idle"} 3"#,
            "edge_service_store_pool_max_connections 8",
            "edge_service_store_database_reachable 1",
            "edge_service_store_timeouts_total 5",
            r#"edge_service_cache_requests_total{result="hit"} 10"#,
            r#"edge_service_cache_requests_total{result="miss"} 4"#,
            r#"edge_service_cache_requests_total{result="error"} 1"#,
        ] {
            assert!(text.contains(line), "missing {line:?} in:\n{text}");
        }
    }

    #[test]
    fn a_store_without_figures_adds_no_series() {
        let text = scrape(StoreFigures::default());
        assert!(!text.contains("store_pool") && !text.contains("cache_requests"), "{text}");
    }
}
