//! Prometheus metrics: one registry for the whole service, served at `GET /metrics`.
//!
//! Recording is on the hot path of every request, so it allocates nothing: label
//! values are `&'static str` route templates, a method enum and the numeric status,
//! and each figure is an atomic (or an uncontended lock on the single-threaded
//! runtime). The two series a request updates are found through a small cache keyed
//! by (template, method, status) with FxHash (`rustc-hash`), instead of hashing both label sets
//! with SipHash on every request. Other components (database pools, caches) add their own figures with
//! [`Metrics::register`] or [`Metrics::register_collector`]; they appear in the same
//! scrape under the `edge_service_` prefix.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use hyper::Method;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Metric;
use prometheus_client::registry::{Registry, Unit};
use rustc_hash::FxBuildHasher;

/// Upper bounds (seconds) of the request latency buckets: 100 µs to 10 s.
const LATENCY_BUCKETS: [f64; 16] =
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The store operations whose failures are counted (the `UserStore` methods).
pub const STORE_OPERATIONS: [&str; 6] = ["ping", "list", "get", "create", "update", "delete"];
/// How a store operation can fail: unreachable (503), full (507) or broken (500).
pub const STORE_ERROR_KINDS: [&str; 3] = ["unavailable", "full", "internal"];

/// The text formats `/metrics` can answer in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsFormat {
    /// Prometheus text exposition format 0.0.4 (the default).
    Prometheus,
    /// OpenMetrics 1.0 text, for scrapers that ask for it in `Accept`.
    OpenMetrics,
}

impl MetricsFormat {
    /// The `content-type` of a scrape in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
            Self::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// The HTTP method as a bounded label value (unknown methods share `OTHER`).
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(clippy::upper_case_acronyms)] // The label values are the methods' own spelling.
pub enum MethodLabel {
    /// `GET`
    GET,
    /// `HEAD`
    HEAD,
    /// `POST`
    POST,
    /// `PUT`
    PUT,
    /// `DELETE`
    DELETE,
    /// `OPTIONS`
    OPTIONS,
    /// Any other method.
    OTHER,
}

impl From<&Method> for MethodLabel {
    fn from(method: &Method) -> Self {
        match *method {
            Method::GET => Self::GET,
            Method::HEAD => Self::HEAD,
            Method::POST => Self::POST,
            Method::PUT => Self::PUT,
            Method::DELETE => Self::DELETE,
            Method::OPTIONS => Self::OPTIONS,
            _ => Self::OTHER,
        }
    }
}

/// Labels of `edge_service_http_requests_total`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    method: MethodLabel,
    status: u16,
}

/// Labels of `edge_service_http_request_duration_seconds`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LatencyLabels {
    route: &'static str,
    method: MethodLabel,
}

/// Labels of `edge_service_store_errors_total`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoreErrorLabels {
    operation: &'static str,
    kind: &'static str,
}

/// Labels of the connection counters kept by reason (shed, timed out, lingered).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

/// Why a connection was closed for taking too long (`edge_service_http_connections_timed_out_total`).
pub const TIMEOUT_REASONS: [&str; 3] = ["first_byte", "head", "idle"];

/// Labels of `edge_service_build_info`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
    store: &'static str,
}

/// The series one answered request updates.
#[derive(Debug)]
struct RequestSeries {
    count: Counter,
    latency: Histogram,
}

/// Key of [`Metrics::series`]: the route template by address and length (templates are
/// `'static` strings from the route table; one text at two addresses just gets two
/// entries for the same series), the method and the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct SeriesKey {
    route_addr: usize,
    route_len: usize,
    method: MethodLabel,
    status: u16,
}

