//! Unix seconds (every timestamp of the API) as the UTC calendar date and time people read, for
//! the texts that show one: the CLI's lines and the cloud's mails. Proleptic Gregorian, any year.

/// A moment in UTC, as a calendar shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UtcDateTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

/// `unix` seconds since 1970-01-01 00:00:00 UTC as a calendar date and time (Howard Hinnant's
/// days-to-civil algorithm).
pub fn utc_datetime(unix: i64) -> UtcDateTime {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    UtcDateTime {
        year: yoe + era * 400 + i64::from(month <= 2),
        month,
        day,
        hour: (secs / 3600) as u32,
        minute: (secs % 3600 / 60) as u32,
        second: (secs % 60) as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_epoch_a_leap_day_and_times_before_1970_read_as_calendars_do() {
        let at = |unix| {
            let t = utc_datetime(unix);
            (t.year, t.month, t.day, t.hour, t.minute, t.second)
        };
        assert_eq!(at(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(at(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(at(1_796_413_029), (2026, 12, 4, 19, 37, 9));
        assert_eq!(at(-1), (1969, 12, 31, 23, 59, 59));
    }
}
