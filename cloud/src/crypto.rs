//! The cloud's own secrets: the master key and what is derived from it (device-key encryption,
//! label-code hashing), bearer tokens, and account passwords.

use std::io::Write;
use std::path::Path;

use argon2::password_hash::{PasswordHash, SaltString};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hc_protocol::DeviceKey;
use hc_protocol::account_code::AccountCodePurpose;
use hc_protocol::factory::LabelCode;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::Error;

const MASTER_KEY_LEN: usize = 32;
const AEAD_NONCE_LEN: usize = 24;
/// Not a valid serial (those are nine of A-Z and 0-9), so it never names a real row.
const DUMMY_SERIAL: &str = "-";

/// The 32-byte root secret of one cloud deployment. Never leaves this module's derived keys.
pub struct MasterKey {
    /// Encrypts device keys at rest.
    device_key_cipher: XChaCha20Poly1305,
    /// Keys the label-code hashes.
    label_hmac_key: Zeroizing<[u8; 32]>,
    /// Keys the hashes of mailed account codes (`k_account_codes`).
    account_code_key: Zeroizing<[u8; 32]>,
    /// A sealed key no device has, opened in place of a real one for unknown serials, so an
    /// unknown serial costs the same decryption as a known one.
    dummy_sealed_key: Vec<u8>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    /// Reads the key file (64 hex characters), or creates it with a fresh random key and
    /// owner-only permissions when it does not exist yet.
    pub fn load_or_create(path: &Path) -> Result<Self, Error> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_hex(text.trim())
                .map_err(|reason| Error::MasterKey(format!("{}: {reason}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = Zeroizing::new([0u8; MASTER_KEY_LEN]);
                rand::rng().fill_bytes(bytes.as_mut());
                match write_secret_file(path, hex::encode(bytes.as_ref()).as_bytes(), false) {
                    Ok(()) => Ok(Self::from_bytes(&bytes)),
                    // Another process created it at the same moment: everyone uses theirs.
                    Err(Error::Io { source, .. })
                        if source.kind() == std::io::ErrorKind::AlreadyExists =>
                    {
                        Self::load_or_create(path)
                    }
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(Error::io(path, e)),
        }
    }

    fn from_hex(text: &str) -> Result<Self, &'static str> {
        let mut bytes = Zeroizing::new([0u8; MASTER_KEY_LEN]);
        hex::decode_to_slice(text, bytes.as_mut()).map_err(|_| "expected 64 hex characters")?;
        Ok(Self::from_bytes(&bytes))
    }

    pub fn from_bytes(bytes: &[u8; MASTER_KEY_LEN]) -> Self {
        // Separate keys per purpose, so a weakness in one use never touches the other.
        let hk = hkdf::Hkdf::<Sha256>::new(Some(b"hc-cloud-master-v1"), bytes);
        let mut aead_key = Zeroizing::new([0u8; 32]);
        let mut label_key = Zeroizing::new([0u8; 32]);
        hk.expand(b"device-key-aead", aead_key.as_mut())
            .expect("32 bytes is a valid HKDF length");
        hk.expand(b"label-code-hmac", label_key.as_mut())
            .expect("32 bytes is a valid HKDF length");
        let mut account_code_key = Zeroizing::new([0u8; 32]);
        hk.expand(b"account-code-hmac", account_code_key.as_mut())
            .expect("32 bytes is a valid HKDF length");
        let mut key = MasterKey {
            device_key_cipher: XChaCha20Poly1305::new(aead_key.as_ref().into()),
            label_hmac_key: label_key,
            account_code_key,
            dummy_sealed_key: Vec::new(),
        };
        key.dummy_sealed_key = key.seal_device_key(DUMMY_SERIAL, &DeviceKey::from_bytes([0; 32]));
        key
    }

    /// The key of a registry row, or for no row (an unknown serial) `None` after the same work:
    /// a dummy row is opened instead. Returns the key to check tags with in either case (a
    /// throwaway one for no row), and whether it is a real device's.
    pub fn open_registered_key(&self, row: Option<(&str, &[u8])>) -> (DeviceKey, bool) {
        let (serial, sealed) = row.unwrap_or((DUMMY_SERIAL, &self.dummy_sealed_key));
        match (self.open_device_key(serial, sealed), row.is_some()) {
            (Some(key), true) => (key, true),
            (_, known) => {
                if known {
                    tracing::error!(%serial, "a device key does not open under the master key");
                }
                (DeviceKey::from_bytes([0; 32]), false)
            }
        }
    }

    /// `nonce || ciphertext` of the device key, bound to its serial (so rows cannot be swapped).
    pub fn seal_device_key(&self, serial: &str, key: &DeviceKey) -> Vec<u8> {
        let mut nonce = [0u8; AEAD_NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = self
            .device_key_cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: key.expose(),
                    aad: serial.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encryption of 32 bytes cannot fail");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// The device key back, or `None` when the row was tampered with or sealed under another key.
    pub fn open_device_key(&self, serial: &str, sealed: &[u8]) -> Option<DeviceKey> {
        if sealed.len() <= AEAD_NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(AEAD_NONCE_LEN);
        let plain = Zeroizing::new(
            self.device_key_cipher
                .decrypt(
                    XNonce::from_slice(nonce),
                    Payload {
                        msg: ciphertext,
                        aad: serial.as_bytes(),
                    },
                )
                .ok()?,
        );
        DeviceKey::from_slice(&plain).ok()
    }

    /// `nonce || ciphertext` of a push endpoint's signing secret, bound to its account (the
    /// associated data starts with `push:`, which no serial does, so a sealed secret cannot stand
    /// in for a sealed device key or another account's secret).
    pub fn seal_push_secret(&self, account_id: i64, secret: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; AEAD_NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let aad = format!("push:{account_id}");
        let ciphertext = self
            .device_key_cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: aad.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encryption cannot fail");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// The signing secret back, or `None` when the row was tampered with.
    pub fn open_push_secret(&self, account_id: i64, sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if sealed.len() <= AEAD_NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(AEAD_NONCE_LEN);
        let aad = format!("push:{account_id}");
        self.device_key_cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .ok()
            .map(Zeroizing::new)
    }

    /// The keyed hash stored instead of the label code.
    pub fn label_code_hash(&self, serial: &str, label: &LabelCode) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.label_hmac_key.as_ref())
            .expect("HMAC accepts keys of any length");
        mac.update(b"hc-label-v1");
        mac.update(serial.as_bytes());
        mac.update(label.as_str().as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// Whether `typed` is the label code whose hash is `stored`, in constant time.
    pub fn label_code_matches(&self, serial: &str, typed: &LabelCode, stored: &[u8]) -> bool {
        self.label_code_hash(serial, typed).ct_eq(stored).into()
    }
}

impl MasterKey {
    /// `HMAC-SHA256(k_account_codes, purpose || account id || code)`: what the database keeps of
    /// a mailed code. The purpose and the account bind it, so a verify code is no reset code and
    /// one account's code is no other's; the key means a copy of the database alone cannot try
    /// all 10^6 codes against it.
    pub fn account_code_hash(
        &self,
        purpose: AccountCodePurpose,
        account_id: i64,
        code: &str,
    ) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.account_code_key.as_ref())
            .expect("HMAC accepts keys of any length");
        mac.update(b"hc-account-code-v1");
        // Length-free fields are safe here: the purpose is one of two fixed names ending in a
        // letter, the id is decimal, the code six digits; a NUL keeps them apart anyway.
        mac.update(purpose.as_str().as_bytes());
        mac.update(b"\0");
        mac.update(account_id.to_string().as_bytes());
        mac.update(b"\0");
        mac.update(code.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// Whether `code` is the one whose hash is `stored`, in constant time.
    pub fn account_code_matches(
        &self,
        purpose: AccountCodePurpose,
        account_id: i64,
        code: &str,
        stored: &[u8],
    ) -> bool {
        self.account_code_hash(purpose, account_id, code)
            .ct_eq(stored)
            .into()
    }
}

/// A fresh account code: six digits, uniform (rejection sampling in `random_range`, no modulo
/// bias) from the operating system's generator.
pub fn new_account_code() -> Zeroizing<String> {
    use rand::Rng;
    let n: u32 = rand::TryRngCore::unwrap_err(rand::rngs::OsRng)
        .random_range(0..10u32.pow(hc_protocol::account_code::ACCOUNT_CODE_DIGITS as u32));
    Zeroizing::new(format!(
        "{n:0width$}",
        width = hc_protocol::account_code::ACCOUNT_CODE_DIGITS
    ))
}

/// Writes `contents` to a new file readable by its owner only. With `overwrite`, an existing file
/// is replaced (its permissions are reset too).
pub fn write_secret_file(path: &Path, contents: &[u8], overwrite: bool) -> Result<(), Error> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if overwrite {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(e) => return Err(Error::io(path, e)),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io(path, e))?;
    }
    file.write_all(contents).map_err(|e| Error::io(path, e))?;
    file.sync_all().map_err(|e| Error::io(path, e))
}

/// A bearer token as handed out: 32 random bytes, URL-safe base64 without padding.
pub fn new_token() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::rng().fill_bytes(bytes.as_mut());
    Zeroizing::new(data_encoding::BASE64URL_NOPAD.encode(bytes.as_ref()))
}

/// A webhook signing secret as handed out once: `whsec_` and 32 random bytes in hex.
pub fn new_push_secret() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::rng().fill_bytes(bytes.as_mut());
    Zeroizing::new(format!("whsec_{}", hex::encode(bytes.as_ref())))
}

