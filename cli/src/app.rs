//! The app-side commands: each one a few calls into `hc-core`, and what to print.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hc_core::{
    ClientConfig, HcClient, HcError, MessageId, ResetFlowListener, ResetScreen, ResetState,
    SessionState, UiMessage, code_sent_message, device_added_message, device_list_screen,
    email_verified_message, reset_screen,
};
use hc_protocol::account_code::ACCOUNT_CODE_VALID_SECS;
use tokio::sync::mpsc;

use crate::outln;

use crate::messages::{
    Lang, audit_lines, cli_words, describe, exit_code, grouped_code, human_duration_in,
    list_source, say, utc_time,
};
use crate::store::FileStore;

/// How long `hc reset` waits for the flow to finish before giving up.
const RESET_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Hc(#[from] HcError),
    /// Bad input on the command line or a file that cannot be read.
    #[error("{0}")]
    Input(String),
}

impl CliError {
    pub fn describe(&self) -> String {
        match self {
            CliError::Hc(error) => describe(error),
            CliError::Input(text) => text.clone(),
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Hc(error) => exit_code(error),
            CliError::Input(_) => 2,
        }
    }
}

pub struct Context {
    client: HcClient,
    /// How young a cached device list is served without asking the cloud.
    max_age_secs: u64,
}

impl Context {
    pub fn new(cloud: &str, ca_cert: Option<&Path>, home: Option<&Path>) -> Result<Self, CliError> {
        let mut config = ClientConfig::new(cloud);
        if let Some(path) = ca_cert {
            let pem = std::fs::read_to_string(path)
                .map_err(|e| CliError::Input(format!("cannot read {}: {e}", path.display())))?;
            config.extra_root_ca_pem = Some(pem);
        }
        let home = home.map(Path::to_path_buf).unwrap_or_else(default_home);
        let store = FileStore::open(&home).map_err(HcError::from)?;
        Ok(Context {
            max_age_secs: config.device_list_max_age_secs,
            client: HcClient::new(config, Arc::new(store))?,
        })
    }

    /// Creates the account and logs in, as the apps do: the rule first, then the password twice
    /// on a terminal (once from standard input: a script does not mistype).
    pub async fn register(&self, email: String, password_stdin: bool) -> Result<(), CliError> {
        let (password, again) = read_new_password(password_stdin)?;
        self.client.register(email.clone(), password, again).await?;
        outln!(
            "{}",
            say(&UiMessage::with(MessageId::AccountCreated, [email.trim()]))
        );
        outln!(
            "{}",
            say(&code_sent_message(&email, false, ACCOUNT_CODE_VALID_SECS))
        );
        Ok(())
    }

    /// Verifies the address with the mailed code (asked for on a terminal when not given), or
    /// (`resend`) mails a new one.
    pub async fn verify(&self, code: Option<String>, resend: bool) -> Result<(), CliError> {
        if resend {
            let valid_for_secs = self.client.resend_verification().await?;
            let status = self.client.account_status().await?;
            outln!(
                "{}",
                say(&code_sent_message(&status.email, false, valid_for_secs))
            );
            return Ok(());
        }
        let code = match code {
            Some(code) => code,
            None => read_line(&cli_words("Code from the mail: ", "邮件中的验证码："))?,
        };
        let status = self.client.verify_email(code).await?;
        outln!("{}", say(&email_verified_message(&status)));
        Ok(())
    }

    /// "Forgot password": mails a code (unless `enter_code`: one was mailed already), then on a
    /// terminal asks for it and the new password twice; from standard input, the code on the
    /// first line and the new password on the second.
    pub async fn forgot(&self, email: String, enter_code: bool) -> Result<(), CliError> {
        let terminal = std::io::stdin().is_terminal();
        if !enter_code {
            let valid_for_secs = self.client.forgot_password(email.clone()).await?;
            outln!("{}", say(&code_sent_message(&email, true, valid_for_secs)));
            if !terminal {
                outln!(
                    "{}",
                    cli_words(
                        &format!(
                            "Then: hc forgot {} --enter-code (the code and the new password, one per line)",
                            email.trim()
                        ),
                        &format!(
                            "然后运行：hc forgot {} --enter-code（依次输入验证码和新密码，每行一个）",
                            email.trim()
                        )
                    )
                );
                return Ok(());
            }
        }
        let code = read_line(&cli_words("Code from the mail: ", "邮件中的验证码："))?;
        // The code's form first: a typo there should not cost the new password twice.
        hc_core::check_mailed_code(&code)?;
        let (new, again) = read_new_password(!terminal)?;
        let reset = self
            .client
            .reset_password(email.clone(), code, new, again)
            .await;
        if let Err(HcError::MailedCodeRefused { .. }) = &reset {
            eprintln!(
                "{}",
                cli_words(
                    &format!(
                        "hc forgot {} --enter-code tries a code again without mailing a new one.",
                        email.trim()
                    ),
                    &format!(
                        "运行 hc forgot {} --enter-code 可再次输入验证码，而不发送新邮件。",
                        email.trim()
                    )
                )
            );
        }
        reset?;
        outln!("{}", say(&UiMessage::plain(MessageId::PasswordResetDone)));
        Ok(())
    }

