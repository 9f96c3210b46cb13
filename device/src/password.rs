//! The admin password at rest: an argon2id hash in PHC format.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::random::{RandomError, SecureRandom};

/// Longest password the device will even try to hash at login: the policy allows 16 characters,
/// so anything much longer is wrong, and hashing megabytes would be a cheap denial of service.
const MAX_LOGIN_PASSWORD_BYTES: usize = 128;

fn argon2id() -> Argon2<'static> {
    // OWASP's argon2id minimum (19 MiB, 2 passes): affordable on an NVR's SoC.
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// Hashes a new password with a fresh salt from the device RNG.
pub(crate) fn hash_password(
    password: &str,
    random: &dyn SecureRandom,
) -> Result<String, RandomError> {
    let mut salt = [0u8; 16];
    random.fill(&mut salt)?;
    let salt = SaltString::encode_b64(&salt).map_err(|_| RandomError)?;
    argon2id()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| RandomError)
}

/// Whether `password` matches the stored hash. The comparison inside argon2 is constant-time.
pub(crate) fn verify_password(password: &str, stored: &str) -> bool {
    if password.len() > MAX_LOGIN_PASSWORD_BYTES {
        return false;
    }
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    // Only argon2id hashes are ours; anything else in the state file is not accepted.
    parsed.algorithm == argon2::ARGON2ID_IDENT
        && argon2id()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::OsRandom;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_password("Camera2024", &OsRandom).unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("Camera2024", &hash));
        assert!(!verify_password("camera2024", &hash));
        assert!(!verify_password("Camera2024", "not a hash"));
    }
}
