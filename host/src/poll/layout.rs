//! The memory layout of `__wasi_subscription_t` (48 bytes) and
//! `__wasi_event_t` (32 bytes), §8.

use crate::abi::{eventtype, EVENT_SIZE, SUBSCRIPTION_SIZE};
use crate::errno::Errno;
use crate::guest_memory::GuestMemory;

/// One decoded subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subscription {
    Clock {
        userdata: u64,
        id: u32,
        timeout: u64,
        flags: u16,
    },
    FdRead {
        userdata: u64,
        fd: i32,
    },
    FdWrite {
        userdata: u64,
        fd: i32,
    },
    /// A tag that is none of the three; reported as an `INVAL` event whose
    /// type is the raw tag.
    Unknown {
        userdata: u64,
        tag: u8,
    },
}

/// Reads subscription `index` of the array at `base` (already bounds checked
/// as a whole by the caller).
pub fn read_subscription(mem: &GuestMemory, base: u32, index: u32) -> Result<Subscription, Errno> {
    let at = base + index * SUBSCRIPTION_SIZE;
    let userdata = mem.read_u64(at)?;
    let tag = mem.read_u8(at + 8)?;
    Ok(match tag {
        eventtype::CLOCK => Subscription::Clock {
            userdata,
            id: mem.read_u32(at + 16)?,
            timeout: mem.read_u64(at + 24)?,
            flags: mem.read_u16(at + 40)?,
        },
        eventtype::FD_READ => Subscription::FdRead { userdata, fd: mem.read_u32(at + 16)? as i32 },
        eventtype::FD_WRITE => Subscription::FdWrite { userdata, fd: mem.read_u32(at + 16)? as i32 },
        tag => Subscription::Unknown { userdata, tag },
    })
}

/// One event to report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Event {
    pub userdata: u64,
    pub error: u16,
    pub kind: u8,
    pub nbytes: u64,
    pub flags: u16,
}

/// Writes `event` in full (all 32 bytes, padding zeroed) as entry `index`.
pub fn write_event(mem: &mut GuestMemory, base: u32, index: u32, event: &Event) -> Result<(), Errno> {
    let mut raw = [0u8; EVENT_SIZE as usize];
    raw[0..8].copy_from_slice(&event.userdata.to_le_bytes());
    raw[8..10].copy_from_slice(&event.error.to_le_bytes());
    raw[10] = event.kind;
    raw[16..24].copy_from_slice(&event.nbytes.to_le_bytes());
    raw[24..26].copy_from_slice(&event.flags.to_le_bytes());
    mem.write_bytes(base + index * EVENT_SIZE, &raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscription(userdata: u64, tag: u8, body: &[(usize, &[u8])]) -> [u8; 48] {
        let mut raw = [0u8; 48];
        raw[0..8].copy_from_slice(&userdata.to_le_bytes());
        raw[8] = tag;
        for (at, bytes) in body {
            raw[*at..*at + bytes.len()].copy_from_slice(bytes);
        }
        raw
    }

    #[test]
    fn decodes_clock_and_fd_subscriptions() {
        let mut raw = vec![0u8; 256];
        let clock = subscription(
            u64::MAX,
            0,
            &[
                (16, &1u32.to_le_bytes()),
                (24, &10_000_000u64.to_le_bytes()),
                (32, &1_000_000u64.to_le_bytes()),
                (40, &1u16.to_le_bytes()),
            ],
        );
        let read = subscription(7, 1, &[(16, &9u32.to_le_bytes())]);
        let write = subscription(8, 2, &[(16, &10u32.to_le_bytes())]);
        let odd = subscription(9, 5, &[]);
        for (i, s) in [clock, read, write, odd].iter().enumerate() {
            raw[16 + i * 48..16 + (i + 1) * 48].copy_from_slice(s);
        }
        let mem = GuestMemory::new(&mut raw);
        assert_eq!(
            read_subscription(&mem, 16, 0),
            Ok(Subscription::Clock { userdata: u64::MAX, id: 1, timeout: 10_000_000, flags: 1 })
        );
        assert_eq!(read_subscription(&mem, 16, 1), Ok(Subscription::FdRead { userdata: 7, fd: 9 }));
        assert_eq!(read_subscription(&mem, 16, 2), Ok(Subscription::FdWrite { userdata: 8, fd: 10 }));
        assert_eq!(read_subscription(&mem, 16, 3), Ok(Subscription::Unknown { userdata: 9, tag: 5 }));
    }

    #[test]
    fn events_are_written_in_full_with_zero_padding() {
        let mut raw = vec![0xFFu8; 96];
        let mut mem = GuestMemory::new(&mut raw);
        let event = Event { userdata: 0x0102_0304_0506_0708, error: 20, kind: 1, nbytes: 1, flags: 1 };
        write_event(&mut mem, 0, 1, &event).unwrap();
        assert_eq!(&raw[32..40], &0x0102_0304_0506_0708u64.to_le_bytes());
        assert_eq!(&raw[40..42], &[20, 0]);
        assert_eq!(raw[42], 1);
        assert_eq!(&raw[43..48], &[0; 5]);
        assert_eq!(&raw[48..56], &1u64.to_le_bytes());
        assert_eq!(&raw[56..58], &[1, 0]);
        assert_eq!(&raw[58..64], &[0; 6]);
        assert_eq!(raw[31], 0xFF, "previous entry untouched");
        assert_eq!(raw[64], 0xFF, "next entry untouched");
    }
}
