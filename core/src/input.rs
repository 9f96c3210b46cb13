//! What people type, made into what the cloud expects. `HcClient` applies these to its arguments,
//! so a shell passes the text fields as they are.

/// A serial or label code as printed on the device label, from what was typed: spaces (any
/// whitespace, as a keyboard or a paste leaves it) and dashes dropped, letters in upper case.
/// `" ds12 345-67 "` is `"DS1234567"`. Anything else is left for the cloud to judge.
pub(crate) fn label_text(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// A reset QR's text as typed or pasted from the device's page: whitespace and dashes (the
/// grouping a page or a person adds) dropped and letters in upper case, like [`label_text`], when
/// it then reads as a reset code (`HCR...`); any other text is kept as it is, for the scanner to
/// say it is not a reset code.
pub(crate) fn reset_qr_text(typed: &str) -> String {
    let compact = label_text(typed);
    if compact.starts_with("HCR") {
        compact
    } else {
        typed.to_owned()
    }
}

/// An e-mail address without the whitespace around it (a paste often brings a space or a line
/// break). Its case is the account's business.
pub(crate) fn email(typed: &str) -> String {
    typed.trim().to_owned()
}

/// A device name without the whitespace around it; a blank one is no name.
pub(crate) fn device_name(typed: Option<String>) -> Option<String> {
    typed
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_serial_typed_with_spaces_dashes_and_lower_case_reads_as_printed_on_the_label() {
        assert_eq!(label_text(" ds12 345-67 "), "DS1234567");
        assert_eq!(label_text("J1234-5678"), "J12345678");
        assert_eq!(label_text("J12345678"), "J12345678");
    }

    #[test]
    fn a_label_code_typed_in_lower_case_or_pasted_with_a_line_break_reads_as_printed() {
        assert_eq!(label_text("abc def"), "ABCDEF");
        assert_eq!(label_text("ABC-DEF\n"), "ABCDEF");
        assert_eq!(label_text("\tabc\u{a0}def"), "ABCDEF");
    }

    #[test]
    fn other_characters_are_kept_for_the_cloud_to_refuse() {
        assert_eq!(label_text("ds12_345.67"), "DS12_345.67");
        assert_eq!(label_text(""), "");
    }

    #[test]
    fn a_reset_qr_typed_in_groups_or_lower_case_reads_as_the_device_shows_it() {
        assert_eq!(
            reset_qr_text(" hcr1:abcd efgh\n2345-67 "),
            "HCR1:ABCDEFGH234567"
        );
        assert_eq!(reset_qr_text("HCR1:ABCD"), "HCR1:ABCD");
        // Not a reset code: left alone, so the screen says so instead of a changed text.
        assert_eq!(
            reset_qr_text("https://example.com/Menu A"),
            "https://example.com/Menu A"
        );
    }

    #[test]
    fn an_email_is_trimmed_but_its_case_and_inner_text_are_kept() {
        assert_eq!(email("  Owner@Example.com \n"), "Owner@Example.com");
        assert_eq!(email("owner@example.com"), "owner@example.com");
        assert_eq!(email("   "), "");
    }

    #[test]
    fn a_device_name_is_trimmed_and_a_blank_one_is_no_name() {
        assert_eq!(
            device_name(Some("  Shop NVR ".into())),
            Some("Shop NVR".into())
        );
        assert_eq!(device_name(Some(" \t".into())), None);
        assert_eq!(device_name(None), None);
    }
}
