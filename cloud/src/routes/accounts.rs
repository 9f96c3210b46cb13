//! `POST /v1/accounts`: registration.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hc_protocol::api::{
    AccountCreated, Credentials, ErrorCode, MAX_EMAIL_CHARS, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS,
};

use unicode_normalization::UnicodeNormalization;

use crate::crypto::hash_password;
use crate::error::ApiError;
use crate::extract::{ApiJson, ClientAddr};
use crate::rate_limit;
use crate::state::{AppState, unix_now};

pub async fn register(
    State(state): State<AppState>,
    ClientAddr(client_addr): ClientAddr,
    ApiJson(credentials): ApiJson<Credentials>,
) -> Result<(StatusCode, Json<AccountCreated>), ApiError> {
    // Throwaway accounts multiply the per-account limits: count every attempt from the address,
    // accepted or not, before any check and before the argon2 work; and every attempt on one
    // email, malformed or not.
    let limits = &state.policy().rate_limits;
    if let Some(addr) = &client_addr {
        rate_limit::hit(
            &state,
            &format!("register:{}", rate_limit::address_bucket(addr)),
            limits.registrations_per_client_addr,
            limits.window,
        )
        .await?;
    }
    rate_limit::hit(
        &state,
        &format!(
            "register:email:{}",
            rate_limit::email_bucket(&credentials.email)
        ),
        limits.registrations_per_email,
        limits.window,
    )
    .await?;
    let email = normalize_email(&credentials.email).ok_or_else(invalid_email)?;
    let password = credentials.password;
    check_password_rule(&password)?;
    let password_hash = state
        .hashing()
        .run(client_addr.as_deref(), move || hash_password(&password))
        .await?
        .map_err(ApiError::internal)?;
    match state
        .storage()
        .create_account(&email, &password_hash, unix_now())
        .await?
    {
        Some(_) => Ok((StatusCode::CREATED, Json(AccountCreated { email }))),
        None => Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::EmailTaken,
            "an account with that email exists",
        )),
    }
}

fn invalid_email() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidEmail,
        "that is not an email address",
    )
}

/// The account password rule: [`MIN_PASSWORD_CHARS`] to [`MAX_PASSWORD_CHARS`] characters (the
/// upper bound also bounds the argon2 input, at most 4 KiB).
pub fn check_password_rule(password: &str) -> Result<(), ApiError> {
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&password.chars().count()) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::WeakPassword,
            format!("a password has {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Characters that show nothing or reorder what is shown: an address holding one looks like
/// another address. Zero-width spaces and joiners, direction marks, embeddings, overrides and
/// isolates, the word joiner and invisible operators, the byte-order mark, the soft hyphen.
fn is_invisible_or_bidi(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{E0000}'..='\u{E007F}')
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