    /// Who is logged in, and whether the address is verified.
    pub async fn account(&self) -> Result<(), CliError> {
        let status = self.client.account_status().await?;
        let email = &status.email;
        outln!(
            "{}",
            if status.email_verified {
                cli_words(
                    &format!("Logged in as {email}; the address is verified."),
                    &format!("已登录：{email}；邮箱已验证。"),
                )
            } else {
                cli_words(
                    &format!(
                        "Logged in as {email}; the address is not verified yet (hc verify CODE)."
                    ),
                    &format!("已登录：{email}；邮箱尚未验证（hc verify 验证码）。"),
                )
            }
        );
        Ok(())
    }

    pub async fn login(&self, email: String, password_stdin: bool) -> Result<(), CliError> {
        let password = read_password(password_stdin, &cli_words("Password: ", "密码："))?;
        self.client.login(email.clone(), password).await?;
        let email = email.trim();
        outln!(
            "{}",
            cli_words(
                &format!("Logged in as {email}."),
                &format!("已登录：{email}。")
            )
        );
        Ok(())
    }

    /// Logs out here, or (`everywhere`) ends every session of the account: a lost phone's too.
    pub async fn logout(&self, everywhere: bool) -> Result<(), CliError> {
        if everywhere {
            self.client.log_out_everywhere().await?;
            outln!("{}", say(&UiMessage::plain(MessageId::LoggedOutEverywhere)));
        } else {
            match self.client.session_state() {
                // Another cloud's session is not this address's to end: say whose it is.
                SessionState::OtherCloud { session_cloud } => {
                    return Err(HcError::SessionForOtherCloud { session_cloud }.into());
                }
                SessionState::LoggedOut => {
                    self.client.logout().await?;
                    outln!("{}", cli_words("You were not logged in.", "您尚未登录。"));
                }
                SessionState::LoggedIn => {
                    self.client.logout().await?;
                    outln!("{}", cli_words("Logged out.", "已退出登录。"));
                }
            }
        }
        Ok(())
    }

    /// Changes the account password: the current one, then the new one twice (from standard
    /// input, one per line, with `--password-stdin`).
    pub async fn change_password(&self, password_stdin: bool) -> Result<(), CliError> {
        let current = read_password(
            password_stdin,
            &cli_words("Current password: ", "当前密码："),
        )?;
        let (new, again) = read_new_password(password_stdin)?;
        // The rule and the confirmation, checked before anything is sent.
        hc_core::check_new_password("", &new, &again)?;
        self.client.change_password(current, new).await?;
        outln!("{}", say(&UiMessage::plain(MessageId::PasswordChanged)));
        Ok(())
    }

    pub async fn devices(&self, refresh: bool) -> Result<(), CliError> {
        let snapshot = self.client.devices(refresh).await?;
        let screen = device_list_screen(&snapshot, unix_now());
        if let Some(empty) = &screen.empty {
            outln!("{}", say(empty));
        } else {
            let [serial, name, model, added] = if Lang::from_env() == Lang::Zh {
                ["序列号", "名称", "型号", "添加时间"]
            } else {
                ["SERIAL", "NAME", "MODEL", "ADDED"]
            };
            outln!("{serial:<10} {name:<24} {model:<24} {added}");
            for device in &snapshot.devices {
                outln!(
                    "{:<10} {:<24} {:<24} {}",
                    device.serial,
                    device.name,
                    device.model,
                    utc_time(device.added_at_unix)
                );
            }
        }
        if let Some(age) = &screen.cache_age {
            outln!("{}", say(age));
        }
        outln!("{}", list_source(&snapshot, self.max_age_secs));
        Ok(())
    }