/// `Hc-Signature` of a webhook body: `t=UNIX,v1=hex(HMAC-SHA256(secret, t || "." || body))`.
pub fn push_signature(secret: &[u8], t: i64, body: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// What the database stores for a token. Tokens carry 256 random bits, so a fast hash is enough:
/// nobody can brute-force them from a leaked table.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A fresh random device key and label code, as a factory would make them.
pub fn new_device_secrets() -> (DeviceKey, LabelCode) {
    let mut rng = rand::rng();
    let mut key = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(key.as_mut());
    let label: String = (0..hc_protocol::factory::LABEL_CODE_LEN)
        .map(|_| char::from(b'A' + (rand::Rng::random_range(&mut rng, 0..26u8))))
        .collect();
    (
        DeviceKey::from_bytes(*key),
        LabelCode::parse(&label).expect("six letters A-Z"),
    )
}

/// The most argon2 memory one stored hash may ask for, in 1 KiB blocks (4x our own m=19 MiB): a
/// damaged or hostile row cannot make a hashing thread allocate gigabytes.
const MAX_ARGON2_BLOCKS: usize = 4 * 19 * 1024;

thread_local! {
    /// argon2's working memory, allocated once per hashing thread and kept. Allocating 19 MiB for
    /// each hash and freeing it makes glibc raise its mmap threshold and keep the freed blocks in
    /// every arena that ever hashed (issue 14: gigabytes after a flood); one buffer per thread
    /// keeps the process at a fixed 19 MiB per hashing thread.
    static ARGON2_MEMORY: std::cell::RefCell<Vec<argon2::Block>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs argon2 with `params` into `out`, on this thread's kept working memory.
fn argon2_into(
    algorithm: argon2::Algorithm,
    version: argon2::Version,
    params: argon2::Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let blocks = params.block_count();
    if blocks > MAX_ARGON2_BLOCKS {
        return Err(argon2::Error::MemoryTooMuch);
    }
    let hasher = argon2::Argon2::new(algorithm, version, params);
    ARGON2_MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.len() < blocks {
            memory.resize(blocks, argon2::Block::default());
        }
        hasher.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
    })
}

