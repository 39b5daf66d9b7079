//! The cases, one module per area of the reference. Names start with `cNN`
//! for §10 check NN and with `x-` for the extra cases beyond §10; the
//! checks that need a process of their own (22's trap, 24, 25, 26) are run by
//! scripts/conformance.sh (see main.rs and tests/conformance-guest/wat/).

mod addresses;
mod connect;
mod errors;
mod fd_errors;
mod fd_table;
mod fuzz_seeds;
mod listen_accept;
mod open_and_options;
mod options;
mod pointers;
mod poll_mixed;
mod polling;
mod raw;
mod resolve;
mod shutdown;
mod socket_state;
mod stream_io;
mod udp;

use crate::report::{Reporter, Versions, MAIN};

/// Runs every in-process case, in reference order, then the extras. A case
/// registered with `case_in` expects the behaviour of the versions given
/// there (see report.rs); the others hold on every version.
pub fn run_all(r: &mut Reporter) {
    r.case("c01-open-tcp4-fdstat-filetype-flags-rights", open_and_options::c01_open_tcp4_fdstat);
    r.case("c02-open-udp6-filetype-stream-and-so-type", open_and_options::c02_open_udp6_filetype_and_so_type);
    r.case("c03-open-rejects-unspec-any-unix", open_and_options::c03_open_rejects_unspec_any_and_unix);
    r.case(
        "c04-sockopt-reuseaddr-level-name-checks",
        open_and_options::c04_sockopt_reuseaddr_level_and_name_checks,
    );
    r.case(
        "c05-bind-port0-getlocaladdr-native-connect",
        addresses::c05_bind_port0_getlocaladdr_matches_kernel,
    );
    r.case("c06-v1-bind-rejects-len8-and-storage128", addresses::c06_v1_bind_rejects_len8_and_storage128);
    r.case("c07-listener-nonblocking-fdstat-flags", listen_accept::c07_listener_nonblocking_flags);
    r.case("c08-native-client-accept-event-flags-rights-peer", listen_accept::c08_native_client_accept);
    r.case("c09-recv-send-argument-checks-native", stream_io::c09_recv_send_argument_checks);
    r.case("c10-native-send-close-poll-recv-eof", stream_io::c10_native_send_then_close_gives_eof);
    r.case("c11-send-after-native-reset-no-sigpipe", stream_io::c11_send_after_reset_no_sigpipe);
    r.case("c12-connect-closed-port-hangup-so-error", connect::c12_connect_closed_port);
    r.case("c13-shutdown-rules-guest-pair", stream_io::c13_shutdown_rules_guest_pair);
    r.case("c14-getaddr-errors", addresses::c14_getaddr_errors);
    r.case("c15-getaddrinfo-localhost-layout", resolve::c15_getaddrinfo_localhost_layout);
    r.case("c16-getaddrinfo-errors", resolve::c16_getaddrinfo_errors);
    r.case("c17-recv-from-v2-native-sender-swapped-port", udp::c17_recv_from_v2_native_sender);
    r.case("c18-send-to-native-receiver", udp::c18_send_to_native_receiver);
    r.case("c19-poll-zero-subscriptions", polling::c19_poll_zero_subscriptions);
    r.case("c20-poll-unknown-fd-error-waits-for-clock", polling::c20_poll_unknown_fd_error_waits_for_clock);
    r.case(
        "c21-poll-ready-duplicate-subscription-order-guest-pairs",
        polling::c21_poll_ready_socket_duplicate_and_order,
    );
    r.case("c22-misaligned-ro-fd-addrnotavail", fd_table::c22_misaligned_ro_fd_is_addrnotavail);
    r.case_in(
        "c22-misaligned-fdstat-buffer-addrnotavail",
        Versions::until(MAIN),
        fd_table::c22_misaligned_fdstat_buffer_addrnotavail,
    );
    r.case("c23-close-twice-recv-closed-and-stdout", fd_table::c23_close_twice_and_recv_on_stdout);
    r.case("x-v2-bind-storage-getlocaladdr-v2", addresses::x_v2_bind_storage_and_getlocaladdr_v2);
    r.case_in(
        "x-accept-v2-nonblock-sets-listener-flag-guest-client",
        Versions::until(MAIN),
        listen_accept::x_accept_v2_nonblock_sets_listener_flag,
    );
    r.case_in(
        "x-accept-v2-nonblock-flag-guest-client",
        Versions::since(MAIN),
        listen_accept::x_accept_v2_nonblock_flag,
    );
    r.case("x-recv-peek-guest-pair", stream_io::x_recv_peek_guest_pair);
    r.case("x-peer-hangup-native", stream_io::x_peer_hangup);
    r.case("x-partial-write-full-sndbuf-guest-pair", stream_io::x_partial_write_full_buffer_guest_pair);
    r.case("x-connect-closed-port-refused-in-recv", connect::x_refused_connect_surfaces_in_recv);
    r.case("x-connect-closed-port-wws", connect::x_wws_connect_closed_port);
    r.case("x-connect-inprogress-completion-then-isconn", connect::x_connect_inprogress_then_isconn);
    r.case("x-ipv6-listen-connect-loopback", connect::x_ipv6_listen_connect_loopback);
    r.case("x-dns-localhost-wws", resolve::x_dns_localhost_via_wws);
    r.case("x-udp-echo-native-wws", udp::x_udp_echo_native_wws);
    r.case("x-poll-timers-only", polling::x_poll_timers_only);
    r.case("x-kernel-errnos-by-name", errors::x_kernel_errnos_by_name);
    r.case("x-pointer-bounds-and-alignment", errors::x_pointer_bounds_and_alignment);
    r.case_in(
        "x-misaligned-standard-pointers-addrnotavail",
        Versions::until(MAIN),
        fd_table::x_misaligned_standard_pointers_addrnotavail,
    );
    r.case("x-sockopt-timeval-and-linger-round-trip", errors::x_sockopt_timeval_and_linger_round_trip);
    r.case("x-recv-truncated-datagram-flag", errors::x_recv_truncated_datagram_flag);
    r.case("x-poll-unknown-tag-and-write-badf", errors::x_poll_unknown_tag_and_write_badf);
    r.case("x-accept-1000-native", listen_accept::x_accept_1000_native);
    fd_errors::register(r);
    pointers::register(r);
    socket_state::register(r);
    shutdown::register(r);
    options::register(r);
    poll_mixed::register(r);
    fuzz_seeds::register(r);
}
