//! Mail for real (issue 21): the outbox worker and the two ways a mail leaves, an SMTP relay
//! ([`SmtpSender`], lettre on rustls) or, without one, a folder of `.eml` files
//! ([`FolderSender`]). The mail is written to `mail_outbox` in the transaction of its action;
//! the worker leases due rows (several instances never send one row at once), sends, and settles
//! each as sent, retried with backoff, or parked as `dead`, as the push worker does. A sent or
//! dead row loses its message, and so the code in it.

pub mod templates;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::{MailSettings, SmtpSettings, SmtpTls};
use crate::error::Error;
use crate::push::{backoff, millis, unix_now_ms};
use crate::state::AppState;
use crate::storage::{ClaimedMail, Settlement};

/// Rows one worker round claims.
const BATCH: u32 = 16;
/// Longest `last_error` kept.
const MAX_ERROR_CHARS: usize = 200;

/// Why a mail did not leave: a short reason (no message text, no address in it), and whether
/// trying again cannot help (the relay refused it for good: an unknown mailbox, a policy).
#[derive(Debug)]
pub struct SendError {
    pub reason: String,
    pub permanent: bool,
}

impl SendError {
    fn transient(reason: String) -> Self {
        SendError {
            reason,
            permanent: false,
        }
    }
}

/// Sends one mail.
#[async_trait]
pub trait MailSender: Send + Sync {
    async fn send(&self, outbox_id: i64, recipient: &str, message: &[u8]) -> Result<(), SendError>;
    /// Where mail goes, for the start-up log line.
    fn describe(&self) -> String;
}

/// The sender a configuration names.
pub fn sender(mail: &MailSettings, mail_dir: PathBuf) -> Result<Arc<dyn MailSender>, Error> {
    match &mail.smtp {
        Some(smtp) => Ok(Arc::new(SmtpSender::new(smtp, &mail.from, mail.timeout)?)),
        None => Ok(Arc::new(FolderSender { dir: mail_dir })),
    }
}

/// A relay over SMTP. TLS is required by default (implicit on 465, STARTTLS elsewhere); plain
/// text only to a loopback relay.
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Address,
    description: String,
}

impl SmtpSender {
    pub fn new(smtp: &SmtpSettings, from: &str, timeout: Duration) -> Result<Self, Error> {
        let bad = |what: String| Error::Config(what);
        if smtp.tls == SmtpTls::None && !is_loopback_host(&smtp.host) {
            return Err(bad(format!(
                "--smtp-tls none sends passwords and codes in plain text: only taken for a \
                 loopback relay, not {}",
                smtp.host
            )));
        }
        let from: lettre::message::Mailbox = from
            .parse()
            .map_err(|e| bad(format!("--smtp-from {from:?}: {e}")))?;
        let mut parameters = TlsParameters::builder(smtp.host.clone());
        if let Some(ca) = &smtp.ca_file {
            let pem = std::fs::read(ca).map_err(|e| Error::io(ca, e))?;
            let certificate = Certificate::from_pem(&pem)
                .map_err(|e| bad(format!("--smtp-ca-file {}: {e}", ca.display())))?;
            parameters = parameters.add_root_certificate(certificate);
        }
        let parameters = parameters
            .build_rustls()
            .map_err(|e| Error::Tls(e.to_string()))?;
        let tls = match smtp.tls {
            SmtpTls::Tls => Tls::Wrapper(parameters),
            SmtpTls::StartTls => Tls::Required(parameters),
            SmtpTls::Opportunistic => Tls::Opportunistic(parameters),
            SmtpTls::None => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
            .port(smtp.port)
            .tls(tls)
            .timeout(Some(timeout));
        if let Some((user, password)) = &smtp.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(SmtpSender {
            transport: builder.build(),
            from: from.email,
            description: format!("SMTP {}:{} ({})", smtp.host, smtp.port, smtp.tls.as_str()),
        })
    }
}

#[async_trait]
impl MailSender for SmtpSender {
    async fn send(
        &self,
        _outbox_id: i64,
        recipient: &str,
        message: &[u8],
    ) -> Result<(), SendError> {
        let refused = |reason: String| SendError {
            reason,
            permanent: true,
        };
        let to: Address = recipient
            .parse()
            .map_err(|e| refused(format!("the recipient address: {e}")))?;
        let envelope = Envelope::new(Some(self.from.clone()), vec![to])
            .map_err(|e| refused(format!("the envelope: {e}")))?;
        self.transport
            .send_raw(&envelope, message)
            .await
            .map(|_| ())
            .map_err(|e| {
                // The relay's own words may quote the address: its status code says enough.
                let permanent = e.is_permanent();
                let reason = match e.status() {
                    Some(code) if permanent => format!("the relay refused it for good ({code})"),
                    Some(code) => format!("the relay answered {code}"),
                    None => e.to_string(),
                };
                SendError { reason, permanent }
            })
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}

/// Whether a relay host is this machine: `localhost` or a loopback address.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Without a relay: one RFC 5322 file per mail, `<unix_ms>-<outbox id>.eml`, owner-only (it
/// holds a code). Written under a hidden temp name and renamed, so a reader never sees half.
pub struct FolderSender {
    pub dir: PathBuf,
}

#[async_trait]
impl MailSender for FolderSender {
    async fn send(
        &self,
        outbox_id: i64,
        _recipient: &str,
        message: &[u8],
    ) -> Result<(), SendError> {
        let dir = self.dir.clone();
        let message = message.to_vec();
        tokio::task::spawn_blocking(move || write_mail_file(&dir, outbox_id, &message))
            .await
            .map_err(|e| SendError::transient(e.to_string()))?
            .map_err(|e| SendError::transient(format!("writing to the mail folder: {e}")))
    }

