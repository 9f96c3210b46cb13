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

/// How another account is named in an owner's audit (issue 16): enough to tell "my installer" from
/// "a stranger", never the address. The rule, in one place:
///
/// - the local part keeps its first two characters when it has six or more, its first one when it
///   has three to five, none when it has one or two (a short name would be given away whole), and
///   then always `***`, so the length is not told either;
/// - a kept character must be an ASCII letter or digit: a look-alike (Cyrillic `і` for `i`) or any
///   other character is not shown, so a masked name can only look like another if it is spelled
///   like it;
/// - the domain is shown in its ASCII form (IDNA, `xn--...`), as browsers show a mixed-script
///   host, so `exаmple.com` (Cyrillic `а`) cannot pass for `example.com`; a domain with no ASCII
///   form is `***`.
///
/// The input is an address as the cloud stores it ([`normalize_email`]); anything else is `***`.
pub fn mask_email(email: &str) -> String {
    const HIDDEN: &str = "***";
    let Some((local, domain)) = email.rsplit_once('@') else {
        return HIDDEN.to_owned();
    };
    let shown = match local.chars().count() {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    };
    let prefix: String = local
        .chars()
        .take(shown)
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let domain = match idna::domain_to_ascii(domain) {
        Ok(ascii) if !ascii.is_empty() && ascii.is_ascii() => ascii,
        _ => HIDDEN.to_owned(),
    };
    format!("{prefix}{HIDDEN}@{domain}")
}

#[cfg(test)]
mod tests {
    use super::{mask_email, normalize_email};

    #[test]
    fn another_accounts_email_is_shown_masked_to_the_owner() {
        let masked = |raw: &str| mask_email(&normalize_email(raw).unwrap());
        assert_eq!(masked("installer@example.com"), "in***@example.com");
        assert_eq!(masked("Installer@Example.COM"), "in***@example.com");
        // Short local parts are not given away: one or two characters show nothing.
        assert_eq!(masked("a@example.com"), "***@example.com");
        assert_eq!(masked("ab@example.com"), "***@example.com");
        assert_eq!(masked("abc@example.com"), "a***@example.com");
        assert_eq!(masked("abcdef@example.com"), "ab***@example.com");
        // The length is not told: a long name is masked like a short one.
        assert_eq!(
            masked(&format!("in{}@example.com", "x".repeat(60))),
            "in***@example.com"
        );
        // A look-alike letter is not shown: Cyrillic і in "іnstaller" cannot pass for "in***".
        assert_eq!(masked("\u{456}nstaller@example.com"), "***@example.com");
        assert_eq!(masked("i\u{43d}staller@example.com"), "i***@example.com");
        assert_eq!(masked("jos\u{e9}phine@example.com"), "jo***@example.com");
        // A look-alike domain shows as what it is (Cyrillic а in "exаmple.com").
        let lookalike = masked("installer@ex\u{430}mple.com");
        assert!(lookalike.starts_with("in***@xn--"), "{lookalike}");
        assert_ne!(lookalike, "in***@example.com");
        assert_eq!(masked("ann@b\u{fc}cher.de"), "a***@xn--bcher-kva.de");
        // Never a whole local part, however short.
        for raw in [
            "installer@example.com",
            "abc@example.com",
            "ab@example.com",
            "x@y.zz",
        ] {
            let address = normalize_email(raw).unwrap();
            let local = address.split('@').next().unwrap();
            assert!(
                !mask_email(&address).contains(&format!("{local}@")),
                "{raw}"
            );
        }
        assert_eq!(mask_email("no at sign"), "***");
    }

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
