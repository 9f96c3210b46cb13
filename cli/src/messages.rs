//! What the user reads for each `HcError`: the same meaning the phone apps show, worded for a
//! terminal. The vendor's two notes (device not added; added by another account) are kept close to
//! the vendor's wording because owners search for them.

use hc_core::HcError;

/// The message for an error, with the next step where there is one.
pub fn describe(error: &HcError) -> String {
    match error {
        HcError::NotAResetQr => "This is not a Reset Device Password QR code. On the device, open \
             Forget Password > Verify by Hik-Connect and scan the code it shows."
            .into(),
        HcError::InvalidQr => "The QR code could not be verified. Scan the code on the device's \
             own screen again; if it keeps failing, start Verify by Hik-Connect again on the device."
            .into(),
        HcError::DeviceNotAdded { serial } => format!(
            "The device is not added to your account (serial {serial}). Add it with \
             `hc add {serial} LABEL_CODE`, or log in to the account it was added to."
        ),
        HcError::DeviceAddedByOthers { serial } => format!(
            "The device has been added by another account (serial {serial}). Only that account \
             can reset its password; ask its owner, or remove it there first."
        ),
        HcError::NotLoggedIn => "You are not logged in. Run `hc login EMAIL` first.".into(),
        HcError::SessionExpired => {
            "Your session has expired. Log in again with `hc login EMAIL`.".into()
        }
        HcError::RateLimited { retry_after_secs } => format!(
            "Too many requests. Try again in {}.",
            human_duration(*retry_after_secs)
        ),
        HcError::Network { detail } => format!(
            "Cannot reach the cloud ({detail}). Check the network and the cloud address \
             (--cloud or HC_CLOUD_URL)."
        ),
        HcError::Server { status, code, detail } => server_message(*status, code, detail),
        HcError::Storage { detail } => format!("Cannot read or write the session file: {detail}."),
        HcError::InvalidFrame { detail } => format!("The image cannot be read: {detail}."),
    }
}

fn server_message(status: u16, code: &str, detail: &str) -> String {
    match code {
        "invalid_credentials" => "Wrong email or password.".into(),
        "email_taken" => "An account with this email already exists. Log in instead.".into(),
        "weak_password" => format!("The password is too weak: {detail}"),
        "invalid_email" => "That is not a valid email address.".into(),
        "wrong_label_code" => "The label code does not match the device. It is the 6-letter code \
             printed on the device's label."
            .into(),
        "invalid_serial" => "That is not a device serial number (9 of A-Z and 0-9).".into(),
        "already_added" => "The device is already in your account.".into(),
        "not_found" => "Not found: the device is not in your account.".into(),
        _ => format!("The cloud refused the request ({status} {code}): {detail}"),
    }
}

/// The process exit code for an error, so that scripts can tell the notes apart.
pub fn exit_code(error: &HcError) -> u8 {
    match error {
        HcError::NotAResetQr | HcError::InvalidQr | HcError::InvalidFrame { .. } => 3,
        HcError::DeviceNotAdded { .. } => 4,
        HcError::DeviceAddedByOthers { .. } => 5,
        HcError::NotLoggedIn | HcError::SessionExpired => 6,
        HcError::RateLimited { .. } => 7,
        HcError::Network { .. } => 8,
        HcError::Server { .. } | HcError::Storage { .. } => 1,
    }
}

/// "45 s", "2 min 5 s", "1 h 0 min".
pub fn human_duration(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 if secs % 60 == 0 => format!("{} min", secs / 60),
        60..=3599 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, (secs % 3600) / 60),
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC` for unix seconds (civil-from-days, no time zone database needed).
pub fn utc_time(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// An 8-digit code in two groups, easier to read aloud and type: `6078 4413`.
pub fn grouped_code(code: &str) -> String {
    if code.len() == 8 && code.is_ascii() {
        format!("{} {}", &code[..4], &code[4..])
    } else {
        code.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendor_notes_name_the_device() {
        let serial = "J12345678".to_owned();
        let not_added = describe(&HcError::DeviceNotAdded {
            serial: serial.clone(),
        });
        assert!(not_added.contains("not added to your account"));
        assert!(not_added.contains(&serial));
        let by_others = describe(&HcError::DeviceAddedByOthers {
            serial: serial.clone(),
        });
        assert!(by_others.contains("added by another account"));
        assert!(by_others.contains(&serial));
    }

    #[test]
    fn times_and_codes_read_well() {
        assert_eq!(utc_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc_time(1_764_028_800), "2025-11-25 00:00:00 UTC");
        assert_eq!(utc_time(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(human_duration(45), "45 s");
        assert_eq!(human_duration(120), "2 min");
        assert_eq!(human_duration(125), "2 min 5 s");
        assert_eq!(human_duration(3600), "1 h 0 min");
        assert_eq!(grouped_code("60784413"), "6078 4413");
    }
}