/// argon2id with the crate's defaults (OWASP's m=19 MiB, t=2, p=1), as a PHC string. Slow on
/// purpose: call it through [`crate::hashing::PasswordHashing`].
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt_string = SaltString::encode_b64(&salt)?;
    let params = argon2::Params::default();
    let (algorithm, version) = (argon2::Algorithm::default(), argon2::Version::default());
    let output = argon2::password_hash::Output::init_with(
        params
            .output_len()
            .unwrap_or(argon2::Params::DEFAULT_OUTPUT_LEN),
        |out| {
            argon2_into(
                algorithm,
                version,
                params.clone(),
                password.as_bytes(),
                &salt,
                out,
            )
            .map_err(Into::into)
        },
    )?;
    Ok(PasswordHash {
        algorithm: algorithm.ident(),
        version: Some(version.into()),
        params: argon2::password_hash::ParamsString::try_from(&params)?,
        salt: Some(salt_string.as_salt()),
        hash: Some(output),
    }
    .to_string())
}

/// Checks a password against a stored PHC string, comparing in constant time. With no stored
/// hash (unknown account) it still does the work against a fixed hash, so timing does not reveal
/// which emails exist.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("not-a-real-password").unwrap_or_default());
    let (phc, real) = match stored {
        Some(phc) => (phc, true),
        None => (dummy.as_str(), false),
    };
    let ok = matches_phc(password, phc).unwrap_or(false);
    ok && real
}

