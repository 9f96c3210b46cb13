//! E-mail addresses as the cloud compares them: one normalization (NFKC, lowercase) and one list of
//! the characters no address may hold, used by registration, login, the rate limits and the
//! OpenAPI document alike.

use hc_protocol::api::MAX_EMAIL_CHARS;
use unicode_normalization::UnicodeNormalization;

/// Characters that show nothing or reorder what is shown: an address holding one looks like
/// another address. Zero-width spaces and joiners, direction marks, embeddings, overrides and
/// isolates, the word joiner and invisible operators, the byte-order mark, the soft hyphen, the
/// tag characters. One list, as ranges: the OpenAPI document's email pattern is made from it.
pub const INVISIBLE_OR_BIDI: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{034F}', '\u{034F}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{115F}', '\u{1160}'),
    ('\u{17B4}', '\u{17B5}'),
    ('\u{180B}', '\u{180F}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{206F}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{FE00}', '\u{FE0F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFA0}', '\u{FFA0}'),
    ('\u{FFF0}', '\u{FFF8}'),
    ('\u{E0000}', '\u{E007F}'),
];

/// Whether `c` is one of [`INVISIBLE_OR_BIDI`].
pub fn is_invisible_or_bidi(c: char) -> bool {
    INVISIBLE_OR_BIDI
        .iter()
        .any(|&(first, last)| (first..=last).contains(&c))
}

/// NFKC-normalized, lowercased and trimmed, or `None` when it cannot be an address or holds an
/// invisible or bidi control character. NFKC first, so that composed and decomposed accents
/// (NFC and NFD) and compatibility forms (full-width letters) are one address.
pub fn normalize_email(raw: &str) -> Option<String> {
    if raw.chars().any(is_invisible_or_bidi) {
        return None;
    }
    // Lowercasing can undo a normalization (a few letters decompose): normalize after it again.
    let email: String = raw
        .trim()
        .nfkc()
        .collect::<String>()
        .to_lowercase()
        .nfkc()
        .collect();
    let (local, domain) = email.split_once('@')?;
    // The length of the address as sent (what the OpenAPI document's maxLength says), not of its
    // normalized form, which NFKC can lengthen.
    let plausible = raw.trim().chars().count() <= MAX_EMAIL_CHARS
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    plausible.then_some(email)
}

#[cfg(test)]
mod tests {
    use super::normalize_email;

    #[test]
    fn emails_are_normalized_or_refused() {
        assert_eq!(
            normalize_email(" Ann@Example.COM ").as_deref(),
            Some("ann@example.com")
        );
        // NFC and NFD, and full-width letters: one address.
        assert_eq!(
            normalize_email("Jos\u{e9}@example.com"),
            normalize_email("Jose\u{301}@example.com")
        );
        assert_eq!(
            normalize_email("\u{FF21}nn@example.com").as_deref(),
            Some("ann@example.com")
        );
        for bad in [
            "an\u{200B}n@example.com",
            "ann@exa\u{202E}moc.elpm",
            "\u{FEFF}ann@example.com",
            "an\u{2066}n@example.com",
            "an\u{200D}n@example.com",
            "",
            "ann",
            "@example.com",
            "ann@",
            "ann@example",
            "a b@example.com",
            "a@b@c.d",
            "ann@.com",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }
}