/// The service's metrics and the registry they are served from.
#[derive(Debug)]
pub struct Metrics {
    /// Everything a scrape encodes; behind a lock so collectors can be added after start.
    registry: Mutex<Registry>,
    /// Answered requests: the traffic and error rate per route.
    requests: Family<RequestLabels, Counter>,
    /// Latency per route, for percentiles and SLOs.
    latency: Family<LatencyLabels, Histogram, fn() -> Histogram>,
    /// Requests being handled: shows a stuck backend before timeouts do.
    in_flight: Gauge,
    /// Open connections, to see how close `MAX_CONNECTIONS` is.
    connections_open: Gauge,
    /// Accepted connections: with `requests`, how well keep-alive is used.
    connections_accepted: Counter,
    /// Failed store operations: the database's health as the service sees it.
    store_errors: Family<StoreErrorLabels, Counter>,
    /// Connections closed at the connection limit to make room, by what they were doing.
    connections_shed: Family<ReasonLabels, Counter>,
    /// Connections closed because the client was too slow, by which timeout.
    connections_timed_out: Family<ReasonLabels, Counter>,
    /// Lingering closes after early error responses, by how they ended.
    connections_lingered: Family<ReasonLabels, Counter>,
    /// The `requests` and `latency` series of each (template, method, status) seen so
    /// far, so recording a request needs no label-set lookups. Bounded: templates,
    /// methods and statuses are all finite sets. FxHash rather than SipHash: no
    /// client chooses these keys, so flooding protection would buy nothing.
    series: Mutex<HashMap<SeriesKey, RequestSeries, FxBuildHasher>>,
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

impl Metrics {
    /// A registry with the HTTP and store figures, plus `edge_service_build_info`
    /// naming the version and the store kind.
    pub fn new(store_kind: &'static str) -> Self {
        let metrics = Self {
            registry: Mutex::new(Registry::with_prefix("edge_service")),
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
            in_flight: Gauge::default(),
            connections_open: Gauge::default(),
            connections_accepted: Counter::default(),
            store_errors: Family::default(),
            connections_shed: Family::default(),
            connections_timed_out: Family::default(),
            connections_lingered: Family::default(),
            series: Mutex::default(),
        };
        {
            let mut registry = metrics.registry();
            registry.register(
                "build",
                "Version of the service and the store it uses",
                Info::new(BuildLabels { version: crate::VERSION, store: store_kind }),
            );
            registry.register(
                "http_requests",
                "HTTP requests answered, by route template, method and status",
                metrics.requests.clone(),
            );
            registry.register_with_unit(
                "http_request_duration",
                "Time from request head to response, by route template and method",
                Unit::Seconds,
                metrics.latency.clone(),
            );
            registry.register(
                "http_requests_in_flight",
                "Requests being handled right now",
                metrics.in_flight.clone(),
            );
            registry.register(
                "http_connections_open",
                "Client connections open right now",
                metrics.connections_open.clone(),
            );
            registry.register(
                "http_connections_accepted",
                "Client connections accepted since start",
                metrics.connections_accepted.clone(),
            );
            registry.register(
                "http_connections_shed",
                "Connections closed at MAX_CONNECTIONS to make room for new ones, by what they were doing",
                metrics.connections_shed.clone(),
            );
            registry.register(
                "http_connections_timed_out",
                "Connections closed because the client was too slow, by timeout (first_byte, head, idle)",
                metrics.connections_timed_out.clone(),
            );
            registry.register(
                "http_connections_lingered",
                "Lingering closes after an early error response, by how they ended",
                metrics.connections_lingered.clone(),
            );
            registry.register(
                "store_errors",
                "Store operations that failed (unavailable, full or internal), by operation",
                metrics.store_errors.clone(),
            );
            registry.register_collector(Box::new(super::MemoryFiguresCollector));
        }
        // Every store error series exists from the start at 0, so `rate()` and alerts
        // work before the first failure.
        for operation in STORE_OPERATIONS {
            for kind in STORE_ERROR_KINDS {
                drop(metrics.store_errors.get_or_create(&StoreErrorLabels { operation, kind }));
            }
        }
        metrics
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        // Registration and encoding cannot leave the registry half-changed, so a
        // poisoned lock (a panic elsewhere while holding it) is still safe to use.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a metric under `edge_service_<name>` (counters get `_total` appended;
    /// do not add it yourself).
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        self.registry().register(name, help, metric);
    }