    fn describe(&self) -> String {
        self.dir.display().to_string()
    }
}

/// The mail folder as its reader sees it (the demo's mailbox, the tests'): the `.eml` files the
/// folder sender wrote, oldest first (by the `<unix_ms>-<outbox id>` of their names).
pub fn folder_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<((u64, u64), PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.strip_suffix(".eml")?;
            let (ms, id) = name.split_once('-')?;
            Some(((ms.parse().ok()?, id.parse().ok()?), path))
        })
        .collect();
    files.sort();
    files.into_iter().map(|(_, path)| path).collect()
}

fn write_mail_file(dir: &std::path::Path, outbox_id: i64, message: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    // A folder the cloud makes is owner-only (its files hold codes); one the operator made
    // keeps the mode they gave it (the files in it are owner-only either way).
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(dir)?;
    }
    let name = format!("{}-{outbox_id}.eml", unix_now_ms());
    let temp = dir.join(format!(".{name}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&temp)?;
    file.write_all(message)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temp, dir.join(name))
}

/// The worker: claims due mails, sends them, settles them, until the task is aborted or `stop`
/// turns true; then it sends what is due once more and returns (a graceful shutdown leaves no
/// mail behind a lease).
pub async fn deliver_forever(
    state: AppState,
    sender: Arc<dyn MailSender>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let settings = state.policy().mail.clone();
    // A lease outlives the longest SMTP conversation, so a live worker never loses its row.
    let lease_for = millis(settings.timeout) * 2 + 1000;
    loop {
        let stopping = *stop.borrow_and_update();
        let woken = state.mail_written().notified();
        let claimed = match round(&state, &sender, &settings, lease_for).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(%error, "mail round failed");
                0
            }
        };
        if stopping && claimed < BATCH as usize {
            return;
        }
        if claimed < BATCH as usize {
            tokio::select! {
                _ = woken => {}
                _ = tokio::time::sleep(settings.poll_interval) => {}
                _ = stop.changed() => {}
            }
        }
    }
}

