//! The one place that decides which of the texts read is the device's reset QR code.
//!
//! A frame may show other codes (a sticker, a menu link beside the monitor) and the decoders may
//! misread one; the scanner, the reset flow and the client all take the answer found here, parsed
//! once, instead of each looking at the texts again.

use hc_protocol::{QrError, UnverifiedQr, parse_qr};

use crate::error::HcError;

/// A reset QR code as read: the text (what the cloud is sent) and its parsed, not yet verified,
/// challenge (what the screen shows before any network).
#[derive(Clone, Debug)]
pub(crate) struct ResetQr {
    text: String,
    qr: UnverifiedQr,
}

impl ResetQr {
    /// A text typed or read by other means. Not a reset code at all is `NotAResetQr`; one that
    /// looks like a reset code but is damaged or of another version is `InvalidQr`.
    pub(crate) fn parse(text: String) -> Result<Self, HcError> {
        let qr = parse_qr(&text)?;
        Ok(ResetQr { text, qr })
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn serial(&self) -> String {
        self.qr.challenge().serial.to_string()
    }

    pub(crate) fn model(&self) -> &str {
        &self.qr.challenge().model
    }
}

/// Every text one scan read, and the reset QR among them.
#[derive(Debug, Default)]
pub(crate) struct Reading {
    /// In the order the decoders read them.
    pub texts: Vec<String>,
    /// The first text that is a reset QR code. When none is but one looked like it (`HCRn:`),
    /// the error of the first such misread; `None` when no text looked like a reset code.
    pub reset_qr: Option<Result<ResetQr, HcError>>,
}

impl Reading {
    /// Finds the reset QR among `texts`: each is parsed at most once, here.
    pub(crate) fn of(mut texts: Vec<String>) -> Self {
        // rqrr may find one symbol twice (two overlapping grids).
        texts.dedup();
        let mut misread = None;
        let mut found = None;
        for text in &texts {
            match parse_qr(text) {
                Ok(qr) => {
                    found = Some(ResetQr {
                        text: text.clone(),
                        qr,
                    });
                    break;
                }
                // Some other app's code: the screen keeps looking for the device's.
                Err(QrError::NotAResetQr) => {}
                Err(error) => {
                    misread.get_or_insert(HcError::from(error));
                }
            }
        }
        let reset_qr = found.map(Ok).or(misread.map(Err));
        Reading { texts, reset_qr }
    }

    /// The reset QR, if one was read and parses.
    #[cfg(test)]
    pub(crate) fn found(&self) -> Option<&ResetQr> {
        self.reset_qr.as_ref().and_then(|found| found.as_ref().ok())
    }

    /// What `decode_frame` and `decode_image` answer: the reset code's text if one is in view,
    /// else the first text read.
    pub(crate) fn into_best_text(self) -> Option<String> {
        match self.reset_qr {
            Some(Ok(qr)) => Some(qr.text),
            _ => self.texts.into_iter().next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::testing::{reset_text_for, sample_reset_text};

    fn reading(texts: &[&str]) -> Reading {
        Reading::of(texts.iter().map(|t| (*t).to_owned()).collect())
    }

    #[test]
    fn the_reset_code_is_found_among_other_codes_in_any_order() {
        let reset = sample_reset_text();
        for texts in [
            [reset.as_str(), "https://example.invalid/menu"],
            ["https://example.invalid/menu", reset.as_str()],
        ] {
            let reading = reading(&texts);
            let found = reading.found().expect("found");
            assert_eq!(found.text(), reset);
            assert_eq!(
                (found.serial().as_str(), found.model()),
                ("J12345678", "DS-7608NI-K2")
            );
            assert_eq!(reading.texts.len(), 2, "every text is kept");
            assert_eq!(reading.into_best_text(), Some(reset.clone()));
        }
    }

    #[test]
    fn a_misread_reset_code_is_passed_over_for_a_readable_one() {
        let good = reset_text_for("K00000001");
        let reading = reading(&["HCR1:NOTBASE32!", &good]);
        assert_eq!(reading.found().map(ResetQr::text), Some(good.as_str()));
    }

    #[test]
    fn only_misreads_say_why_and_other_codes_are_no_reset_code() {
        let misread = reading(&["https://example.invalid", "HCR1:NOTBASE32!"]);
        assert!(matches!(misread.reset_qr, Some(Err(HcError::InvalidQr))));
        assert_eq!(
            misread.into_best_text().as_deref(),
            Some("https://example.invalid")
        );
        let other = reading(&["https://example.invalid"]);
        assert!(other.reset_qr.is_none());
        assert!(Reading::default().into_best_text().is_none());
    }
}