    pub async fn add(
        &self,
        serial: String,
        label_code: String,
        name: Option<String>,
    ) -> Result<(), CliError> {
        // The core reads the serial and label code as printed, however they were typed.
        let added = self.client.add_device(serial, label_code, name).await?;
        outln!("{}", say(&device_added_message(&added)));
        Ok(())
    }

    pub async fn remove(&self, serial: String) -> Result<(), CliError> {
        self.client.remove_device(serial.clone()).await?;
        let serial = serial.trim();
        outln!(
            "{}",
            cli_words(
                &format!("Device {serial} removed from your account."),
                &format!("设备 {serial} 已从您的账号中删除。")
            )
        );
        Ok(())
    }

    pub async fn audit(&self, limit: Option<u32>, before: Option<i64>) -> Result<(), CliError> {
        let page = self.client.audit_page(before, limit).await?;
        if page.events.is_empty() {
            if before.is_some() {
                outln!("{}", cli_words("No older events.", "没有更早的记录。"));
            } else {
                outln!(
                    "{}",
                    cli_words("No reset-code requests yet.", "还没有验证码请求记录。")
                );
            }
            return Ok(());
        }
        let lang = Lang::from_env();
        for line in audit_lines(lang, &page.events) {
            outln!("{line}");
        }
        if let Some(before) = page.next_before {
            outln!("");
            outln!(
                "{}",
                cli_words(
                    &format!("More: hc audit --before {before}"),
                    &format!("更多：hc audit --before {before}")
                )
            );
        }
        Ok(())
    }

    pub async fn reset(
        &self,
        image: Option<PathBuf>,
        text: Option<String>,
    ) -> Result<(), CliError> {
        let code = self
            .reset_code(image, text, |state| print_progress(&state))
            .await?;
        let lang = Lang::from_env();
        let grouped = grouped_code(&code.code);
        let (serial, model) = (&code.serial, &code.model);
        let until = utc_time(code.expires_at_unix);
        let left = human_duration_in(
            lang,
            (code.expires_at_unix - unix_now()).max(0).unsigned_abs(),
        );
        outln!("");
        match lang {
            Lang::En => {
                outln!("Verification code: {grouped}");
                outln!("Enter it on the device {serial} ({model}) before {until} (in {left}).");
            }
            Lang::Zh => {
                outln!("验证码：{grouped}");
                outln!("请在 {until}（{left}后）之前在设备 {serial}（{model}）上输入。");
            }
        }
        Ok(())
    }

    /// Runs a `ResetFlow` from an image or a text to its end, reporting each state.
    pub async fn reset_code(
        &self,
        image: Option<PathBuf>,
        text: Option<String>,
        on_state: impl FnMut(ResetState),
    ) -> Result<CodeReady, CliError> {
        let input = match (image, text) {
            (Some(path), _) => ResetInput::Image(
                std::fs::read(&path)
                    .map_err(|e| CliError::Input(format!("cannot read {}: {e}", path.display())))?,
            ),
            (None, Some(text)) => ResetInput::Text(text.trim().to_owned()),
            (None, None) => {
                return Err(CliError::Input(
                    "give --image FILE or --text HCR1:...".into(),
                ));
            }
        };
        tokio::time::timeout(RESET_TIMEOUT, run_reset_flow(&self.client, input, on_state))
            .await
            .map_err(|_| CliError::Input("timed out waiting for the cloud".into()))?
            .map_err(CliError::Hc)
    }
}

/// What the reset screen is given: a photo or screenshot, or a QR text read by other means.
pub enum ResetInput {
    Image(Vec<u8>),
    Text(String),
}

/// One pass of the reset screen, as the apps drive it: the input in, states to `on_state`, and the
/// flow's end: a code, or the error it failed with. The CLI and the demo both use it.
pub async fn run_reset_flow(
    client: &HcClient,
    input: ResetInput,
    mut on_state: impl FnMut(ResetState),
) -> Result<CodeReady, HcError> {
    let (sender, mut states) = mpsc::unbounded_channel();
    let flow = client.reset_flow(Arc::new(ChannelListener(sender)));
    match input {
        ResetInput::Image(bytes) => flow.submit_image(bytes),
        ResetInput::Text(text) => flow.submit_text(text),
    }
    let outcome = loop {
        match states.recv().await {
            Some(ResetState::CodeReady {
                serial,
                model,
                code,
                expires_at_unix,
            }) => {
                break Ok(CodeReady {
                    serial,
                    model,
                    code,
                    expires_at_unix,
                });
            }
            Some(ResetState::Failed { error }) => break Err(error),
            Some(other) => on_state(other),
            None => {
                break Err(HcError::Network {
                    detail: "the reset flow stopped unexpectedly".into(),
                });
            }
        }
    };
    flow.cancel();
    outcome
}