/// One round: claims due rows and sends them one after the other (a relay would rather see one
/// connection at a time). How many were claimed.
pub async fn round(
    state: &AppState,
    sender: &Arc<dyn MailSender>,
    settings: &MailSettings,
    lease_for_ms: i64,
) -> Result<usize, crate::storage::StorageError> {
    let now = unix_now_ms();
    let lease = hex::encode(rand::random::<[u8; 16]>());
    let claimed = state
        .storage()
        .claim_mails(now, now.saturating_add(lease_for_ms), &lease, BATCH)
        .await?;
    let count = claimed.len();
    for mail in claimed {
        let settlement = attempt(sender.as_ref(), settings, &mail).await;
        match &settlement {
            Settlement::Dead { error } => {
                tracing::warn!(mail = mail.outbox_id, %error, "mail parked as dead")
            }
            Settlement::Retry { error, .. } => {
                tracing::info!(mail = mail.outbox_id, %error, "mail not sent; will retry")
            }
            Settlement::Delivered => tracing::debug!(mail = mail.outbox_id, "mail sent"),
        }
        if let Err(error) = state
            .storage()
            .settle_mail(mail.outbox_id, &lease, &settlement)
            .await
        {
            // The lease runs out and the row is tried again: at least once.
            tracing::warn!(%error, "settling a mail failed");
        }
    }
    Ok(count)
}

async fn attempt(
    sender: &dyn MailSender,
    settings: &MailSettings,
    mail: &ClaimedMail,
) -> Settlement {
    let failures = mail.attempts.saturating_add(1);
    match sender
        .send(mail.outbox_id, &mail.recipient, &mail.message)
        .await
    {
        Ok(()) => Settlement::Delivered,
        Err(SendError { reason, permanent }) => {
            let error: String = reason.chars().take(MAX_ERROR_CHARS).collect();
            if permanent || failures >= settings.max_attempts {
                Settlement::Dead { error }
            } else {
                let delay = backoff(settings.backoff_base, settings.backoff_cap, failures);
                Settlement::Retry {
                    due_at_ms: unix_now_ms().saturating_add(millis(delay)),
                    error,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relay(host: &str, tls: SmtpTls) -> SmtpSettings {
        SmtpSettings {
            host: host.to_owned(),
            port: 25,
            credentials: Some(("user".into(), "secret".into())),
            tls,
            ca_file: None,
        }
    }

    #[test]
    fn plain_text_smtp_is_only_taken_for_a_loopback_relay() {
        let timeout = Duration::from_secs(1);
        for host in ["localhost", "127.0.0.1", "::1", "[::1]"] {
            assert!(is_loopback_host(host), "{host}");
            assert!(SmtpSender::new(&relay(host, SmtpTls::None), "a@b.co", timeout).is_ok());
        }
        for host in ["mail.example.com", "10.0.0.5", "192.0.2.1"] {
            assert!(!is_loopback_host(host), "{host}");
            let refused = SmtpSender::new(&relay(host, SmtpTls::None), "a@b.co", timeout);
            assert!(matches!(refused, Err(Error::Config(_))), "{host}");
            assert!(SmtpSender::new(&relay(host, SmtpTls::StartTls), "a@b.co", timeout).is_ok());
        }
    }

    #[test]
    fn tls_is_implicit_on_465_and_required_starttls_elsewhere() {
        assert_eq!(SmtpTls::default_for_port(465), SmtpTls::Tls);
        assert_eq!(SmtpTls::default_for_port(587), SmtpTls::StartTls);
        assert_eq!(SmtpTls::default_for_port(25), SmtpTls::StartTls);
        for mode in [
            SmtpTls::Tls,
            SmtpTls::StartTls,
            SmtpTls::Opportunistic,
            SmtpTls::None,
        ] {
            assert_eq!(SmtpTls::parse(mode.as_str()), Some(mode));
        }
    }

    #[test]
    fn the_relay_password_is_not_in_the_debug_form() {
        let shown = format!("{:?}", relay("mail.example.com", SmtpTls::StartTls));
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("user"), "{shown}");
    }

    #[test]
    fn a_mail_file_appears_whole_under_its_outbox_id() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("mail");
        write_mail_file(&folder, 42, b"Subject: x\r\n\r\nbody\r\n").unwrap();
        let names: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(names[0].ends_with("-42.eml"), "{names:?}");
    }
}
