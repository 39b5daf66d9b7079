//! In-process tests of the router against the route table and the OpenAPI document:
//! every route produces exactly the statuses it declares (each one is provoked here,
//! and nothing else comes out), and the document lists exactly those.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use hyper::body::Bytes;
use hyper::{Body, Method, Request};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use serde_json::Value;

use super::routes::{Endpoint, OPTIONS_STATUS, ROUTER_STATUSES, ROUTES};
use super::*;
use crate::config::Config;
use crate::domain::{NewUser, User, UserChanges, UserId};
use crate::store::{MemoryStore, StoreError, UserStore};
use crate::telemetry::Metrics;

/// A store whose every operation fails the same way.
struct FailingStore {
    failure: Failure,
}

/// How a [`FailingStore`] fails.
#[derive(Clone, Copy)]
enum Failure {
    Unavailable,
    Full,
    Internal,
}

impl FailingStore {
    fn error(&self) -> StoreError {
        match self.failure {
            Failure::Unavailable => StoreError::unavailable_because("database is down"),
            Failure::Full => StoreError::memory_exhausted(),
            Failure::Internal => StoreError::internal_because("disk on fire"),
        }
    }
}

#[async_trait]
impl UserStore for FailingStore {
    fn kind(&self) -> &'static str {
        "failing"
    }
    fn is_durable(&self) -> bool {
        true
    }
    async fn ping(&self) -> Result<(), StoreError> {
        Err(self.error())
    }
    async fn list(&self, _: Option<UserId>, _: u32) -> Result<Vec<User>, StoreError> {
        Err(self.error())
    }
    async fn get(&self, _: UserId) -> Result<Option<User>, StoreError> {
        Err(self.error())
    }
    async fn create(&self, _: NewUser) -> Result<User, StoreError> {
        Err(self.error())
    }
    async fn update(&self, _: UserId, _: UserChanges) -> Result<Option<User>, StoreError> {
        Err(self.error())
    }
    async fn delete(&self, _: UserId) -> Result<bool, StoreError> {
        Err(self.error())
    }
}

#[derive(Debug)]
struct BrokenCollector;

impl Collector for BrokenCollector {
    fn encode(&self, _: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        Err(std::fmt::Error)
    }
}

/// Which app a probe runs against.
#[derive(Clone, Copy)]
enum Backend {
    /// Memory store holding user 1 (`taken@example.org`) and user 2; body limit 64 bytes.
    Seeded,
    /// Every store call fails with `Unavailable`.
    Unavailable,
    /// Every store call fails with `Internal`; a metrics collector fails too.
    Broken,
    /// Every store call fails with `Full` (memory exhausted).
    Full,
}

fn app(backend: Backend) -> Arc<App> {
    let mut config = Config::default();
    config.http.max_body_bytes = 64;
    let store: Arc<dyn UserStore> = match backend {
        Backend::Seeded => Arc::new(MemoryStore::new()),
        Backend::Unavailable => Arc::new(FailingStore { failure: Failure::Unavailable }),
        Backend::Broken => Arc::new(FailingStore { failure: Failure::Internal }),
        Backend::Full => Arc::new(FailingStore { failure: Failure::Full }),
    };
    let metrics = Arc::new(Metrics::new(store.kind()));
    if matches!(backend, Backend::Broken) {
        metrics.register_collector(Box::new(BrokenCollector));
    }
    let app = App::new(config, store, metrics);
    if matches!(backend, Backend::Seeded) {
        block_on(async {
            for (id, email) in [(1, "taken@example.org"), (2, "other@example.org")] {
                let new = NewUser {
                    id: UserId::new(id).ok(),
                    name: crate::domain::UserName::parse("Seed").expect("name"),
                    email: crate::domain::Email::parse(email).expect("email"),
                };
                app.store.create(new).await.expect("seeded");
            }
        });
    }
    app
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(future)
}