/// The code the flow ended with.
pub struct CodeReady {
    pub serial: String,
    pub model: String,
    pub code: String,
    pub expires_at_unix: i64,
}

struct ChannelListener(mpsc::UnboundedSender<ResetState>);

impl ResetFlowListener for ChannelListener {
    fn on_state(&self, state: ResetState) {
        // The receiver is gone only when the command has finished.
        let _ = self.0.send(state);
    }
}

fn print_progress(state: &ResetState) {
    match reset_screen(state, unix_now()) {
        ResetScreen::Scanning { hint } => outln!("{}", say(&hint)),
        ResetScreen::Working { status, .. } => outln!("{}", say(&status)),
        ResetScreen::Code { .. } | ResetScreen::Failed { .. } => {}
    }
}

/// A new password as the apps take it: on a terminal the rule, then the password twice; from
/// standard input once (a script does not mistype), given back as its own confirmation.
fn read_new_password(password_stdin: bool) -> Result<(String, String), CliError> {
    let prompted = !password_stdin && std::io::stdin().is_terminal();
    if prompted {
        eprintln!("{}", say(&hc_core::password_rule_message()));
    }
    let password = read_password(password_stdin, &new_password_prompt())?;
    let again = if prompted {
        read_password(false, &new_password_again_prompt())?
    } else {
        password.clone()
    };
    Ok((password, again))
}

fn new_password_prompt() -> String {
    cli_words("New password: ", "新密码：")
}

fn new_password_again_prompt() -> String {
    cli_words("New password again: ", "再次输入新密码：")
}

/// One line a person types (a code): from the terminal after `prompt`, else from standard input.
fn read_line(prompt: &str) -> Result<String, CliError> {
    if std::io::stdin().is_terminal() {
        eprint!("{prompt}");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::Input(format!("cannot read the code: {e}")))?;
    Ok(line.trim().to_owned())
}

fn read_password(from_stdin: bool, prompt: &str) -> Result<String, CliError> {
    let password = if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::Input(format!("cannot read the password: {e}")))?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        rpassword::prompt_password(prompt)
            .map_err(|e| CliError::Input(format!("cannot read the password: {e}")))?
    };
    if password.is_empty() {
        return Err(CliError::Input("the password is empty".into()));
    }
    Ok(password)
}

fn default_home() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("hc");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".config").join("hc"),
        None => PathBuf::from(".hc"),
    }
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// One feed event as a line: id, time, words.
fn feed_line(event: &hc_core::FeedEventInfo) -> String {
    format!(
        "#{}  {}  {}",
        event.id,
        utc_time(event.at_unix),
        say(&event.message)
    )
}

fn transfer_line(t: &hc_core::TransferInfo) -> String {
    let state = t.state.as_str();
    let (serial, other, until) = (&t.serial, &t.other_account, utc_time(t.completes_at_unix));
    // Only an open request has a moment it moves at; a settled one just says how it ended.
    let open = t.state == hc_core::TransferState::Open;
    let lang = Lang::from_env();
    let line = match (t.incoming, lang) {
        (true, Lang::En) => format!(
            "#{}  {serial}  {other} asks to move it to their account  {state}",
            t.id
        ),
        (true, Lang::Zh) => format!("#{}  {serial}  {other} 请求将其转移到其账号  {state}", t.id),
        (false, Lang::En) => format!("#{}  {serial}  your request to {other}  {state}", t.id),
        (false, Lang::Zh) => format!("#{}  {serial}  您向 {other} 的请求  {state}", t.id),
    };
    if !open {
        return line;
    }
    match (t.incoming, lang) {
        (true, Lang::En) => format!("{line}  (moves at {until} unless you refuse)"),
        (true, Lang::Zh) => format!("{line}  （除非您拒绝，将于 {until} 转移）"),
        (false, Lang::En) => format!("{line}  (moves at {until} unless refused)"),
        (false, Lang::Zh) => format!("{line}  （除非被拒绝，将于 {until} 转移）"),
    }
}

