//! RFC 3339 UTC timestamps with microseconds (`2026-11-24T21:22:02.698375Z`), the
//! shape `tracing-subscriber` printed, written straight into a line buffer.
//!
//! Every log line needs one. The date and time of day change once a second, so they
//! are formatted once per second and copied; only the six microsecond digits are
//! written per line.

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

/// `YYYY-MM-DDTHH:MM:SS.`: the part of a timestamp that is the same for a whole second.
type SecondPrefix = [u8; 20];

/// Formats timestamps, reusing the prefix of the last second it saw.
#[derive(Debug, Default)]
pub struct TimestampWriter {
    /// The second (since the Unix epoch) `prefix` was formatted for, if any.
    cached: Cell<Option<(u64, SecondPrefix)>>,
}

impl TimestampWriter {
    /// Appends `time` as an RFC 3339 UTC timestamp with microseconds. Times before
    /// 1970 are written as the epoch (a clock that far off is not worth a branch more).
    pub fn write(&self, out: &mut Vec<u8>, time: SystemTime) {
        let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
        let second = since_epoch.as_secs();
        let prefix = match self.cached.get() {
            Some((cached_second, prefix)) if cached_second == second => prefix,
            _ => {
                let prefix = second_prefix(second);
                self.cached.set(Some((second, prefix)));
                prefix
            }
        };
        out.extend_from_slice(&prefix);
        let micros = since_epoch.subsec_micros();
        let mut digits = [b'0'; 6];
        let mut rest = micros;
        for slot in digits.iter_mut().rev() {
            *slot = digit(rest % 10);
            rest /= 10;
        }
        out.extend_from_slice(&digits);
        out.push(b'Z');
    }
}

/// The ASCII digit for `value % 10`.
fn digit(value: u32) -> u8 {
    b'0'.wrapping_add((value % 10) as u8)
}

/// `YYYY-MM-DDTHH:MM:SS.` for `second` seconds after the Unix epoch.
fn second_prefix(second: u64) -> SecondPrefix {
    let (year, month, day) = civil_from_days(second / 86_400);
    let of_day = second % 86_400;
    let (hour, minute, sec) = ((of_day / 3600) as u32, (of_day / 60 % 60) as u32, (of_day % 60) as u32);
    let mut prefix = *b"0000-00-00T00:00:00.";
    // Years past 9999 keep their last four digits; the clock would be wrong anyway.
    let year = year % 10_000;
    let fields: [(u32, usize, usize); 6] =
        [(year, 0, 4), (month, 5, 2), (day, 8, 2), (hour, 11, 2), (minute, 14, 2), (sec, 17, 2)];
    for (value, start, width) in fields {
        let mut rest = value;
        for slot in prefix.iter_mut().skip(start).take(width).rev() {
            *slot = digit(rest % 10);
            rest /= 10;
        }
    }
    prefix
}

/// (year, month 1-12, day 1-31) of the proleptic Gregorian calendar for a day number
/// counted from 1970-01-01 (Howard Hinnant's `civil_from_days`, for days ≥ 0).
// Cannot overflow or underflow: `day_of_era` < 146097 bounds every intermediate below
// 2^20, `era` < 2^47 so `era * 400` < 2^56, and each subtraction removes a part of
// what it is subtracted from (the algorithm's invariants, checked day by day in the tests).
#[allow(clippy::arithmetic_side_effects)]
fn civil_from_days(days: u64) -> (u32, u32, u32) {
    // Shift the epoch to 0000-03-01, so leap days fall at the end of a year.
    let z = days.saturating_add(719_468);
    let era = z / 146_097;
    let day_of_era = z % 146_097; // [0, 146096]
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // [0, 365]
    let month_index = (5 * day_of_year + 2) / 153; // [0, 11], March = 0
    let day = day_of_year - (153 * month_index + 2) / 5 + 1; // [1, 31]
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (u32::try_from(year).unwrap_or(u32::MAX), month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn format(since_epoch: Duration) -> String {
        let mut out = Vec::new();
        TimestampWriter::default().write(&mut out, UNIX_EPOCH + since_epoch);
        String::from_utf8(out).expect("ASCII")
    }

    #[test]
    fn known_instants_are_formatted_like_rfc3339_with_microseconds() {
        assert_eq!(format(Duration::ZERO), "1970-01-01T00:00:00.000000Z");
        assert_eq!(format(Duration::new(951_782_400, 1_000)), "2000-02-29T00:00:00.000001Z");
        assert_eq!(format(Duration::new(1_709_251_199, 999_999_999)), "2024-02-29T23:59:59.999999Z");
        assert_eq!(format(Duration::new(1_795_555_322, 698_375_000)), "2026-11-24T21:22:02.698375Z");
        assert_eq!(format(Duration::new(4_102_444_800, 0)), "2100-01-01T00:00:00.000000Z");
    }

    #[test]
    fn every_day_of_four_centuries_matches_a_day_by_day_count() {
        // Walk the calendar one day at a time from 1970 and compare.
        let (mut year, mut month, mut day) = (1970u32, 1u32, 1u32);
        for days in 0..146_097u64 {
            assert_eq!(civil_from_days(days), (year, month, day), "day {days}");
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            let length = match month {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            day += 1;
            if day > length {
                day = 1;
                month += 1;
                if month > 12 {
                    month = 1;
                    year += 1;
                }
            }
        }
    }

    #[test]
    fn the_cached_second_is_replaced_when_the_second_changes() {
        let writer = TimestampWriter::default();
        let mut out = Vec::new();
        for (secs, micros) in [(59, 1), (59, 2), (60, 3), (59, 4)] {
            writer.write(&mut out, UNIX_EPOCH + Duration::new(secs, micros * 1000));
            out.push(b' ');
        }
        assert_eq!(
            String::from_utf8(out).expect("ASCII"),
            "1970-01-01T00:00:59.000001Z 1970-01-01T00:00:59.000002Z \
             1970-01-01T00:01:00.000003Z 1970-01-01T00:00:59.000004Z "
        );
    }
}