/// One request through the router: (route template, status, headers, body).
fn call(app: &App, method: &str, uri: &str, content_type: Option<&str>, body: &str) -> (Routed, Bytes) {
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(content_type) = content_type {
        builder = builder.header("content-type", content_type);
    }
    let request = builder.body(Body::from(body.to_owned())).expect("request");
    block_on(async {
        let mut routed = respond(app, request, &RequestId::generate()).await;
        let bytes = hyper::body::to_bytes(routed.response.body_mut()).await.expect("body");
        (routed, bytes)
    })
}

const JSON: Option<&str> = Some("application/json");

/// Requests that provoke every status of every route: (backend, method, uri, content type, body).
fn probes(
    endpoint: Endpoint,
) -> Vec<(Backend, &'static str, &'static str, Option<&'static str>, &'static str)> {
    use Backend::*;
    let failing =
        |method, uri, body| vec![(Unavailable, method, uri, JSON, body), (Broken, method, uri, JSON, body)];
    let new_user = r#"{"name":"N","email":"new@example.org"}"#;
    // Longer than the test app's 64-byte body limit.
    let too_long = r#"{"name":"a long name that pushes the body past the limit","email":"x@y"}"#;
    let mut probes = match endpoint {
        Endpoint::Hello => vec![(Seeded, "GET", "/api/hello", None, "")],
        Endpoint::Health => vec![(Seeded, "GET", "/api/health", None, "")],
        Endpoint::Ready => {
            vec![(Seeded, "GET", "/api/ready", None, ""), (Unavailable, "GET", "/api/ready", None, "")]
        }
        Endpoint::OpenApi => vec![(Seeded, "GET", "/api/openapi.json", None, "")],
        Endpoint::Metrics => {
            vec![(Seeded, "GET", "/metrics", None, ""), (Broken, "GET", "/metrics", None, "")]
        }
        Endpoint::ListUsers => {
            let mut p = vec![
                (Seeded, "GET", "/api/users?limit=1&after=0", None, ""),
                (Seeded, "GET", "/api/users?limit=0", None, ""),
            ];
            p.extend(failing("GET", "/api/users", ""));
            p
        }
        Endpoint::CreateUser => {
            let mut p = vec![
                (Seeded, "POST", "/api/users", JSON, new_user),
                (Seeded, "POST", "/api/users", JSON, r#"{"name":"N","email":"TAKEN@example.org"}"#),
                (Seeded, "POST", "/api/users", JSON, r#"{"name":"N"}"#),
                (Seeded, "POST", "/api/users", Some("text/plain"), new_user),
                (Seeded, "POST", "/api/users", JSON, too_long),
            ];
            p.extend(failing("POST", "/api/users", new_user));
            p.push((Full, "POST", "/api/users", JSON, new_user));
            p
        }
        Endpoint::GetUser => {
            let mut p = vec![
                (Seeded, "GET", "/api/users/1", None, ""),
                (Seeded, "GET", "/api/users/999", None, ""),
                (Seeded, "GET", "/api/users/abc", None, ""),
            ];
            p.extend(failing("GET", "/api/users/1", ""));
            p
        }
        Endpoint::UpdateUser => {
            let mut p = vec![
                (Seeded, "PUT", "/api/users/2", JSON, r#"{"name":"Two","email":"two@example.org"}"#),
                (Seeded, "PUT", "/api/users/999", JSON, new_user),
                (Seeded, "PUT", "/api/users/2", JSON, r#"{"name":"Two","email":"Taken@Example.org"}"#),
                (Seeded, "PUT", "/api/users/0", JSON, new_user),
                (Seeded, "PUT", "/api/users/2", None, new_user),
                (Seeded, "PUT", "/api/users/2", JSON, too_long),
            ];
            p.extend(failing("PUT", "/api/users/2", new_user));
            p.push((Full, "PUT", "/api/users/2", JSON, new_user));
            p
        }
        Endpoint::DeleteUser => {
            let mut p = vec![
                (Seeded, "DELETE", "/api/users/2", None, ""),
                (Seeded, "DELETE", "/api/users/999", None, ""),
                (Seeded, "DELETE", "/api/users/-1", None, ""),
            ];
            p.extend(failing("DELETE", "/api/users/2", ""));
            p
        }
    };
    // Every route refuses unknown query parameters.
    let (_, method, uri, content_type, body) = probes.first().copied().expect("a success probe");
    let with_bogus: &'static str =
        Box::leak(format!("{uri}{}bogus=1", if uri.contains('?') { '&' } else { '?' }).into_boxed_str());
    probes.push((Seeded, method, with_bogus, content_type, body));
    probes
}

#[test]
fn every_route_produces_exactly_its_declared_statuses() {
    for route in ROUTES {
        let mut seen = BTreeSet::new();
        for (backend, method, uri, content_type, body) in probes(route.endpoint) {
            let app = app(backend);
            let (routed, bytes) = call(&app, method, uri, content_type, body);
            assert_eq!(routed.route, route.template, "{method} {uri}");
            let status = routed.response.status().as_u16();
            assert!(
                route.statuses.contains(&status),
                "{method} {uri} answered {status}, which {} {} does not declare: {}",
                route.method,
                route.template,
                String::from_utf8_lossy(&bytes)
            );
            seen.insert(status);
        }
        let declared: BTreeSet<u16> = route.statuses.iter().copied().collect();
        assert_eq!(seen, declared, "{} {}: declared statuses not all provoked", route.method, route.template);
    }
}

#[test]
fn router_level_answers_are_404_405_and_204() {
    let app = app(Backend::Seeded);
    let (routed, _) = call(&app, "GET", "/nope", None, "");
    assert_eq!((routed.route, routed.response.status().as_u16()), (routes::UNMATCHED, 404));
    let (routed, body) = call(&app, "PATCH", "/api/users/1", JSON, "{}");
    assert_eq!(routed.response.status().as_u16(), 405);
    assert_eq!(routed.response.headers()["allow"], "GET, HEAD, PUT, DELETE, OPTIONS");
    assert_eq!(serde_json::from_slice::<Value>(&body).expect("JSON")["error"]["code"], "method_not_allowed");
    let (routed, _) = call(&app, "OPTIONS", "/api/users", None, "");
    assert_eq!(routed.response.status().as_u16(), OPTIONS_STATUS);
    assert_eq!(routed.response.headers()["allow"], "GET, HEAD, POST, OPTIONS");
    assert!(ROUTER_STATUSES.contains(&404) && ROUTER_STATUSES.contains(&405));
}

#[test]
fn error_bodies_use_the_documented_codes() {
    let app = app(Backend::Seeded);
    for (method, uri, content_type, body, code) in [
        ("GET", "/api/users/abc", None, "", "bad_request"),
        ("GET", "/api/users/999", None, "", "not_found"),
        ("POST", "/api/users", JSON, r#"{"name":"N","email":"taken@example.org"}"#, "conflict"),
        ("POST", "/api/users", Some("text/plain"), "{}", "unsupported_media_type"),
        ("POST", "/api/users", JSON, &"x".repeat(65), "payload_too_large"),
    ] {
        let (routed, bytes) = call(&app, method, uri, content_type, body);
        let json: Value = serde_json::from_slice(&bytes).expect("JSON");
        assert_eq!(json["error"]["code"], code, "{method} {uri}: {json}");
        assert!(json["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{json}");
        assert_eq!(routed.response.headers()["content-type"], "application/json");
    }
}

fn openapi() -> Value {
    serde_json::from_str(openapi::DOCUMENT).expect("the OpenAPI document is JSON")
}

/// Resolves a local `$ref` (`#/components/...`) if `value` is one.
fn deref<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(pointer) => doc.pointer(pointer.trim_start_matches('#')).expect("$ref resolves"),
        None => value,
    }
}

fn documented_statuses(operation: &Value) -> BTreeSet<u16> {
    let responses = operation["responses"].as_object().expect("responses");
    responses.keys().map(|code| code.parse().expect("numeric status")).collect()
}

#[test]
fn openapi_is_version_3_1_and_lists_exactly_the_routes_and_their_statuses() {
    let doc = openapi();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut expected: BTreeMap<(String, String), BTreeSet<u16>> = BTreeMap::new();
    for route in ROUTES {
        let statuses: BTreeSet<u16> = route.statuses.iter().copied().collect();
        let method = route.method.as_str().to_ascii_lowercase();
        if route.method == Method::GET {
            expected.insert((route.template.into(), "head".into()), statuses.clone());
        }
        expected.insert((route.template.into(), method), statuses);
        expected.insert((route.template.into(), "options".into()), BTreeSet::from([OPTIONS_STATUS]));
    }
    let mut documented = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let operations = item.as_object().expect("path item").iter().filter(|(key, _)| {
            ["get", "head", "post", "put", "delete", "options", "patch", "trace"].contains(&key.as_str())
        });
        for (method, operation) in operations {
            documented.insert((path.clone(), method.clone()), documented_statuses(operation));
        }
    }
    assert_eq!(documented, expected);
}

#[test]
fn openapi_documents_each_routes_query_parameters() {
    let doc = openapi();
    for route in ROUTES {
        let operation = &doc["paths"][route.template][route.method.as_str().to_ascii_lowercase()];
        let names: BTreeSet<String> = operation["parameters"]
            .as_array()
            .map(|list| list.iter().map(|p| deref(&doc, p)).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().expect("name").to_owned())
            .collect();
        let declared: BTreeSet<String> = route.query.iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(names, declared, "{} {}", route.method, route.template);
    }
}

#[test]
fn openapi_documents_router_level_answers_and_every_reference_resolves() {
    let doc = openapi();
    for status in ROUTER_STATUSES {
        let response = &doc["x-router-responses"][status.to_string()];
        assert!(deref(&doc, response)["description"].is_string(), "{status}");
    }
    fn check_refs(doc: &Value, value: &Value) {
        match value {
            Value::Object(map) => {
                if let Some(pointer) = map.get("$ref").and_then(Value::as_str) {
                    assert!(doc.pointer(pointer.trim_start_matches('#')).is_some(), "dangling {pointer}");
                }
                map.values().for_each(|v| check_refs(doc, v));
            }
            Value::Array(items) => items.iter().for_each(|v| check_refs(doc, v)),
            _ => {}
        }
    }
    check_refs(&doc, &doc);
    let codes = &doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"];
    let codes: BTreeSet<&str> = codes.as_array().expect("enum").iter().filter_map(Value::as_str).collect();
    let issue_codes = [
        "bad_request",
        "not_found",
        "method_not_allowed",
        "conflict",
        "payload_too_large",
        "unsupported_media_type",
        "unavailable",
        "internal",
    ];
    assert_eq!(codes, issue_codes.into_iter().collect());
}

#[test]
fn exchange_adds_request_id_and_cors_headers() {
    let mut config = Config::default();
    config.http.cors = crate::config::CorsOrigins::List(vec!["https://app.example".into()]);
    let store: Arc<dyn UserStore> = Arc::new(MemoryStore::new());
    let app = App::new(config, store, Arc::new(Metrics::new("memory")));
    // Every HTTP/1.1 request carries its Host (the exchange refuses one without).
    let request = Request::builder()
        .uri("/api/hello")
        .header("host", "t")
        .header("x-request-id", "client-id-1")
        .header("origin", "https://app.example")
        .body(Body::empty())
        .expect("request");
    let response = block_on(crate::http::exchange::serve(Arc::clone(&app), request)).expect("infallible");
    assert_eq!(response.headers()["x-request-id"], "client-id-1");
    assert_eq!(response.headers()["access-control-allow-origin"], "https://app.example");
    let preflight = Request::builder()
        .method("OPTIONS")
        .uri("/api/users/5")
        .header("host", "t")
        .header("origin", "https://app.example")
        .header("access-control-request-method", "PUT")
        .body(Body::empty())
        .expect("request");
    let response = block_on(crate::http::exchange::serve(Arc::clone(&app), preflight)).expect("infallible");
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(response.headers()["access-control-allow-methods"], "GET, HEAD, PUT, DELETE, OPTIONS");
    assert_eq!(response.headers()["x-request-id"].len(), 16);
    let text = app.metrics.encode(crate::telemetry::MetricsFormat::Prometheus).expect("metrics");
    assert!(text.contains(r#"route="/api/users/{id}",method="OPTIONS",status="204""#), "{text}");
}
