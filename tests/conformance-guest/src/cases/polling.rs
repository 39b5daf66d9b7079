//! §10 checks 19–21 and timer-only polls: `poll_oneoff` returns events in
//! subscription order, reports errors as events without ending the wait, and
//! fires clocks (relative MONOTONIC, absolute REALTIME) no earlier than asked.

use crate::abi::{self, consts::*, errno};
use crate::net::{guest_pair, open};
use crate::poll::{self, Sub, ABSTIME, REALTIME};
use crate::report::{expect_eq, expect_errno, fail, setup, Outcome};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Upper bound for "returns at once" / "about N ms": generous, so a loaded CI
/// machine does not fail a correct host, yet far below the 1 s clocks used.
const PROMPT: Duration = Duration::from_millis(500);

/// Check 19: Zero subscriptions: SUCCESS at once with nevents written as 0 (§8.6).
pub fn c19_poll_zero_subscriptions() -> Outcome {
    let p = poll::poll(&[]);
    expect_errno("poll_oneoff with 0 subscriptions", errno::SUCCESS, p.errno)?;
    expect_eq("nevents", 0, p.events.len())?;
    if p.elapsed > PROMPT {
        return fail("an immediate return", format!("{:?}", p.elapsed));
    }
    Ok(())
}

/// An fd number that is certainly not open: a socket's, after closing it.
fn closed_fd() -> Result<u32, crate::report::Failure> {
    let fd = setup("sock_open", abi::open(AF_INET4, SOCK_STREAM))?;
    abi::close(fd);
    Ok(fd)
}

/// Check 20: [FD_READ on an unknown fd, 20 ms clock]: the error does not end the
/// wait; after ~20 ms two events in subscription order: (BADF, type 1), clock.
pub fn c20_poll_unknown_fd_error_waits_for_clock() -> Outcome {
    let bad = closed_fd()?;
    let p = poll::poll(&[Sub::read(1, bad), Sub::timer(2, Duration::from_millis(20))]);
    expect_errno("poll_oneoff", errno::SUCCESS, p.errno)?;
    let got: Vec<(u64, u16, u8)> = p.events.iter().map(|e| (e.userdata, e.error, e.kind)).collect();
    expect_eq("events (userdata, error, type)", vec![(1, errno::BADF as u16, 1), (2, 0, 0)], got)?;
    if p.elapsed < Duration::from_millis(19) || p.elapsed > PROMPT {
        return fail(
            "a return after about 20 ms (the error must not end the wait)",
            format!("{:?}", p.elapsed),
        );
    }
    Ok(())
}

/// Check 21: A readable socket with a 1 s clock returns at once with one event; a
/// duplicate FD_READ gives EXIST; events follow subscription order, not the
/// order in which the sockets became ready (guest pairs: both sockets are
/// registered by a first poll, then A is made ready before B, and the second
/// poll subscribes B before A).
pub fn c21_poll_ready_socket_duplicate_and_order() -> Outcome {
    let (a_client, a_server) = guest_pair()?;
    let (b_client, b_server) = guest_pair()?;
    let second = Duration::from_secs(1);
    let p = poll::poll(&[
        Sub::read(2, b_server.0),
        Sub::read(1, a_server.0),
        Sub::timer(9, Duration::from_millis(1)),
    ]);
    expect_eq(
        "events while neither socket is readable",
        vec![9],
        p.events.iter().map(|e| e.userdata).collect::<Vec<_>>(),
    )?;
    setup("send to A", abi::send(a_client.0, b"a", 0))?;
    setup("send to B", abi::send(b_client.0, b"b", 0))?;
    let p = poll::poll(&[Sub::read(2, b_server.0), Sub::read(1, a_server.0), Sub::timer(9, second)]);
    let got: Vec<u64> = p.events.iter().map(|e| e.userdata).collect();
    expect_eq("event order (subscription order B, A; A was ready first)", vec![2, 1], got)?;
    let p = poll::poll(&[Sub::read(1, a_server.0), Sub::timer(9, second)]);
    let got: Vec<(u64, u16, u8, u64)> =
        p.events.iter().map(|e| (e.userdata, e.error, e.kind, e.nbytes)).collect();
    expect_eq("events for [READ ready, clock 1 s] (userdata, error, type, nbytes)", vec![(1, 0, 1, 1)], got)?;
    if p.elapsed > PROMPT {
        return fail("an immediate return", format!("{:?}", p.elapsed));
    }
    let p = poll::poll(&[Sub::read(1, a_server.0), Sub::read(2, a_server.0), Sub::timer(9, second)]);
    let got: Vec<(u64, u16)> = p.events.iter().map(|e| (e.userdata, e.error)).collect();
    expect_eq("events for a duplicate FD_READ (userdata, error)", vec![(1, 0), (2, errno::EXIST as u16)], got)
}

/// Extra: polls with clocks only. A 30 ms timer fires no earlier than 30 ms as
/// one clock event; of two timers only the due one is reported; an absolute
/// REALTIME deadline fires; clock id 4 is an INVAL event that does not end
/// the wait.
pub fn x_poll_timers_only() -> Outcome {
    let p = poll::poll(&[Sub::timer(7, Duration::from_millis(30))]);
    let got: Vec<(u64, u16, u8, u64, u16)> =
        p.events.iter().map(|e| (e.userdata, e.error, e.kind, e.nbytes, e.flags)).collect();
    expect_eq("30 ms timer events (userdata, error, type, nbytes, flags)", vec![(7, 0, 0, 0, 0)], got)?;
    if p.elapsed < Duration::from_millis(29) || p.elapsed > PROMPT {
        return fail("a 30 ms timer to fire after 30 ms", format!("{:?}", p.elapsed));
    }
    let p = poll::poll(&[Sub::timer(1, Duration::from_millis(10)), Sub::timer(2, Duration::from_secs(1))]);
    expect_eq(
        "events for [10 ms, 1 s] timers",
        vec![1],
        p.events.iter().map(|e| e.userdata).collect::<Vec<_>>(),
    )?;
    if p.elapsed > PROMPT {
        return fail("the 10 ms timer to end the wait", format!("{:?}", p.elapsed));
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let deadline = (now + Duration::from_millis(20)).as_nanos() as u64;
    let p = poll::poll(&[Sub::clock(3, REALTIME, deadline, ABSTIME), Sub::timer(4, Duration::from_secs(1))]);
    expect_eq(
        "events for an absolute REALTIME deadline 20 ms ahead",
        vec![3],
        p.events.iter().map(|e| e.userdata).collect::<Vec<_>>(),
    )?;
    if p.elapsed > PROMPT {
        return fail("the absolute deadline to end the wait", format!("{:?}", p.elapsed));
    }
    let p = poll::poll(&[Sub::clock(5, 4, 1_000_000, 0), Sub::timer(6, Duration::from_millis(20))]);
    let got: Vec<(u64, u16)> = p.events.iter().map(|e| (e.userdata, e.error)).collect();
    expect_eq(
        "events for [clock id 4, 20 ms timer] (userdata, error)",
        vec![(5, errno::INVAL as u16), (6, 0)],
        got,
    )?;
    open(AF_INET4, SOCK_STREAM).map(drop)
}
