//! What the screens show about codes and lists, as data: the grouped code, the countdown, the age
//! of the device list. Pure functions of their arguments (the shells pass the phone's clock), so
//! Android and iOS show the same thing. The words ("Valid for %s", "Updated 5 min ago") stay in
//! the shells' localized strings; these functions give them what to fill in.

/// The verification code in groups of four for reading aloud: "60784413" -> "6078 4413".
pub fn group_code(code: &str) -> String {
    const GROUP: usize = 4;
    let mut grouped = String::with_capacity(code.len() + code.len() / GROUP);
    for (i, c) in code.chars().enumerate() {
        if i > 0 && i % GROUP == 0 {
            grouped.push(' ');
        }
        grouped.push(c);
    }
    grouped
}

/// How long a verification code is still good for, at one moment of the phone's clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Countdown {
    /// Never negative: 0 once the code has expired.
    pub seconds_left: i64,
    /// `seconds_left` as m:ss ("9:59", "0:05"); from an hour on, h:mm:ss ("1:00:00").
    pub text: String,
    /// No time left: the screen says the code has expired instead of counting.
    pub expired: bool,
}

/// The countdown to `expires_at_unix` as of `now_unix` (unix seconds).
pub fn countdown(expires_at_unix: i64, now_unix: i64) -> Countdown {
    let seconds_left = expires_at_unix.saturating_sub(now_unix).max(0);
    let (hours, minutes, seconds) = (
        seconds_left / 3600,
        seconds_left % 3600 / 60,
        seconds_left % 60,
    );
    let text = if hours > 0 {
        format!("{hours}:{minutes:02}:{seconds:02}")
    } else {
        format!("{minutes}:{seconds:02}")
    };
    Countdown {
        seconds_left,
        text,
        expired: seconds_left == 0,
    }
}

/// How old the device list is, in the unit the screen says it in ("Updated 5 min ago"): whole
/// minutes under an hour, whole hours under a day, then whole days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceListAge {
    /// Less than a minute.
    JustNow,
    Minutes {
        count: i64,
    },
    Hours {
        count: i64,
    },
    Days {
        count: i64,
    },
}

/// The age of a list fetched at `fetched_at_unix` as of `now_unix`. A phone clock behind the
/// cloud's makes the list "just now", never "in the future".
pub fn device_list_age(fetched_at_unix: i64, now_unix: i64) -> DeviceListAge {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    match now_unix.saturating_sub(fetched_at_unix).max(0) {
        age if age < MINUTE => DeviceListAge::JustNow,
        age if age < HOUR => DeviceListAge::Minutes {
            count: age / MINUTE,
        },
        age if age < DAY => DeviceListAge::Hours { count: age / HOUR },
        age => DeviceListAge::Days { count: age / DAY },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_read_aloud_in_groups_of_four() {
        assert_eq!(group_code("60784413"), "6078 4413");
        assert_eq!(group_code("00000001"), "0000 0001");
        assert_eq!(group_code("123456789"), "1234 5678 9");
    }

    #[test]
    fn a_code_of_four_or_fewer_digits_is_one_group() {
        assert_eq!(group_code("123"), "123");
        assert_eq!(group_code("1234"), "1234");
        assert_eq!(group_code(""), "");
    }

    fn text(expires_at: i64, now: i64) -> String {
        countdown(expires_at, now).text
    }

    #[test]
    fn the_countdown_reads_minutes_and_seconds() {
        let t = 1_000_000;
        assert_eq!(text(t + 600, t), "10:00");
        assert_eq!(text(t + 599, t), "9:59");
        assert_eq!(text(t + 61, t), "1:01");
        assert_eq!(text(t + 5, t), "0:05");
    }

    #[test]
    fn from_an_hour_on_the_countdown_reads_hours_minutes_and_seconds() {
        let t = 1_000_000;
        assert_eq!(text(t + 3600, t), "1:00:00");
        assert_eq!(text(t + 3599, t), "59:59");
        assert_eq!(text(t + 2 * 3600 + 5 * 60 + 7, t), "2:05:07");
    }

    #[test]
    fn a_code_with_time_left_has_not_expired() {
        assert_eq!(
            countdown(1_000_061, 1_000_000),
            Countdown {
                seconds_left: 61,
                text: "1:01".into(),
                expired: false
            }
        );
        assert!(!countdown(1_000_001, 1_000_000).expired);
    }

    #[test]
    fn at_its_expiry_and_after_the_code_has_expired_with_no_time_left() {
        let expired = Countdown {
            seconds_left: 0,
            text: "0:00".into(),
            expired: true,
        };
        assert_eq!(countdown(1_000_000, 1_000_000), expired);
        assert_eq!(countdown(1_000_000, 1_000_100), expired);
    }

    #[test]
    fn clocks_at_the_ends_of_time_neither_overflow_nor_go_negative() {
        assert_eq!(countdown(i64::MIN, i64::MAX).seconds_left, 0);
        let far = countdown(i64::MAX, i64::MIN);
        assert_eq!(far.seconds_left, i64::MAX);
        assert!(!far.expired);
        assert_eq!(device_list_age(i64::MAX, i64::MIN), DeviceListAge::JustNow);
        assert_eq!(
            device_list_age(i64::MIN, i64::MAX),
            DeviceListAge::Days {
                count: i64::MAX / 86_400
            }
        );
    }

    #[test]
    fn the_device_list_age_is_in_whole_minutes_hours_or_days() {
        let t = 1_700_000_000;
        assert_eq!(device_list_age(t, t), DeviceListAge::JustNow);
        assert_eq!(device_list_age(t, t + 59), DeviceListAge::JustNow);
        assert_eq!(
            device_list_age(t, t + 60),
            DeviceListAge::Minutes { count: 1 }
        );
        assert_eq!(
            device_list_age(t, t + 3599),
            DeviceListAge::Minutes { count: 59 }
        );
        assert_eq!(
            device_list_age(t, t + 3600),
            DeviceListAge::Hours { count: 1 }
        );
        assert_eq!(
            device_list_age(t, t + 7300),
            DeviceListAge::Hours { count: 2 }
        );
        assert_eq!(
            device_list_age(t, t + 86_399),
            DeviceListAge::Hours { count: 23 }
        );
        assert_eq!(
            device_list_age(t, t + 3 * 86_400),
            DeviceListAge::Days { count: 3 }
        );
    }

    #[test]
    fn a_phone_clock_behind_the_clouds_makes_the_list_just_fetched() {
        let t = 1_700_000_000;
        assert_eq!(device_list_age(t, t - 100), DeviceListAge::JustNow);
    }
}
