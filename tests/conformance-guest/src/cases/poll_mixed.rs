//! `poll_oneoff` with mixed and duplicate subscriptions: read and write on one
//! fd, the same fd twice, clocks next to fds, bad clock ids and flags, unknown
//! tags, a file that epoll refuses, and arrays that are empty or misplaced.
//! Only (userdata, error, type, flags) and nbytes where the ABI fixes it are
//! compared; times are bounds, never exact values.

use super::raw::{closed_fd, FAR, FILE_FD};
use crate::abi::{self, errno, Aligned};
use crate::net::{guest_pair, listener};
use crate::poll::{self, Sub, ABSTIME, MONOTONIC, REALTIME};
use crate::report::{expect_eq, expect_errno, fail, observe, setup, Outcome, Reporter};
use std::time::Duration;

const EXIST: u16 = errno::EXIST as u16;
const INVAL: u16 = errno::INVAL as u16;
const BADF: u16 = errno::BADF as u16;
const PERM: u16 = 63;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// (userdata, error, type, flags) of each event.
fn summary(p: &poll::Polled) -> Vec<(u64, u16, u8, u16)> {
    p.events.iter().map(|e| (e.userdata, e.error, e.kind, e.flags)).collect()
}

/// Polls `subs` and compares the event summary; the call must succeed.
fn expect_events(
    subs: &[Sub],
    want: Vec<(u64, u16, u8, u16)>,
) -> Result<poll::Polled, crate::report::Failure> {
    let p = poll::poll(subs);
    expect_errno("poll_oneoff", errno::SUCCESS, p.errno)?;
    let got = summary(&p);
    observe("events (userdata, error, type, flags)", &got);
    expect_eq("events (userdata, error, type, flags)", want, got)?;
    Ok(p)
}

fn read_and_write_same_fd() -> Outcome {
    let (c, s) = guest_pair()?;
    setup("send 1 byte", abi::send(c.0, b"x", 0))?;
    let _ = poll::wait_readable(s.0, ms(2000));
    let p = expect_events(
        &[Sub::read(1, s.0), Sub::write(2, s.0), Sub::timer(3, ms(1000))],
        vec![(1, 0, 1, 0), (2, 0, 2, 0)],
    )?;
    expect_eq("FD_READ nbytes", 1, p.events.first().map_or(0, |e| e.nbytes))
}

fn write_twice_same_fd() -> Outcome {
    let (c, _s) = guest_pair()?;
    expect_events(&[Sub::write(1, c.0), Sub::write(2, c.0)], vec![(1, 0, 2, 0), (2, EXIST, 2, 0)]).map(|_| ())
}

fn read_twice_write_once() -> Outcome {
    let (c, s) = guest_pair()?;
    setup("send 1 byte", abi::send(c.0, b"x", 0))?;
    let _ = poll::wait_readable(s.0, ms(2000));
    expect_events(
        &[Sub::read(1, s.0), Sub::read(2, s.0), Sub::write(3, s.0)],
        vec![(1, 0, 1, 0), (2, EXIST, 1, 0), (3, 0, 2, 0)],
    )
    .map(|_| ())
}

fn clock_and_idle_fd() -> Outcome {
    let (_c, s) = guest_pair()?;
    let p = expect_events(&[Sub::read(1, s.0), Sub::timer(2, ms(20))], vec![(2, 0, 0, 0)])?;
    if p.elapsed < ms(19) {
        return fail("the wait to last until the 20 ms clock", format!("{:?}", p.elapsed));
    }
    Ok(())
}

fn two_clocks_first_fires() -> Outcome {
    expect_events(&[Sub::timer(1, ms(2000)), Sub::timer(2, ms(10))], vec![(2, 0, 0, 0)]).map(|_| ())
}

fn bad_clock_id_and_flags() -> Outcome {
    expect_events(
        &[Sub::clock(1, 4, 1_000, 0), Sub::clock(2, MONOTONIC, 1_000, 2), Sub::timer(3, ms(10))],
        vec![(1, INVAL, 0, 0), (2, INVAL, 0, 0), (3, 0, 0, 0)],
    )
    .map(|_| ())
}