    /// Adds a collector whose figures are computed at each scrape (pool sizes, cache
    /// statistics).
    pub fn register_collector(&self, collector: Box<dyn Collector>) {
        self.registry().register_collector(collector);
    }

    /// Encodes every registered figure for a scrape.
    pub fn encode(&self, format: MetricsFormat) -> Result<String, std::fmt::Error> {
        let mut text = String::with_capacity(8 * 1024);
        let registry = self.registry();
        match format {
            MetricsFormat::Prometheus => {
                prometheus_client::encoding::prometheus_text::encode(&mut text, &registry)?
            }
            MetricsFormat::OpenMetrics => prometheus_client::encoding::text::encode(&mut text, &registry)?,
        }
        Ok(text)
    }

    /// Records one answered request under its route template (never the raw path).
    pub fn record_request(&self, route: &'static str, method: MethodLabel, status: u16, elapsed: Duration) {
        let key = SeriesKey { route_addr: route.as_ptr().addr(), route_len: route.len(), method, status };
        // Recording cannot leave the cache half-changed, so a poisoned lock is still usable.
        let mut series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = series.entry(key).or_insert_with(|| RequestSeries {
            count: self.requests.get_or_create(&RequestLabels { route, method, status }).clone(),
            latency: self.latency.get_or_create(&LatencyLabels { route, method }).clone(),
        });
        entry.count.inc();
        entry.latency.observe(elapsed.as_secs_f64());
    }

    /// Counts a request as in flight until the returned guard is dropped (also when
    /// the client goes away mid-request and the handler is cancelled).
    pub fn request_started(&self) -> InFlight<'_> {
        self.in_flight.inc();
        InFlight(&self.in_flight)
    }

    /// Counts a connection as open until the returned guard is dropped.
    pub fn connection_opened(&self) -> OpenConnection {
        self.connections_accepted.inc();
        self.connections_open.inc();
        OpenConnection(self.connections_open.clone())
    }

    /// Starts the connection counters of each reason at 0, so `rate()` and alerts work
    /// before the first event.
    pub fn start_connection_counters(&self, shed: &[&'static str], lingered: &[&'static str]) {
        for &reason in shed {
            drop(self.connections_shed.get_or_create(&ReasonLabels { reason }));
        }
        for reason in TIMEOUT_REASONS {
            drop(self.connections_timed_out.get_or_create(&ReasonLabels { reason }));
        }
        for &reason in lingered {
            drop(self.connections_lingered.get_or_create(&ReasonLabels { reason }));
        }
    }

    /// Counts a connection shed at the connection limit.
    pub fn record_shed(&self, reason: &'static str) {
        self.connections_shed.get_or_create(&ReasonLabels { reason }).inc();
    }

    /// Counts a connection closed by a timeout (one of [`TIMEOUT_REASONS`]).
    pub fn record_timed_out(&self, reason: &'static str) {
        self.connections_timed_out.get_or_create(&ReasonLabels { reason }).inc();
    }

    /// Counts a finished lingering close.
    pub fn record_lingered(&self, reason: &'static str) {
        self.connections_lingered.get_or_create(&ReasonLabels { reason }).inc();
    }

    /// Counts a failed store operation; `kind` is `unavailable` or `internal`.
    pub fn record_store_error(&self, operation: &'static str, kind: &'static str) {
        self.store_errors.get_or_create(&StoreErrorLabels { operation, kind }).inc();
    }
}