fn matches_phc(password: &str, phc: &str) -> Option<bool> {
    let parsed = PasswordHash::new(phc).ok()?;
    let expected = parsed.hash?;
    let algorithm = argon2::Algorithm::try_from(parsed.algorithm).ok()?;
    let version = match parsed.version {
        Some(version) => argon2::Version::try_from(version).ok()?,
        None => argon2::Version::default(),
    };
    let params = argon2::Params::try_from(&parsed).ok()?;
    let mut salt = [0u8; 64];
    let salt = parsed.salt?.decode_b64(&mut salt).ok()?;
    let computed = argon2::password_hash::Output::init_with(expected.len(), |out| {
        argon2_into(algorithm, version, params, password.as_bytes(), salt, out).map_err(Into::into)
    })
    .ok()?;
    // `Output`'s equality is constant-time.
    Some(computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_device_key_opens_only_for_its_serial_and_master_key() {
        let master = MasterKey::from_bytes(&[7; 32]);
        let key = DeviceKey::from_bytes([9; 32]);
        let sealed = master.seal_device_key("J12345678", &key);
        assert_eq!(master.open_device_key("J12345678", &sealed), Some(key));
        assert_eq!(master.open_device_key("J12345679", &sealed), None);
        assert_eq!(
            MasterKey::from_bytes(&[8; 32]).open_device_key("J12345678", &sealed),
            None
        );
        assert_eq!(master.open_device_key("J12345678", &sealed[..10]), None);
    }

    #[test]
    fn account_codes_are_six_digits_and_their_hash_is_bound_to_purpose_and_account() {
        for _ in 0..200 {
            let code = new_account_code();
            assert_eq!(code.len(), 6);
            assert!(
                code.bytes().all(|b| b.is_ascii_digit()),
                "{}",
                code.as_str()
            );
        }
        let key = MasterKey::from_bytes(&[7; 32]);
        let verify = AccountCodePurpose::VerifyEmail;
        let stored = key.account_code_hash(verify, 1, "123456");
        assert!(key.account_code_matches(verify, 1, "123456", &stored));
        assert!(!key.account_code_matches(verify, 1, "123457", &stored));
        assert!(!key.account_code_matches(verify, 2, "123456", &stored));
        assert!(!key.account_code_matches(AccountCodePurpose::ResetPassword, 1, "123456", &stored));
        let other = MasterKey::from_bytes(&[8; 32]);
        assert!(!other.account_code_matches(verify, 1, "123456", &stored));
    }

    #[test]
    fn label_code_hash_matches_only_the_same_code() {
        let master = MasterKey::from_bytes(&[7; 32]);
        let label = LabelCode::parse("ABCDEF").unwrap();
        let stored = master.label_code_hash("J12345678", &label);
        assert!(master.label_code_matches("J12345678", &label, &stored));
        assert!(!master.label_code_matches(
            "J12345678",
            &LabelCode::parse("ABCDEG").unwrap(),
            &stored
        ));
        assert!(!master.label_code_matches("J12345679", &label, &stored));
    }

    #[test]
    fn master_key_file_is_created_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/master.key");
        let first = MasterKey::load_or_create(&path).unwrap();
        let key = DeviceKey::from_bytes([1; 32]);
        let sealed = first.seal_device_key("J12345678", &key);
        let second = MasterKey::load_or_create(&path).unwrap();
        assert_eq!(second.open_device_key("J12345678", &sealed), Some(key));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn our_hashes_are_standard_argon2id_phc_strings_both_ways() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        // Ours verify with the crate's own verifier...
        let ours = hash_password("correct horse").unwrap();
        assert!(
            argon2::Argon2::default()
                .verify_password(b"correct horse", &PasswordHash::new(&ours).unwrap())
                .is_ok()
        );
        // ...and the crate's (what older versions stored) verify with ours.
        let salt = SaltString::encode_b64(&[5; 16]).unwrap();
        let theirs = argon2::Argon2::default()
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password("correct horse", Some(&theirs)));
        assert!(!verify_password("correct horsf", Some(&theirs)));
        // A row asking for absurd memory is refused, not allocated.
        let greedy = theirs.replace("m=19456", "m=4000000");
        assert!(!verify_password("correct horse", Some(&greedy)));
        assert!(!verify_password("correct horse", Some("not a hash")));
    }

    #[test]
    fn passwords_verify_and_unknown_accounts_never_do() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", Some(&phc)));
        assert!(!verify_password("wrong horse", Some(&phc)));
        assert!(!verify_password("not-a-real-password", None));
    }
}
