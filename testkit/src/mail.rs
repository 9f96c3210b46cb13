//! Mail as the tests see it: [`SmtpSink`], a real SMTP server on 127.0.0.1 (STARTTLS on the test
//! CA, AUTH PLAIN) that keeps what it is sent; [`MailFolder`], the `.eml` files a cloud without a
//! relay writes; and [`code_for`], the code in the newest mail to an address, from either.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::TestCa;

/// One mail: how it came (for the sink) and its bytes.
#[derive(Clone, Debug)]
pub struct Mail {
    /// `MAIL FROM` (the sink) or `None` (a file).
    pub envelope_from: Option<String>,
    /// `RCPT TO` (the sink), or the `To:` header (a file).
    pub envelope_to: Vec<String>,
    /// The message as sent (dots unstuffed).
    pub raw: Vec<u8>,
    /// Whether the session was inside TLS when the message was sent.
    pub tls: bool,
    /// The user the session authenticated as.
    pub auth_user: Option<String>,
}

impl Mail {
    fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.raw)
            .expect("an RFC 5322 message")
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_owned()
    }

    /// The plain-text part, decoded.
    pub fn text(&self) -> String {
        self.parsed()
            .body_text(0)
            .map(|text| text.into_owned())
            .unwrap_or_default()
    }

    /// The HTML part, decoded.
    pub fn html(&self) -> String {
        self.parsed()
            .body_html(0)
            .map(|html| html.into_owned())
            .unwrap_or_default()
    }

    /// The `Content-Type` of the whole message (`multipart/alternative`).
    pub fn content_type(&self) -> String {
        use mail_parser::MimeHeaders;
        let message = self.parsed();
        message
            .root_part()
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{sub}", ct.ctype()),
                None => ct.ctype().to_owned(),
            })
            .unwrap_or_default()
    }

    /// The addresses of the `To:` header.
    pub fn to(&self) -> Vec<String> {
        let message = self.parsed();
        message
            .to()
            .map(|to| {
                to.iter()
                    .filter_map(|a| a.address().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The six-digit code on a line of its own in the plain text.
    pub fn code(&self) -> Option<String> {
        hc_cloud::mail::templates::code_in(&self.text()).map(str::to_owned)
    }

    fn is_to(&self, address: &str) -> bool {
        self.envelope_to
            .iter()
            .chain(self.to().iter())
            .any(|to| to.eq_ignore_ascii_case(address))
    }
}

/// Where a test reads mail from.
pub trait Mails {
    /// Every mail so far, oldest first.
    fn mails(&self) -> Vec<Mail>;
}

/// Several places at once, e.g. the mail folders of two instances over one database (whichever
/// instance's worker leased a mail wrote it).
impl<T: Mails, const N: usize> Mails for [T; N] {
    fn mails(&self) -> Vec<Mail> {
        self.iter().flat_map(Mails::mails).collect()
    }
}

/// Verifies the address of the session `token` at the cloud `base_url` with the newest code
/// mailed to `email` in `mails`, as the app does (`POST /v1/accounts/verify`).
pub async fn verify_with(
    http: &reqwest::Client,
    base_url: &str,
    token: &str,
    mails: &impl Mails,
    email: &str,
) {
    let code = code_for(mails, email, Duration::from_secs(15)).await;
    let response = http
        .post(format!("{base_url}/v1/accounts/verify"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "code": code }))
        .send()
        .await
        .expect("verify is sent");
    assert_eq!(
        response.status(),
        reqwest::StatusCode::OK,
        "{:?}",
        response.text().await
    );
}

/// The mails to `to` so far, oldest first.
pub fn mails_to(mails: &impl Mails, to: &str) -> Vec<Mail> {
    mails.mails().into_iter().filter(|m| m.is_to(to)).collect()
}

/// The code of the newest mail to `to`, waiting up to `timeout` for one.
pub async fn code_for(mails: &impl Mails, to: &str, timeout: Duration) -> String {
    next_code_for(mails, to, 0, timeout).await
}

/// The code of the newest mail to `to` once more than `seen` mails went to it, waiting up to
/// `timeout` (for the code of a resend, say, after `mails_to(..).len()` mails).
pub async fn next_code_for(mails: &impl Mails, to: &str, seen: usize, timeout: Duration) -> String {
    let mail = next_mail_to(mails, to, seen, timeout).await;
    mail.code()
        .unwrap_or_else(|| panic!("no code line in the mail to {to}: {}", mail.text()))
}

/// The newest mail to `to` once more than `seen` went to it.
pub async fn next_mail_to(mails: &impl Mails, to: &str, seen: usize, timeout: Duration) -> Mail {
    let deadline = Instant::now() + timeout;
    loop {
        let mut found = mails_to(mails, to);
        if found.len() > seen {
            return found.pop().expect("not empty");
        }
        assert!(
            Instant::now() < deadline,
            "no new mail to {to} within {timeout:?} ({} so far)",
            found.len()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The `.eml` files a cloud without an SMTP relay writes (`Config::mail_dir`), oldest first.
#[derive(Clone, Debug)]
pub struct MailFolder {
    pub dir: PathBuf,
}

impl MailFolder {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        MailFolder { dir: dir.into() }
    }

    /// The `.eml` files, oldest first (by the `<unix_ms>-<outbox id>` of their names).
    pub fn files(&self) -> Vec<PathBuf> {
        hc_cloud::mail::folder_files(&self.dir)
    }
}

impl Mails for MailFolder {
    fn mails(&self) -> Vec<Mail> {
        self.files()
            .into_iter()
            .filter_map(|path| std::fs::read(path).ok())
            .map(|raw| {
                let mut mail = Mail {
                    envelope_from: None,
                    envelope_to: Vec::new(),
                    raw,
                    tls: false,
                    auth_user: None,
                };
                mail.envelope_to = mail.to();
                mail
            })
            .collect()
    }
}

/// What the sink was sent, and who waits for it.
#[derive(Default)]
struct Received {
    mails: Mutex<Vec<Mail>>,
    arrived: Notify,
}

/// A real SMTP server on 127.0.0.1: EHLO (STARTTLS, then AUTH PLAIN inside TLS), STARTTLS with
/// the test CA's certificate for 127.0.0.1 and localhost, AUTH PLAIN against one user, MAIL FROM,
/// RCPT TO, DATA (dot-unstuffed), RSET, NOOP, QUIT. Mail is refused before AUTH. It can be
/// stopped and started again on the same port (a relay that is down for a while).
pub struct SmtpSink {
    addr: SocketAddr,
    tls: tokio_rustls::TlsAcceptor,
    user: String,
    password: String,
    received: Arc<Received>,
    task: Option<JoinHandle<()>>,
    /// The CA file the relay's certificate chains to (`--smtp-ca-file`).
    pub ca_file: PathBuf,
}

impl SmtpSink {
    /// A sink on a free port, its certificate from `ca`, taking AUTH PLAIN for `user`/`password`.
    pub async fn start(ca: &TestCa, user: &str, password: &str) -> SmtpSink {
        let config = server_config(&ca.cert_path, &ca.key_path);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let mut sink = SmtpSink {
            addr: listener.local_addr().expect("addr"),
            tls: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
            user: user.to_owned(),
            password: password.to_owned(),
            received: Arc::default(),
            task: None,
            ca_file: ca.ca_path.clone(),
        };
        sink.serve(listener);
        sink
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The relay settings of this sink for a cloud's `Config` (STARTTLS, AUTH, the test CA).
    pub fn smtp_settings(&self) -> hc_cloud::SmtpSettings {
        hc_cloud::SmtpSettings {
            host: "127.0.0.1".to_owned(),
            port: self.port(),
            credentials: Some((self.user.clone(), self.password.clone())),
            tls: hc_cloud::SmtpTls::StartTls,
            ca_file: Some(self.ca_file.clone()),
        }
    }

    /// Stops listening (connections are refused) and ends the sessions in progress.
    pub fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(5);
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(error) if Instant::now() < deadline => {
                    eprintln!("smtp sink rebind: {error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(error) => panic!("the sink cannot listen on {} again: {error}", self.addr),
            }
        };
        self.serve(listener);
    }

    /// Waits until the sink holds at least `count` mails; all of them.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Mail> {
        let deadline = Instant::now() + timeout;
        loop {
            let arrived = self.received.arrived.notified();
            let mails = self.mails();
            if mails.len() >= count {
                return mails;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "{count} mails expected within {timeout:?}, {} came",
                mails.len()
            );
            let _ = tokio::time::timeout(left.min(Duration::from_millis(100)), arrived).await;
        }
    }

    fn serve(&mut self, listener: TcpListener) {
        let tls = self.tls.clone();
        let received = self.received.clone();
        let credentials = (self.user.clone(), self.password.clone());
        self.task = Some(tokio::spawn(async move {
            let mut sessions = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let tls = tls.clone();
                let received = received.clone();
                let credentials = credentials.clone();
                sessions.spawn(async move {
                    if let Err(error) = session(stream, tls, &credentials, &received).await {
                        eprintln!("smtp sink session: {error}");
                    }
                });
            }
        }));
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Mails for SmtpSink {
    fn mails(&self) -> Vec<Mail> {
        self.received.mails.lock().expect("not poisoned").clone()
    }
}

fn server_config(cert: &Path, key: &Path) -> rustls::ServerConfig {
    let certs = rustls_pemfile::certs(&mut std::io::BufReader::new(
        std::fs::File::open(cert).expect("cert file"),
    ))
    .collect::<Result<Vec<_>, _>>()
    .expect("certs");
    let key = rustls_pemfile::private_key(&mut std::io::BufReader::new(
        std::fs::File::open(key).expect("key file"),
    ))
    .expect("key")
    .expect("a key");
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config")
}

/// One SMTP session: plain text until STARTTLS, then the same conversation inside TLS.
async fn session(
    stream: TcpStream,
    tls: tokio_rustls::TlsAcceptor,
    credentials: &(String, String),
    received: &Received,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    reader
        .get_mut()
        .write_all(b"220 127.0.0.1 hc test SMTP sink\r\n")
        .await?;
    if let Some(()) = converse(&mut reader, false, credentials, received).await? {
        let stream = reader.into_inner();
        let tls_stream = tls.accept(stream).await?;
        let mut reader = BufReader::new(tls_stream);
        converse(&mut reader, true, credentials, received).await?;
    }
    Ok(())
}

/// Commands until QUIT or the connection ends (`None`), or STARTTLS (`Some`: upgrade now).
async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    reader: &mut BufReader<S>,
    tls: bool,
    credentials: &(String, String),
    received: &Received,
) -> std::io::Result<Option<()>> {
    let mut auth_user: Option<String> = None;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    loop {
        let Some(line) = read_line(reader).await? else {
            return Ok(None);
        };
        let upper = line.to_ascii_uppercase();
        let verb = upper
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned();
        let reply: String = match verb.as_str() {
            "EHLO" | "HELO" => {
                from = None;
                to.clear();
                let mut lines = vec!["127.0.0.1 greets you".to_owned(), "8BITMIME".to_owned()];
                if tls {
                    lines.push("AUTH PLAIN".to_owned());
                } else {
                    lines.push("STARTTLS".to_owned());
                }
                let last = lines.len() - 1;
                lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| format!("250{}{l}\r\n", if i == last { ' ' } else { '-' }))
                    .collect()
            }
            "STARTTLS" if !tls => {
                write(reader, "220 go ahead\r\n").await?;
                return Ok(Some(()));
            }
            "AUTH" if tls => {
                let mut parts = line.split_whitespace().skip(1);
                let mechanism = parts.next().unwrap_or_default();
                if !mechanism.eq_ignore_ascii_case("PLAIN") {
                    "504 only PLAIN\r\n".to_owned()
                } else {
                    let response = match parts.next() {
                        Some(initial) => initial.to_owned(),
                        None => {
                            write(reader, "334 \r\n").await?;
                            read_line(reader).await?.unwrap_or_default()
                        }
                    };
                    match check_plain(&response, credentials) {
                        Some(user) => {
                            auth_user = Some(user);
                            "235 authenticated\r\n".to_owned()
                        }
                        None => "535 authentication failed\r\n".to_owned(),
                    }
                }
            }
            "MAIL" if auth_user.is_none() => "530 authenticate first\r\n".to_owned(),
            "MAIL" => {
                from = Some(angle(&line));
                to.clear();
                "250 sender ok\r\n".to_owned()
            }
            "RCPT" if from.is_some() => {
                to.push(angle(&line));
                "250 recipient ok\r\n".to_owned()
            }
            "DATA" if from.is_some() && !to.is_empty() => {
                write(reader, "354 end with <CRLF>.<CRLF>\r\n").await?;
                let raw = read_data(reader).await?;
                let mail = Mail {
                    envelope_from: from.take(),
                    envelope_to: std::mem::take(&mut to),
                    raw,
                    tls,
                    auth_user: auth_user.clone(),
                };
                received.mails.lock().expect("not poisoned").push(mail);
                received.arrived.notify_waiters();
                "250 queued\r\n".to_owned()
            }
            "RSET" => {
                from = None;
                to.clear();
                "250 reset\r\n".to_owned()
            }
            "NOOP" => "250 ok\r\n".to_owned(),
            "QUIT" => {
                write(reader, "221 bye\r\n").await?;
                return Ok(None);
            }
            _ => "503 bad sequence of commands\r\n".to_owned(),
        };
        write(reader, &reply).await?;
    }
}

async fn write<S: AsyncRead + AsyncWrite + Unpin>(
    reader: &mut BufReader<S>,
    text: &str,
) -> std::io::Result<()> {
    let stream = reader.get_mut();
    stream.write_all(text.as_bytes()).await?;
    stream.flush().await
}

/// One command line without its CRLF; `None` at the end of the stream.
async fn read_line<S: AsyncRead + Unpin>(
    reader: &mut BufReader<S>,
) -> std::io::Result<Option<String>> {
    let mut line = Vec::new();
    if reader.read_until(b'\n', &mut line).await? == 0 {
        return Ok(None);
    }
    Ok(Some(
        String::from_utf8_lossy(&line)
            .trim_end_matches(['\r', '\n'])
            .to_owned(),
    ))
}

/// The message of DATA, up to the lone dot, with leading dots unstuffed (RFC 5321 4.5.2).
async fn read_data<S: AsyncRead + Unpin>(reader: &mut BufReader<S>) -> std::io::Result<Vec<u8>> {
    let mut message = Vec::new();
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(message);
        }
        let line = line.strip_prefix(b".").unwrap_or(&line);
        message.extend_from_slice(line);
    }
}

/// The address between `<` and `>` of `MAIL FROM:<a>` / `RCPT TO:<b>`.
fn angle(line: &str) -> String {
    line.split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(address, _)| address.to_owned())
        .unwrap_or_default()
}

/// AUTH PLAIN's `authzid \0 user \0 password`, base64: the user if it is the configured one.
fn check_plain(response: &str, (user, password): &(String, String)) -> Option<String> {
    let decoded = data_encoding::BASE64
        .decode(response.trim().as_bytes())
        .ok()?;
    let mut fields = decoded.split(|&b| b == 0);
    let _authzid = fields.next()?;
    let given_user = fields.next()?;
    let given_password = fields.next()?;
    (given_user == user.as_bytes() && given_password == password.as_bytes()).then(|| user.clone())
}
