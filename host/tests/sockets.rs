//! The socket ABI against a real kernel, from WAT guests (a subset of §10
//! checks that needs no Rust guest; the full suite is the conformance guest).
//! Each guest check exits with its own code on failure, so a failing test
//! names the check.

mod common;

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::Duration;

use common::socket_wat::socket_guest;
use common::{stderr, Sandbox};

const STANDALONE_CHECKS: &str = r#"
  (data (i32.const 1280) "localhost\00")
  (data (i32.const 1296) "http\00")
  (func (export "_start") (local $fd i32) (local $u i32) (local $t0 i64)
    ;; 1: a TCP socket: filetype 6, flags 0, rights 0xFF800004A twice
    (local.set $fd (call $open (i32.const 1) (i32.const 2)))
    (call $check (call $fdstat (local.get $fd) (i32.const 1088)) (i32.const 0) (i32.const 1))
    (call $check (i32.load8_u (i32.const 1088)) (i32.const 6) (i32.const 2))
    (call $check (i32.load16_u (i32.const 1090)) (i32.const 0) (i32.const 3))
    (call $check64 (i64.load (i32.const 1096)) (i64.const 0xFF800004A) (i32.const 4))
    (call $check64 (i64.load (i32.const 1104)) (i64.const 0xFF800004A) (i32.const 5))
    ;; 2: UDP6 also reports SOCKET_STREAM; SO_TYPE is the WASI type
    (local.set $u (call $open (i32.const 2) (i32.const 1)))
    (call $check (call $fdstat (local.get $u) (i32.const 1088)) (i32.const 0) (i32.const 6))
    (call $check (i32.load8_u (i32.const 1088)) (i32.const 6) (i32.const 7))
    (call $check (call $getopt (local.get $u) (i32.const 1)) (i32.const 1) (i32.const 8))
    (call $check (call $getopt (local.get $fd) (i32.const 1)) (i32.const 2) (i32.const 9))
    ;; 3: bad family / type / AF_UNIX
    (call $check (call $sock_open (i32.const 0) (i32.const 2) (i32.const 1024)) (i32.const 28) (i32.const 13))
    (call $check (call $sock_open (i32.const 1) (i32.const 0) (i32.const 1024)) (i32.const 28) (i32.const 14))
    (call $check (call $sock_open (i32.const 3) (i32.const 2) (i32.const 1024)) (i32.const 52) (i32.const 15))
    ;; 4: SO_REUSEADDR round trip; level 6 and name 15 are INVAL
    (i32.store (i32.const 1184) (i32.const 1))
    (call $check (call $setsockopt (local.get $fd) (i32.const 0) (i32.const 0) (i32.const 1184) (i32.const 4)) (i32.const 0) (i32.const 16))
    (call $check (call $getopt (local.get $fd) (i32.const 0)) (i32.const 1) (i32.const 17))
    (call $check (call $getsockopt (local.get $fd) (i32.const 6) (i32.const 0) (i32.const 1184) (i32.const 1180)) (i32.const 28) (i32.const 18))
    (call $check (call $getsockopt (local.get $fd) (i32.const 0) (i32.const 15) (i32.const 1184) (i32.const 1180)) (i32.const 28) (i32.const 19))
    ;; 6: an 8-byte address is INVAL
    (i32.store (i32.const 1040) (i32.const 1056))
    (i32.store (i32.const 1044) (i32.const 8))
    (call $check (call $sock_bind (local.get $fd) (i32.const 1040) (i32.const 0)) (i32.const 28) (i32.const 21))
    ;; 5: bind 127.0.0.1:0, getlocaladdr gives type 4, 7f000001 and a port
    (call $check (call $sock_bind (local.get $fd) (call $addr4 (i32.const 0x0100007f)) (i32.const 0)) (i32.const 0) (i32.const 22))
    (i32.store (i32.const 1056) (i32.const 0))
    (if (i32.eqz (call $local_port (local.get $fd))) (then (call $exit (i32.const 23))))
    (call $check (i32.load (i32.const 1072)) (i32.const 4) (i32.const 24))
    (call $check (i32.load (i32.const 1056)) (i32.const 0x0100007f) (i32.const 25))
    ;; 7: listen, NONBLOCK, accept gives AGAIN, flags replace, bad flags
    (call $check (call $sock_listen (local.get $fd) (i32.const 128)) (i32.const 0) (i32.const 27))
    (call $check (call $set_flags (local.get $fd) (i32.const 4)) (i32.const 0) (i32.const 28))
    (call $check (call $flags_of (local.get $fd)) (i32.const 4) (i32.const 29))
    (call $check (call $sock_accept (local.get $fd) (i32.const 1024)) (i32.const 6) (i32.const 30))
    (call $check (call $set_flags (local.get $fd) (i32.const 0)) (i32.const 0) (i32.const 31))
    (call $check (call $flags_of (local.get $fd)) (i32.const 0) (i32.const 32))
    (call $check (call $set_flags (local.get $fd) (i32.const 32)) (i32.const 28) (i32.const 33))
    (call $check (call $set_flags (local.get $fd) (i32.const 2)) (i32.const 76) (i32.const 34))
    ;; 14: peer of a listener, IPv6 into 4 bytes, a 5-byte buffer
    (i32.store (i32.const 1044) (i32.const 16))
    (call $check (call $getpeeraddr (local.get $fd) (i32.const 1040) (i32.const 1072) (i32.const 1076)) (i32.const 53) (i32.const 35))
    (local.set $u (call $open (i32.const 2) (i32.const 2)))
    (i32.store (i32.const 1044) (i32.const 4))
    (call $check (call $getlocaladdr (local.get $u) (i32.const 1040) (i32.const 1072) (i32.const 1076)) (i32.const 48) (i32.const 36))
    (i32.store (i32.const 1044) (i32.const 5))
    (call $check (call $getlocaladdr (local.get $u) (i32.const 1040) (i32.const 1072) (i32.const 1076)) (i32.const 28) (i32.const 37))
    ;; 13: shutdown of an unconnected socket, bad how
    (call $check (call $sock_shutdown (local.get $u) (i32.const 2)) (i32.const 53) (i32.const 38))
    (call $check (call $sock_shutdown (local.get $u) (i32.const 4)) (i32.const 28) (i32.const 39))
    ;; 9: bad send/recv flags, too many iovecs
    (call $check (call $sock_send (local.get $u) (i32.const 1160) (i32.const 1) (i32.const 1) (i32.const 1168)) (i32.const 28) (i32.const 40))
    (call $check (call $sock_recv (local.get $u) (i32.const 1120) (i32.const 1) (i32.const 4) (i32.const 1136) (i32.const 1140)) (i32.const 28) (i32.const 41))
    (call $check (call $sock_recv (local.get $u) (i32.const 1120) (i32.const 1025) (i32.const 0) (i32.const 1136) (i32.const 1140)) (i32.const 28) (i32.const 42))
    ;; out-of-bounds pointers are FAULT, never a crash
    (call $check (call $sock_recv (local.get $u) (i32.const 0x7FFFFFF0) (i32.const 4) (i32.const 0) (i32.const 1136) (i32.const 1140)) (i32.const 21) (i32.const 60))
    (call $check (call $sock_open (i32.const 1) (i32.const 2) (i32.const 0xFFFFFFFC)) (i32.const 21) (i32.const 61))
    ;; 22: misaligned out-pointers are ADDRNOTAVAIL, no trap
    (call $check (call $sock_open (i32.const 1) (i32.const 2) (i32.const 1025)) (i32.const 4) (i32.const 43))
    (call $check (call $sock_accept (local.get $fd) (i32.const 1026)) (i32.const 4) (i32.const 44))
    ;; 23: close, close again, recv on the closed fd, recv on stdout
    (call $check (call $fd_close (local.get $u)) (i32.const 0) (i32.const 45))
    (call $check (call $fd_close (local.get $u)) (i32.const 8) (i32.const 46))
    (call $check (call $recv (local.get $u)) (i32.const 8) (i32.const 47))
    (call $check (call $recv (i32.const 1)) (i32.const 57) (i32.const 48))
    ;; 19: no subscriptions returns at once with 0 events
    (i32.store (i32.const 1176) (i32.const 77))
    (call $check (call $poll (i32.const 2048) (i32.const 4096) (i32.const 0) (i32.const 1176)) (i32.const 0) (i32.const 49))
    (call $check (i32.load (i32.const 1176)) (i32.const 0) (i32.const 50))
    ;; 20: an error event does not end the wait; events in subscription order
    (call $sub_fd (i32.const 0) (i32.const 1) (i32.const 9999) (i64.const 11))
    (call $sub_clock (i32.const 1) (i32.const 1) (i64.const 20000000) (i32.const 0) (i64.const 22))
    (local.set $t0 (call $now))
    (call $check (call $poll_n (i32.const 2)) (i32.const 2) (i32.const 51))
    (if (i64.lt_u (i64.sub (call $now) (local.get $t0)) (i64.const 19000000)) (then (call $exit (i32.const 52))))
    (call $check64 (call $ev_ud (i32.const 0)) (i64.const 11) (i32.const 53))
    (call $check (call $ev_err (i32.const 0)) (i32.const 8) (i32.const 54))
    (call $check (call $ev_type (i32.const 0)) (i32.const 1) (i32.const 55))
    (call $check64 (call $ev_ud (i32.const 1)) (i64.const 22) (i32.const 56))
    (call $check (call $ev_type (i32.const 1)) (i32.const 0) (i32.const 57))
    (call $check (call $ev_err (i32.const 1)) (i32.const 0) (i32.const 58))
    ;; 16: getaddrinfo argument errors
    (i32.store8 (i32.const 1314) (i32.const 1))
    (i32.store8 (i32.const 1315) (i32.const 2))
    (i32.store8 (i32.const 1316) (i32.const 1))
    (i32.store (i32.const 1344) (i32.const 1408))
    (call $check (call $getaddrinfo (i32.const 1280) (i32.const 10) (i32.const 1296) (i32.const 5) (i32.const 1312) (i32.const 1344) (i32.const 0) (i32.const 1348)) (i32.const 82) (i32.const 70))
    (call $check (call $getaddrinfo (i32.const 1280) (i32.const 0) (i32.const 1296) (i32.const 0) (i32.const 1312) (i32.const 1344) (i32.const 2) (i32.const 1348)) (i32.const 84) (i32.const 71))
    (i32.store8 (i32.const 1316) (i32.const 9))
    (call $check (call $getaddrinfo (i32.const 1280) (i32.const 10) (i32.const 1296) (i32.const 5) (i32.const 1312) (i32.const 1344) (i32.const 2) (i32.const 1348)) (i32.const 52) (i32.const 72))
    (i32.store8 (i32.const 1316) (i32.const 1))
    ;; 15: localhost/http into two preallocated records
    (i32.store (i32.const 1420) (i32.const 1472))
    (i32.store (i32.const 1424) (i32.const 1520))
    (i32.store (i32.const 1432) (i32.const 1440))
    (i32.store (i32.const 1452) (i32.const 1488))
    (i32.store (i32.const 1456) (i32.const 1520))
    (i32.store (i32.const 1476) (i32.const 14))
    (i32.store (i32.const 1480) (i32.const 1536))
    (i32.store (i32.const 1492) (i32.const 14))
    (i32.store (i32.const 1496) (i32.const 1568))
    (call $check (call $getaddrinfo (i32.const 1280) (i32.const 10) (i32.const 1296) (i32.const 5) (i32.const 1312) (i32.const 1344) (i32.const 2) (i32.const 1348)) (i32.const 0) (i32.const 73))
    (if (i32.eqz (i32.load (i32.const 1348))) (then (call $exit (i32.const 74))))
    (call $check (i32.load8_u (i32.const 1410)) (i32.const 1) (i32.const 75))
    (call $check (i32.load8_u (i32.const 1411)) (i32.const 2) (i32.const 76))
    (call $check (i32.load8_u (i32.const 1412)) (i32.const 1) (i32.const 77))
    (call $check (i32.load (i32.const 1416)) (i32.const 16) (i32.const 78))
    (call $check (i32.load8_u (i32.const 1472)) (i32.const 1) (i32.const 79))
    (call $check (i32.load (i32.const 1476)) (i32.const 14) (i32.const 80))
    (call $check (i32.load (i32.const 1536)) (i32.const 0x007f5000) (i32.const 81))
    (call $check (i32.load (i32.const 1540)) (i32.const 0x00000100) (i32.const 82))
    (call $check64 (i64.load (i32.const 1542)) (i64.const 0) (i32.const 83))
    (call $check (i32.load (i32.const 1344)) (i32.const 1408) (i32.const 84))
    (call $check (i32.load (i32.const 1420)) (i32.const 1472) (i32.const 85))
    (call $check (i32.load (i32.const 1432)) (i32.const 1440) (i32.const 86))
    (call $check (i32.load (i32.const 1480)) (i32.const 1536) (i32.const 87)))