fn abstime_in_past() -> Outcome {
    expect_events(&[Sub::clock(1, REALTIME, 1, ABSTIME), Sub::timer(2, ms(2000))], vec![(1, 0, 0, 0)])
        .map(|_| ())
}

fn unknown_tags() -> Outcome {
    let mut a = Sub::timer(1, ms(1));
    a.set_tag(3);
    let mut b = Sub::timer(2, ms(1));
    b.set_tag(255);
    expect_events(&[a, b, Sub::timer(3, ms(10))], vec![(1, INVAL, 3, 0), (2, INVAL, 255, 0), (3, 0, 0, 0)])
        .map(|_| ())
}

fn file_fd_refused() -> Outcome {
    expect_events(&[Sub::read(1, FILE_FD), Sub::timer(2, ms(10))], vec![(1, PERM, 1, 0), (2, 0, 0, 0)])
        .map(|_| ())
}

/// A fresh TCP socket is EPOLLOUT|EPOLLHUP: FD_WRITE completes with HANGUP;
/// FD_READ does not (only EPOLLIN, or HUP without IN and OUT, completes it).
fn fresh_socket_read_and_write() -> Outcome {
    let fd = crate::net::open(abi::consts::AF_INET4, abi::consts::SOCK_STREAM)?;
    expect_events(&[Sub::write(1, fd.0), Sub::read(2, fd.0), Sub::timer(3, ms(2000))], vec![(1, 0, 2, 1)])
        .map(|_| ())
}

/// A subscription epoll refused is not registered, so the same fd again is
/// refused again (PERM), not a duplicate (EXIST).
fn file_fd_twice() -> Outcome {
    expect_events(
        &[Sub::read(1, FILE_FD), Sub::read(2, FILE_FD), Sub::timer(3, ms(10))],
        vec![(1, PERM, 1, 0), (2, PERM, 1, 0), (3, 0, 0, 0)],
    )
    .map(|_| ())
}

fn closed_fd_next_to_ready() -> Outcome {
    let bad = closed_fd()?;
    let (c, _s) = guest_pair()?;
    expect_events(&[Sub::read(1, bad), Sub::write(2, c.0)], vec![(1, BADF, 1, 0), (2, 0, 2, 0)]).map(|_| ())
}

fn idle_listener_read_write() -> Outcome {
    let (lst, _) = listener(false)?;
    expect_events(&[Sub::read(1, lst.0), Sub::write(2, lst.0), Sub::timer(3, ms(10))], vec![(3, 0, 0, 0)])
        .map(|_| ())
}

fn zero_subs_out_of_bounds_arrays() -> Outcome {
    let mut n = Aligned([0xEEu8; 4]);
    let rc = unsafe { abi::poll_oneoff(FAR as *const u8, FAR as *mut u8, 0, n.0.as_mut_ptr()) };
    expect_errno("poll_oneoff(0 subscriptions, arrays out of bounds)", errno::SUCCESS, rc)?;
    expect_eq("nevents", [0u8; 4], n.0)
}

/// Registers `x-pollmix-*`.
pub fn register(r: &mut Reporter) {
    r.case("x-pollmix-read-and-write-same-fd", read_and_write_same_fd);
    r.case("x-pollmix-write-twice-same-fd", write_twice_same_fd);
    r.case("x-pollmix-read-twice-write-once", read_twice_write_once);
    r.case("x-pollmix-clock-and-idle-fd", clock_and_idle_fd);
    r.case("x-pollmix-two-clocks-first-fires", two_clocks_first_fires);
    r.case("x-pollmix-bad-clock-id-and-flags", bad_clock_id_and_flags);
    r.case("x-pollmix-abstime-in-past", abstime_in_past);
    r.case("x-pollmix-unknown-tags", unknown_tags);
    r.case("x-pollmix-file-fd-refused-by-epoll", file_fd_refused);
    r.case("x-pollmix-closed-fd-next-to-ready", closed_fd_next_to_ready);
    r.case("x-pollmix-fresh-socket-read-and-write", fresh_socket_read_and_write);
    r.case("x-pollmix-file-fd-twice-refused-twice", file_fd_twice);
    r.case("x-pollmix-idle-listener-read-write", idle_listener_read_write);
    r.case("x-pollmix-zero-subscriptions-oob-arrays", zero_subs_out_of_bounds_arrays);
}
