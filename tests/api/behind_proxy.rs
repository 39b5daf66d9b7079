//! End-to-end: the service behind a real reverse proxy (Debian's nginx on loopback, with
//! pooled keep-alive connections to the service, as an operator would deploy it). The
//! request-smuggling payloads go to the proxy; whichever of the two refuses each one, no
//! smuggled request reaches a handler, and an innocent client using the same proxy (and
//! so the same upstream connections) only ever gets the answers to its own requests.

use edge_service_test_support::proxy::Nginx;
use edge_service_test_support::users::{random_id_base, raw_create_request};
use edge_service_test_support::{create_user_with_id, id_of, unique_email, HttpConnection, TestApp};

/// The desync payloads: each ambiguous message with a smuggled request inside what one
/// side would take as its body and the other as the next request.
fn payloads(id: u64) -> Vec<(&'static str, String)> {
    let s = raw_create_request(id);
    let post = "POST /api/users HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\n";
    vec![
        // CL.TE: the proxy frames by Content-Length (the smuggled request is body), the
        // service by Transfer-Encoding (the body ends at 0, the smuggled request follows).
        ("CL.TE", format!("{post}content-length: {}\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n{s}", 5 + s.len())),
        // TE.CL: the reverse.
        ("TE.CL", format!("{post}content-length: 4\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{s}\r\n0\r\n\r\n", s.len())),
        // TE.TE: an obfuscated Transfer-Encoding one side might ignore.
        ("TE.TE", format!("{post}content-length: 4\r\ntransfer-encoding: chunked\r\ntransfer-encoding: x\r\n\r\n{:x}\r\n{s}\r\n0\r\n\r\n", s.len())),
        ("TE.TE space", format!("{post}content-length: {}\r\ntransfer-encoding : chunked\r\n\r\n0\r\n\r\n{s}", 5 + s.len())),
        ("TE.TE identity", format!("{post}content-length: {}\r\ntransfer-encoding: identity, chunked\r\n\r\n0\r\n\r\n{s}", 5 + s.len())),
        ("chunked twice", format!("{post}transfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n{s}")),
        ("two lengths", format!("{post}content-length: 5\r\ncontent-length: {}\r\n\r\n0\r\n\r\n{s}", 5 + s.len())),
    ]
}

/// Sends `payload` through the proxy and reads whatever comes back until the proxy
/// closes the connection or stops answering.
fn attack(proxy: &Nginx, payload: &str) -> Vec<u16> {
    let mut connection = proxy.connect();
    let _ = connection.try_send_raw(payload.as_bytes());
    let mut statuses = Vec::new();
    while let Ok(response) = connection.try_read_response(false) {
        statuses.push(response.status);
        if response.header("connection") == Some("close") {
            break;
        }
    }
    statuses
}

/// Innocent requests through the proxy: each must get the answer to itself.
fn innocent_round(proxy: &Nginx, users: &[(u64, serde_json::Value)], round: usize) {
    let mut connection: HttpConnection = proxy.connect();
    for (k, (id, user)) in users.iter().enumerate() {
        let request_id = format!("innocent-{round}-{k}");
        let response = connection.request(
            "GET",
            &format!("/api/users/{id}"),
            &[("x-request-id", request_id.as_str())],
            b"",
        );
        assert_eq!(response.status, 200, "round {round}: {}", response.text());
        assert_eq!(
            response.header("x-request-id"),
            Some(request_id.as_str()),
            "round {round}: another client's response"
        );
        assert_eq!(&response.json(), user, "round {round}: another request's body");
    }
}

#[test]
fn desync_payloads_sent_to_a_proxy_smuggle_nothing_and_poison_no_queue() {
    let app = TestApp::spawn();
    let proxy = Nginx::in_front_of(app.addr);
    let base = random_id_base();
    let mut direct = app.connect();
    let users: Vec<(u64, serde_json::Value)> = (0..4)
        .map(|k| {
            let response = create_user_with_id(&mut direct, base + k, "Innocent", &unique_email("innocent"));
            assert_eq!(response.status, 201, "{}", response.text());
            let user = response.json();
            (id_of(&user), user)
        })
        .collect();
    innocent_round(&proxy, &users, 0);

    let smuggled_base = base + 1_000;
    let names: Vec<&str> = payloads(0).into_iter().map(|(name, _)| name).collect();
    for (i, name) in names.iter().enumerate() {
        let (_, payload) = payloads(smuggled_base + i as u64).swap_remove(i);
        let statuses = attack(&proxy, &payload);
        // 400 from either side, or nginx's 501 for a transfer coding it does not know.
        assert!(
            statuses.first().is_some_and(|s| matches!(s, 400 | 501)),
            "{name}: the ambiguous message was not refused (statuses {statuses:?}); nginx: {}",
            proxy.error_log()
        );
        assert!(
            !statuses.iter().any(|s| (200..300).contains(s)),
            "{name}: something succeeded: {statuses:?}"
        );
        // An innocent client right after, over the proxy's pooled upstream connections.
        innocent_round(&proxy, &users, i + 1);
    }
    // No smuggled request reached a handler.
    for (i, name) in names.iter().enumerate() {
        let response = direct.request("GET", &format!("/api/users/{}", smuggled_base + i as u64), &[], b"");
        assert_eq!(response.status, 404, "{name}: the smuggled request created its user");
    }
}
