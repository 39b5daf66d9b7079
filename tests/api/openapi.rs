//! End-to-end: the OpenAPI document the module serves is the one the route tests
//! check, and every route in the table is really answered by the running module.

use edge_service::api::openapi::DOCUMENT;
use edge_service::api::routes::ROUTES;
use edge_service_test_support::{assert_json, TestApp};
use serde_json::Value;

#[test]
fn served_document_is_openapi_3_1_and_matches_the_route_table() {
    let app = TestApp::spawn();
    let served = assert_json(&app.get("/api/openapi.json"), 200);
    let compiled: Value = serde_json::from_str(DOCUMENT).expect("compiled document is JSON");
    assert_eq!(served, compiled);
    assert_eq!(served["openapi"], "3.1.0");
    for route in ROUTES {
        let operation = &served["paths"][route.template][route.method.as_str().to_ascii_lowercase()];
        let responses = operation["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{} {}", route.method, route.template));
        for status in route.statuses {
            assert!(
                responses.contains_key(&status.to_string()),
                "{} {} lacks {status}",
                route.method,
                route.template
            );
        }
    }
}

#[test]
fn every_route_in_the_table_is_answered_by_the_module() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    for route in ROUTES {
        // An id no test uses, so nothing in a shared store is touched.
        let path = route.template.replace("{id}", "9000000000000000002");
        let response =
            connection.request(route.method.as_str(), &path, &[("content-type", "application/json")], b"{}");
        assert!(
            route.statuses.contains(&response.status),
            "{} {path} answered {}",
            route.method,
            response.status
        );
        assert_ne!(response.status, 405, "{} {path}", route.method);
        if response.status == 404 {
            assert_eq!(
                response.json()["error"]["message"],
                "no user with id 9000000000000000002",
                "{} {path} is routed",
                route.method
            );
        }
    }
}