"#;

#[test]
fn socket_calls_validate_and_fail_like_wasmedge() {
    let sb = Sandbox::new();
    let m = sb.module("standalone", &socket_guest(STANDALONE_CHECKS));
    let out = sb.run(&["run", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "failed check = exit code; stderr: {}", stderr(&out));
}

#[test]
fn misaligned_pointers_in_standard_functions_are_addrnotavail_like_0_17() {
    // WasmEdge 0.17.x returns ADDRNOTAVAIL (4) instead of trapping, before
    // looking at the descriptor or at memory bounds.
    let sb = Sandbox::new();
    for (name, call) in [
        ("fdstat", "(call $fdstat (i32.const 1) (i32.const 1028))"),
        ("fdstat_bad_fd", "(call $fdstat (i32.const 999) (i32.const 1028))"),
        ("poll", "(call $poll (i32.const 2052) (i32.const 4096) (i32.const 1) (i32.const 1176))"),
        ("poll_nevents", "(call $poll (i32.const 2048) (i32.const 4096) (i32.const 0) (i32.const 1178))"),
    ] {
        let body = format!(r#"(func (export "_start") (call $check {call} (i32.const 4) (i32.const 1)))"#);
        let m = sb.module(name, &socket_guest(&body));
        let out = sb.run(&["run", m.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
    }
}

#[test]
fn so_type_into_a_short_buffer_gives_the_translated_bytes_that_fit() {
    // WasmEdge 0.17.0 crashes here; edge-host translates (UDP is WASI type 1,
    // Linux 2), then writes as many bytes as the kernel would.
    let sb = Sandbox::new();
    let body = r#"(func (export "_start") (local $fd i32)
      (local.set $fd (call $open (i32.const 1) (i32.const 1)))
      (i32.store (i32.const 1180) (i32.const 2))
      (i32.store (i32.const 1184) (i32.const 0xAAAAAAAA))
      (call $check (call $getsockopt (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 1184) (i32.const 1180)) (i32.const 0) (i32.const 1))
      (call $check (i32.load (i32.const 1180)) (i32.const 2) (i32.const 2))
      (call $check (i32.load (i32.const 1184)) (i32.const 0xAAAA0001) (i32.const 3)))"#;
    let m = sb.module("so_type_short", &socket_guest(body));
    let out = sb.run(&["run", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "failed check = exit code; stderr: {}", stderr(&out));
}

const TCP_SESSION: &str = r#"
  (data (i32.const 1300) "ok!")
  (func (export "_start") (local $l i32) (local $c i32) (local $t0 i64) (local $closed i32)
    ;; a free port for the refused-connect checks
    (local.set $c (call $open (i32.const 1) (i32.const 2)))
    (call $check (call $sock_bind (local.get $c) (call $addr4 (i32.const 0x0100007f)) (i32.const 0)) (i32.const 0) (i32.const 1))
    (local.set $closed (call $local_port (local.get $c)))
    (drop (call $fd_close (local.get $c)))
    ;; listener; tell the test its port
    (local.set $l (call $open (i32.const 1) (i32.const 2)))
    (call $check (call $sock_bind (local.get $l) (call $addr4 (i32.const 0x0100007f)) (i32.const 0)) (i32.const 0) (i32.const 2))
    (call $check (call $sock_listen (local.get $l) (i32.const 128)) (i32.const 0) (i32.const 3))
    (call $check (call $set_flags (local.get $l) (i32.const 4)) (i32.const 0) (i32.const 4))
    (call $print_u32 (call $local_port (local.get $l)))
    ;; 8: READ on the listener: type 1, error 0, flags 0, nbytes 0
    (call $sub_fd (i32.const 0) (i32.const 1) (local.get $l) (i64.const 7))
    (call $check (call $poll_n (i32.const 1)) (i32.const 1) (i32.const 5))
    (call $check (call $ev_type (i32.const 0)) (i32.const 1) (i32.const 6))
    (call $check (call $ev_err (i32.const 0)) (i32.const 0) (i32.const 7))
    (call $check (call $ev_flags (i32.const 0)) (i32.const 0) (i32.const 8))
    (call $check64 (call $ev_nbytes (i32.const 0)) (i64.const 0) (i32.const 9))
    (call $check (call $sock_accept (local.get $l) (i32.const 1024)) (i32.const 0) (i32.const 10))
    (local.set $c (i32.load (i32.const 1024)))
    (call $check (call $flags_of (local.get $c)) (i32.const 0) (i32.const 11))
    (call $check64 (i64.load (i32.const 1096)) (i64.const 0xF1800004A) (i32.const 12))
    (i32.store (i32.const 1044) (i32.const 16))
    (call $check (call $getpeeraddr (local.get $c) (i32.const 1040) (i32.const 1072) (i32.const 1076)) (i32.const 0) (i32.const 13))
    (call $check (i32.load (i32.const 1072)) (i32.const 4) (i32.const 14))
    (call $print_u32 (i32.load (i32.const 1076)))
    ;; 9: no data yet on a non-blocking socket
    (call $check (call $set_flags (local.get $c) (i32.const 4)) (i32.const 0) (i32.const 15))
    (call $check (call $recv (local.get $c)) (i32.const 6) (i32.const 16))
    (call $print_u32 (i32.const 1))
    ;; 21: readable socket + 1 s clock: returns at once with only the read
    (call $sub_fd (i32.const 0) (i32.const 1) (local.get $c) (i64.const 1))
    (call $sub_clock (i32.const 1) (i32.const 1) (i64.const 1000000000) (i32.const 0) (i64.const 2))
    (local.set $t0 (call $now))
    (call $check (call $poll_n (i32.const 2)) (i32.const 1) (i32.const 17))
    (if (i64.gt_u (i64.sub (call $now) (local.get $t0)) (i64.const 500000000)) (then (call $exit (i32.const 18))))
    (call $check64 (call $ev_ud (i32.const 0)) (i64.const 1) (i32.const 19))
    (call $check (call $ev_flags (i32.const 0)) (i32.const 0) (i32.const 20))
    (call $check64 (call $ev_nbytes (i32.const 0)) (i64.const 1) (i32.const 21))
    ;; duplicate READ subscription: second event is EXIST, in subscription order
    (call $sub_fd (i32.const 0) (i32.const 1) (local.get $c) (i64.const 1))
    (call $sub_fd (i32.const 1) (i32.const 1) (local.get $c) (i64.const 2))
    (call $check (call $poll_n (i32.const 2)) (i32.const 2) (i32.const 22))
    (call $check64 (call $ev_ud (i32.const 0)) (i64.const 1) (i32.const 23))
    (call $check (call $ev_err (i32.const 0)) (i32.const 0) (i32.const 24))
    (call $check64 (call $ev_ud (i32.const 1)) (i64.const 2) (i32.const 25))
    (call $check (call $ev_err (i32.const 1)) (i32.const 20) (i32.const 26))
    ;; 10: the two bytes, a reply, then the orderly close
    (call $check (call $recv (local.get $c)) (i32.const 0) (i32.const 27))
    (call $check (i32.load (i32.const 1136)) (i32.const 2) (i32.const 28))
    (call $check (i32.load16_u (i32.const 1200)) (i32.const 0x6968) (i32.const 29))
    (call $check (call $send (local.get $c) (i32.const 1300) (i32.const 3)) (i32.const 0) (i32.const 30))
    (call $check (i32.load (i32.const 1168)) (i32.const 3) (i32.const 31))
    (call $print_u32 (i32.const 2))
    (call $sub_fd (i32.const 0) (i32.const 1) (local.get $c) (i64.const 1))
    (call $check (call $poll_n (i32.const 1)) (i32.const 1) (i32.const 32))
    (call $check (call $ev_flags (i32.const 0)) (i32.const 0) (i32.const 33))
    (i32.store16 (i32.const 1140) (i32.const 0xFFFF))
    (call $check (call $recv (local.get $c)) (i32.const 0) (i32.const 34))
    (call $check (i32.load (i32.const 1136)) (i32.const 0) (i32.const 35))
    (call $check (i32.load16_u (i32.const 1140)) (i32.const 0) (i32.const 36))
    ;; 13: how = 0 acts as SHUT_RD on a connected socket
    (call $check (call $sock_shutdown (local.get $c) (i32.const 0)) (i32.const 0) (i32.const 37))
    (call $check (call $fd_close (local.get $c)) (i32.const 0) (i32.const 38))
    ;; 12: non-blocking connect to a closed port: INPROGRESS, then HANGUP
    ;; with error 0 on WRITE and READ, SO_ERROR 14 once
    (local.set $c (call $open (i32.const 1) (i32.const 2)))
    (call $check (call $set_flags (local.get $c) (i32.const 4)) (i32.const 0) (i32.const 40))
    (call $check (call $sock_connect (local.get $c) (call $addr4 (i32.const 0x0100007f)) (local.get $closed)) (i32.const 26) (i32.const 41))
    (call $sub_fd (i32.const 0) (i32.const 2) (local.get $c) (i64.const 5))
    (call $sub_fd (i32.const 1) (i32.const 1) (local.get $c) (i64.const 6))
    (call $check (call $poll_n (i32.const 2)) (i32.const 2) (i32.const 42))
    (call $check (call $ev_type (i32.const 0)) (i32.const 2) (i32.const 43))
    (call $check (call $ev_err (i32.const 0)) (i32.const 0) (i32.const 44))
    (call $check (call $ev_flags (i32.const 0)) (i32.const 1) (i32.const 45))
    (call $check (call $ev_type (i32.const 1)) (i32.const 1) (i32.const 46))
    (call $check (call $ev_flags (i32.const 1)) (i32.const 1) (i32.const 47))
    (call $check (call $getopt (local.get $c) (i32.const 2)) (i32.const 14) (i32.const 48))
    (call $check (call $getopt (local.get $c) (i32.const 2)) (i32.const 0) (i32.const 49))
    ;; a blocking connect to the closed port fails with CONNREFUSED
    (local.set $c (call $open (i32.const 1) (i32.const 2)))
    (call $check (call $sock_connect (local.get $c) (call $addr4 (i32.const 0x0100007f)) (local.get $closed)) (i32.const 14) (i32.const 50)))
"#;

#[test]
fn tcp_session_with_a_native_peer() {
    let sb = Sandbox::new();
    let m = sb.module("tcp", &socket_guest(TCP_SESSION));
    let mut server = sb.spawn(&["run", m.to_str().unwrap()]);
    let port: u16 = server.read_line().parse().expect("guest port");
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    client.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let peer_port: u16 = server.read_line().parse().expect("peer port");
    assert_eq!(peer_port, client.local_addr().unwrap().port());
    assert_eq!(server.read_line(), "1");
    client.write_all(b"hi").unwrap();
    let mut reply = [0u8; 3];
    client.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"ok!");
    assert_eq!(server.read_line(), "2");
    client.shutdown(std::net::Shutdown::Write).unwrap();
    let code = server.wait_exit(Duration::from_secs(10));
    assert_eq!(code, Some(0), "failed check = exit code; stderr: {}", server.stderr());
}

const UDP_SESSION: &str = r#"
  (data (i32.const 1300) "pong")
  (func (export "_start") (local $u i32) (local $p i32)
    (local.set $u (call $open (i32.const 1) (i32.const 1)))
    (call $check (call $sock_bind (local.get $u) (call $addr4 (i32.const 0x0100007f)) (i32.const 0)) (i32.const 0) (i32.const 1))
    (call $print_u32 (call $local_port (local.get $u)))
    ;; 17: recv_from V2 into a 128-byte storage buffer at 1600
    (i32.store (i32.const 1120) (i32.const 1200))
    (i32.store (i32.const 1124) (i32.const 64))
    (i32.store (i32.const 1040) (i32.const 1600))
    (i32.store (i32.const 1044) (i32.const 128))
    (i32.store (i32.const 1184) (i32.const 0))
    (call $check (call $recv_from (local.get $u) (i32.const 1120) (i32.const 1) (i32.const 1040) (i32.const 0) (i32.const 1184) (i32.const 1136) (i32.const 1140)) (i32.const 0) (i32.const 2))
    (call $print_u32 (i32.load (i32.const 1136)))
    (call $print_u32 (i32.load16_u (i32.const 1600)))
    (call $print_u32 (i32.load (i32.const 1602)))
    (local.set $p (i32.load (i32.const 1184)))
    (call $print_u32 (local.get $p))
    ;; 18: reply with send_to, undoing the byte swap of the reported port
    (local.set $p (i32.or (i32.shl (i32.and (local.get $p) (i32.const 0xff)) (i32.const 8)) (i32.shr_u (local.get $p) (i32.const 8))))
    (i32.store (i32.const 1160) (i32.const 1300))
    (i32.store (i32.const 1164) (i32.const 4))
    (call $check (call $send_to (local.get $u) (i32.const 1160) (i32.const 1) (call $addr4 (i32.const 0x0100007f)) (local.get $p) (i32.const 0) (i32.const 1168)) (i32.const 0) (i32.const 3))
    (call $check (i32.load (i32.const 1168)) (i32.const 4) (i32.const 4)))
"#;

#[test]
fn udp_recv_from_v2_reports_the_swapped_port_and_send_to_replies() {
    let sb = Sandbox::new();
    let m = sb.module("udp", &socket_guest(UDP_SESSION));
    let mut server = sb.spawn(&["run", m.to_str().unwrap()]);
    let port: u16 = server.read_line().parse().expect("guest port");
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let my_port = peer.local_addr().unwrap().port();
    peer.send_to(b"dgram", ("127.0.0.1", port)).unwrap();
    assert_eq!(server.read_line(), "5", "bytes received");
    assert_eq!(server.read_line(), "1", "family INET4 at [0..2]");
    assert_eq!(server.read_line(), u32::from_le_bytes([127, 0, 0, 1]).to_string());
    assert_eq!(server.read_line(), my_port.swap_bytes().to_string(), "WasmEdge bug #2491");
    let mut buf = [0u8; 8];
    let (n, from) = peer.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"pong");
    assert_eq!(from.port(), port);
    assert_eq!(server.wait_exit(Duration::from_secs(10)), Some(0), "{}", server.stderr());
}

const SEND_AFTER_RESET: &str = r#"
  (func (export "_start") (local $l i32) (local $c i32) (local $r i32) (local $i i32)
    (local.set $l (call $open (i32.const 1) (i32.const 2)))
    (call $check (call $sock_bind (local.get $l) (call $addr4 (i32.const 0x0100007f)) (i32.const 0)) (i32.const 0) (i32.const 1))
    (call $check (call $sock_listen (local.get $l) (i32.const 8)) (i32.const 0) (i32.const 2))
    (call $print_u32 (call $local_port (local.get $l)))
    (call $check (call $sock_accept (local.get $l) (i32.const 1024)) (i32.const 0) (i32.const 3))
    (local.set $c (i32.load (i32.const 1024)))
    (call $print_u32 (i32.const 1))
    ;; the peer resets; keep sending 64 KiB until the kernel reports it
    (loop $again
      (local.set $r (call $send (local.get $c) (i32.const 8192) (i32.const 65536)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (if (i32.eqz (local.get $r))
        (then (br_if $again (i32.lt_u (local.get $i) (i32.const 100000))))))
    (call $exit (local.get $r)))
"#;

#[test]
fn sending_to_a_reset_peer_returns_an_errno_and_the_host_survives() {
    let sb = Sandbox::new();
    let m = sb.module("reset", &socket_guest(SEND_AFTER_RESET));
    let mut server = sb.spawn(&["run", m.to_str().unwrap()]);
    let port: u16 = server.read_line().parse().expect("guest port");
    let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    assert_eq!(server.read_line(), "1");
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: setting SO_LINGER {1, 0} on our own socket, so close sends RST.
    let rc = unsafe {
        libc::setsockopt(
            client.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0);
    drop(client);
    let code = server.wait_exit(Duration::from_secs(10));
    assert!(
        matches!(code, Some(15) | Some(64)),
        "expected CONNRESET or PIPE, got {code:?}: {}",
        server.stderr()
    );
}