/// Holds a request in the in-flight gauge; see [`Metrics::request_started`].
#[derive(Debug)]
pub struct InFlight<'a>(&'a Gauge);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Holds a connection in the open-connections gauge; see [`Metrics::connection_opened`].
#[derive(Debug)]
pub struct OpenConnection(Gauge);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_template_method_and_status() {
        let metrics = Metrics::new("memory");
        metrics.record_request("/api/users/{id}", MethodLabel::GET, 200, Duration::from_micros(300));
        metrics.record_request("/api/users/{id}", MethodLabel::GET, 200, Duration::from_micros(300));
        metrics.record_request("/api/users/{id}", MethodLabel::DELETE, 404, Duration::from_millis(2));
        let text = metrics.encode(MetricsFormat::Prometheus).expect("encodes");
        assert!(
            text.contains(
                r#"edge_service_http_requests_total{route="/api/users/{id}",method="GET",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"method="DELETE",status="404"} 1"#), "{text}");
        assert!(
            text.contains(
                r#"edge_service_http_request_duration_seconds_bucket{le="0.0005",route="/api/users/{id}",method="GET"} 2"#
            ) || text.contains(
                r#"edge_service_http_request_duration_seconds_bucket{route="/api/users/{id}",method="GET",le="0.0005"} 2"#
            ),
            "{text}"
        );
    }

    #[test]
    fn one_template_at_two_addresses_and_a_template_prefix_stay_apart_correctly() {
        let metrics = Metrics::new("memory");
        let copy: &'static str = Box::leak(String::from("/api/users/{id}").into_boxed_str());
        let full = "/api/users/{id}";
        // A prefix of another template may share its address in the binary.
        let prefix = full.get(..10).expect("prefix");
        metrics.record_request(full, MethodLabel::GET, 200, Duration::from_micros(10));
        metrics.record_request(copy, MethodLabel::GET, 200, Duration::from_micros(10));
        metrics.record_request(prefix, MethodLabel::GET, 200, Duration::from_micros(10));
        let text = metrics.encode(MetricsFormat::Prometheus).expect("encodes");
        assert!(
            text.contains(
                r#"edge_service_http_requests_total{route="/api/users/{id}",method="GET",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"edge_service_http_requests_total{route="/api/users",method="GET",status="200"} 1"#
            ),
            "{text}"
        );
    }

    #[test]
    fn in_flight_and_connection_guards_go_back_to_zero() {
        let metrics = Metrics::new("memory");
        {
            let _request = metrics.request_started();
            let _connection = metrics.connection_opened();
            let text = metrics.encode(MetricsFormat::Prometheus).expect("encodes");
            assert!(text.contains("edge_service_http_requests_in_flight 1"), "{text}");
            assert!(text.contains("edge_service_http_connections_open 1"), "{text}");
        }
        let text = metrics.encode(MetricsFormat::Prometheus).expect("encodes");
        assert!(text.contains("edge_service_http_requests_in_flight 0"), "{text}");
        assert!(text.contains("edge_service_http_connections_open 0"), "{text}");
        assert!(text.contains("edge_service_http_connections_accepted_total 1"), "{text}");
    }

    #[test]
    fn connection_counters_start_at_zero_and_count_by_reason() {
        let metrics = Metrics::new("memory");
        metrics.start_connection_counters(&["idle", "silent"], &["client_closed"]);
        metrics.record_shed("idle");
        metrics.record_shed("idle");
        metrics.record_timed_out("first_byte");
        metrics.record_lingered("client_closed");
        let text = metrics.encode(MetricsFormat::Prometheus).expect("encodes");
        assert!(text.contains(r#"edge_service_http_connections_shed_total{reason="idle"} 2"#), "{text}");
        assert!(text.contains(r#"edge_service_http_connections_shed_total{reason="silent"} 0"#), "{text}");
        assert!(
            text.contains(r#"edge_service_http_connections_timed_out_total{reason="first_byte"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"edge_service_http_connections_timed_out_total{reason="idle"} 0"#), "{text}");
        assert!(
            text.contains(r#"edge_service_http_connections_lingered_total{reason="client_closed"} 1"#),
            "{text}"
        );
    }

    #[test]
    fn other_components_can_register_figures_later() {
        let metrics = Metrics::new("mysql");
        let in_use = Gauge::<i64>::default();
        metrics.register("db_pool_connections_in_use", "Pool connections lent out", in_use.clone());
        in_use.set(3);
        let text = metrics.encode(MetricsFormat::OpenMetrics).expect("encodes");
        assert!(text.contains("edge_service_db_pool_connections_in_use 3"), "{text}");
        assert!(text.contains(r#"edge_service_build_info{version="#), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
