//! The text of every mail the cloud sends, in one place. A mail carries what a person needs to
//! trust it and nothing that logs in: the code (large in the HTML, on a line of its own in the
//! plain text), what it is for, the region and time it was asked, how long it lives, and what to
//! do if it was not them. No links at all, so none can carry a token or be spoofed into one.

use hc_protocol::account_code::AccountCodePurpose;
use lettre::message::{Mailbox, MultiPart};

/// One code mail to render.
pub struct CodeMail<'a> {
    pub purpose: AccountCodePurpose,
    pub to: &'a str,
    pub code: &'a str,
    /// The deployment's region label.
    pub region: &'a str,
    /// When it was asked (unix seconds).
    pub asked_at: i64,
    pub valid_for_secs: u64,
}

/// The subject of a code mail.
pub fn subject(purpose: AccountCodePurpose) -> &'static str {
    match purpose {
        AccountCodePurpose::VerifyEmail => "Your hc verification code",
        AccountCodePurpose::ResetPassword => "Reset your hc password",
    }
}

/// The whole RFC 5322 message (multipart/alternative: plain text and HTML).
pub fn render(from: &str, mail: &CodeMail<'_>) -> Result<Vec<u8>, String> {
    let from: Mailbox = from.parse().map_err(|e| format!("the From address: {e}"))?;
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|e| format!("the recipient address: {e}"))?;
    let (what, not_you) = match mail.purpose {
        AccountCodePurpose::VerifyEmail => (
            "Type this code into the hc app to confirm that this e-mail address is yours:",
            "If you did not sign up for hc, someone typed your address: ignore this mail, and \
             nobody can add cameras to an account with it until this code is typed in. To take \
             the address back for yourself, choose \"Forgot password\" in the hc app and enter \
             this address: the code we mail then sets a password of your own and signs the \
             other person out.",
        ),
        AccountCodePurpose::ResetPassword => (
            "Type this code into the hc app to set a new password for your account:",
            "If you did not ask for this, ignore this mail: your password has not changed, and \
             nobody can change it without this code. The app's security events list every \
             sign-in to your account.",
        ),
    };
    let minutes = mail.valid_for_secs.div_ceil(60);
    let asked = utc_time(mail.asked_at);
    let facts = format!(
        "Asked for at {asked} in the hc region \"{}\". The code works once, for {minutes} minutes.",
        mail.region
    );
    let never = "hc never asks for this code by phone, chat or mail, and this mail has no links: \
                 only type the code into the app yourself.";
    let text = format!(
        "{what}\n\n{code}\n\n{facts}\n\n{not_you}\n\n{never}\n",
        code = mail.code
    );
    let html = format!(
        "<!DOCTYPE html>\n<html><body style=\"font-family:sans-serif\">\n\
         <p>{what}</p>\n\
         <p style=\"font-size:32px;font-weight:bold;letter-spacing:4px;font-family:monospace\">{code}</p>\n\
         <p>{facts}</p>\n<p>{not_you}</p>\n<p style=\"color:#555\">{never}</p>\n\
         </body></html>\n",
        what = escape(what),
        code = escape(mail.code),
        facts = escape(&facts),
        not_you = escape(not_you),
        never = escape(never),
    );
    let message = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(subject(mail.purpose))
        .message_id(Some(format!(
            "<{}@hc.invalid>",
            hex::encode(rand::random::<[u8; 16]>())
        )))
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| format!("building the mail: {e}"))?;
    Ok(message.formatted())
}

/// The code of a mail rendered here, as its reader finds it: the line of six digits alone in the
/// plain text (which is ASCII, so it stays whole in the raw message too).
pub fn code_in(text: &str) -> Option<&str> {
    text.lines()
        .map(|line| line.trim_end_matches('\r'))
        .find(|line| line.len() == 6 && line.bytes().all(|b| b.is_ascii_digit()))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `2026-12-04 18:52 UTC`.
pub fn utc_time(unix: i64) -> String {
    let t = hc_protocol::utc::utc_datetime(unix);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year, t.month, t.day, t.hour, t.minute
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_calendar_dates() {
        assert_eq!(utc_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_time(1_764_028_800), "2025-11-25 00:00 UTC");
        assert_eq!(utc_time(951_782_400 + 3_661), "2000-02-29 01:01 UTC");
    }

    #[test]
    fn a_code_mail_has_both_parts_and_no_link() {
        let message = render(
            "hc <no-reply@hc.invalid>",
            &CodeMail {
                purpose: AccountCodePurpose::ResetPassword,
                to: "ana@example.com",
                code: "042137",
                region: "eu-1",
                asked_at: 1_764_028_800,
                valid_for_secs: 900,
            },
        )
        .unwrap();
        let text = String::from_utf8_lossy(&message);
        assert!(text.contains("multipart/alternative"), "{text}");
        assert!(text.contains("Subject: Reset your hc password"), "{text}");
        assert!(!text.contains("http"), "{text}");
    }
}