impl Context {
    pub async fn events(&self, after: Option<i64>, follow: bool) -> Result<(), CliError> {
        let mut after = after;
        let mut printed = false;
        loop {
            let wait = if follow { 30 } else { 0 };
            let page = match self.client.feed_page(after, wait).await {
                Ok(page) => page,
                Err(error) if follow && matches!(error, HcError::Network { .. }) => {
                    eprintln!("hc: {}", describe(&error));
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    continue;
                }
                Err(error) => return Err(error.into()),
            };
            for event in &page.events {
                outln!("{}", feed_line(event));
                printed = true;
            }
            after = Some(page.next_after);
            if !follow && page.events.is_empty() {
                if !printed {
                    outln!("{}", cli_words("No events yet.", "还没有事件。"));
                }
                return Ok(());
            }
        }
    }

    pub async fn webhook_add(&self, url: String) -> Result<(), CliError> {
        let added = self.client.register_webhook(url).await?;
        outln!(
            "{}",
            cli_words(
                &format!(
                    "Webhook #{} added: {}",
                    added.endpoint.id, added.endpoint.url
                ),
                &format!(
                    "已添加 Webhook #{}：{}",
                    added.endpoint.id, added.endpoint.url
                )
            )
        );
        outln!(
            "{}",
            cli_words(
                "Signing secret (shown only this once; keep it to check each Hc-Signature):",
                "签名密钥（仅显示这一次；请妥善保存，用于校验每个 Hc-Signature）："
            )
        );
        outln!("{}", added.secret);
        Ok(())
    }

    pub async fn webhook_list(&self) -> Result<(), CliError> {
        let endpoints = self.client.push_endpoints().await?;
        if endpoints.is_empty() {
            outln!("{}", cli_words("No webhooks.", "没有 Webhook。"));
        }
        for e in endpoints {
            outln!(
                "#{}  {}  {}  {}",
                e.id,
                e.kind,
                e.url,
                utc_time(e.created_at_unix)
            );
        }
        Ok(())
    }

    pub async fn webhook_remove(&self, id: i64) -> Result<(), CliError> {
        self.client.remove_push_endpoint(id).await?;
        outln!(
            "{}",
            cli_words(
                &format!("Webhook #{id} removed."),
                &format!("已删除 Webhook #{id}。")
            )
        );
        Ok(())
    }

    pub async fn transfer_request(
        &self,
        image: Option<PathBuf>,
        text: Option<String>,
        label_code: String,
    ) -> Result<(), CliError> {
        let qr_text = match (image, text) {
            (Some(path), _) => {
                let bytes = std::fs::read(&path)
                    .map_err(|e| CliError::Input(format!("cannot read {}: {e}", path.display())))?;
                hc_core::decode_image(&bytes)?.ok_or(HcError::NoQrFound {
                    hint: hc_core::ScanHint::NoCode,
                })?
            }
            (None, Some(text)) => text,
            (None, None) => {
                return Err(CliError::Input(
                    "give --image FILE or --text HCR1:...".into(),
                ));
            }
        };
        let t = self.client.request_transfer(qr_text, label_code).await?;
        let until = utc_time(t.completes_at_unix);
        outln!(
            "{}",
            cli_words(
                &format!(
                    "Asked to move {} to your account (request #{}): it moves at {until} unless its owner ({}) refuses.",
                    t.serial, t.id, t.other_account
                ),
                &format!(
                    "已请求将设备 {} 转移到您的账号（请求 #{}）：除非其所有者（{}）拒绝，将于 {until} 转移。",
                    t.serial, t.id, t.other_account
                )
            )
        );
        Ok(())
    }

    pub async fn transfer_list(&self) -> Result<(), CliError> {
        let transfers = self.client.transfers().await?;
        if transfers.is_empty() {
            outln!("{}", cli_words("No transfer requests.", "没有转移请求。"));
        }
        for t in &transfers {
            outln!("{}", transfer_line(t));
        }
        Ok(())
    }

    pub async fn transfer_decide(&self, id: i64, approve: bool) -> Result<(), CliError> {
        if approve {
            self.client.approve_transfer(id).await?;
            outln!(
                "{}",
                cli_words(
                    &format!("Request #{id} approved: the device is in the other account now."),
                    &format!("已批准请求 #{id}：设备现已转移到对方账号。")
                )
            );
        } else {
            self.client.refuse_transfer(id).await?;
            outln!(
                "{}",
                cli_words(
                    &format!("Request #{id} refused: the device stays in your account."),
                    &format!("已拒绝请求 #{id}：设备仍在您的账号中。")
                )
            );
        }
        Ok(())
    }
}
