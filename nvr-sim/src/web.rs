//! The device's local web UI, the way a person uses it at the NVR: login, Forget Password, the QR
//! page with code entry, the new-password form, and beside the binding state "Check again".
//! Plain forms and redirects; the one script only counts deadlines down (see `html`).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hc_protocol::api::{ErrorBody, ErrorCode};
use serde::Deserialize;

use crate::api;
use crate::html::{countdown, device_clock, device_time, duration_text, escape, message, page};
use crate::nvr::Nvr;
use crate::session::{Session, clear_cookie};
use hc_device::{ADMIN_USER, DeviceError, DeviceStatus, ResetMethod, policy_text};
use zeroize::Zeroizing;

pub(crate) fn routes() -> Router<Arc<Nvr>> {
    Router::new()
        .route("/", get(home))
        .route("/style.css", get(style))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/check-again", post(check_again))
        .route("/forget-password", get(forget_password_page))
        .route(
            "/forget-password/hik-connect",
            get(qr_page).post(start_hik_connect),
        )
        .route("/forget-password/qr.png", get(api::qr_png))
        .route("/forget-password/verify", post(verify_submit))
        .route(
            "/forget-password/new-password",
            get(new_password_page).post(new_password_submit),
        )
}

/// Unknown paths: JSON under `/api/`, a page elsewhere.
pub(crate) async fn not_found(State(nvr): State<Arc<Nvr>>, uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        let body = ErrorBody::new(ErrorCode::NotFound, "no such API route");
        return (StatusCode::NOT_FOUND, Json(body)).into_response();
    }
    let body = format!(
        "{}<p><a href=\"/login\">Back to login</a></p>",
        message("error", "There is no such page on this device.")
    );
    (StatusCode::NOT_FOUND, page("Not found", &nvr.label, &body)).into_response()
}

async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        crate::html::STYLE,
    )
        .into_response()
}

// ---- sessions ------------------------------------------------------------------------------

/// Runs `f` on this browser's live session, if it has one. Looking never creates a session.
fn with_session<T>(nvr: &Nvr, headers: &HeaderMap, f: impl FnOnce(Option<&mut Session>) -> T) -> T {
    let now = nvr.now();
    f(nvr.sessions().find(headers, now))
}

/// Gives this browser a session under a fresh id (see `session`): `redirect` with its cookie.
fn start_session(
    nvr: &Nvr,
    headers: &HeaderMap,
    set_up: impl FnOnce(&mut Session),
    redirect: &str,
) -> Response {
    let now = nvr.now();
    let cookie = nvr
        .sessions()
        .start(headers, now, nvr.random.as_ref(), set_up);
    match cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        Some(cookie) => {
            let mut response = see_other(redirect);
            response.headers_mut().insert(header::SET_COOKIE, cookie);
            response
        }
        None => failure_page(nvr),
    }
}

fn failure_page(nvr: &Nvr) -> Response {
    let body = message("error", "The device failed. Try again later.");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        page("Device error", &nvr.label, &body),
    )
        .into_response()
}

fn see_other(path: &str) -> Response {
    Redirect::to(path).into_response()
}

/// What the person at the device is told for each error.
fn user_message(error: &DeviceError) -> String {
    match error {
        DeviceError::WrongPassword => "Incorrect user name or password.".into(),
        DeviceError::LoginLocked { retry_after } => format!(
            "Too many wrong passwords. Try again in {}.",
            duration_text(ceil_secs(*retry_after).max(1))
        ),
        DeviceError::LoginBusy => "The device is busy. Try again in a moment.".into(),
        DeviceError::WrongCode { attempts_left } => format!(
            "Wrong verification code. {attempts_left} attempt{} left.",
            if *attempts_left == 1 { "" } else { "s" }
        ),
        DeviceError::ChallengeBurned { retry_after } | DeviceError::CoolingDown { retry_after } => {
            format!(
                "Too many wrong verification codes. Try again in {}.",
                duration_text(ceil_secs(*retry_after).max(1))
            )
        }
        DeviceError::ChallengeExpired => {
            "The QR code has expired. Start Verify by Hik-Connect again.".into()
        }
        DeviceError::NoChallenge => "Start Verify by Hik-Connect first.".into(),
        DeviceError::MalformedCode => "The verification code is 8 digits.".into(),
        DeviceError::InvalidResetToken => {
            "The password reset has expired. Verify by Hik-Connect again.".into()
        }
        DeviceError::PasswordPolicy(rule) => {
            let mut text = rule.to_string();
            if let Some(first) = text.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            format!("{text}.")
        }
        DeviceError::NotOffered => {
            "Verify by Hik-Connect is available once this device is added to Hik-Connect.".into()
        }
        other => {
            tracing::error!("device failure: {other}");
            "The device failed. Try again later.".into()
        }
    }
}

// ---- login ---------------------------------------------------------------------------------

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
}

async fn home(State(nvr): State<Arc<Nvr>>, headers: HeaderMap) -> Response {
    let Ok(status) = nvr.with_agent(|agent| agent.status()).await else {
        return failure_page(&nvr);
    };
    let cloud = cloud_section(&nvr, &status, "/");
    with_session(&nvr, &headers, |session| {
        let Some(session) = session.filter(|s| s.logged_in) else {
            return see_other("/login");
        };
        let notice = session.notice.take().map(|n| message("notice", &n));
        let body = format!(
            "{notice}<p id=\"welcome\">Logged in as <b>{ADMIN_USER}</b>.</p>\
             <p class=\"muted\">Live view, playback and configuration are not part of this \
             simulator.</p><p>Serial <b>{serial}</b><br>Model {model}<br>Firmware {firmware}</p>\
             {cloud}\
             <form method=\"post\" action=\"/logout\"><button class=\"secondary\" id=\"logout\">\
             Log out</button></form>",
            notice = notice.unwrap_or_default(),
            serial = escape(&status.serial),
            model = escape(&status.model),
            firmware = escape(&status.firmware),
        );
        page("Live View", &nvr.label, &body).into_response()
    })
}

fn login_form(nvr: &Nvr, flash: Option<String>) -> Response {
    let body = format!(
        "{flash}<form method=\"post\" action=\"/login\">\
         <label for=\"user\">User Name</label>\
         <input id=\"user\" name=\"user\" value=\"{ADMIN_USER}\" autocomplete=\"username\" required>\
         <label for=\"password\">Password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" \
         autocomplete=\"current-password\" required>\
         <button id=\"login\" type=\"submit\">Login</button></form>\
         <div class=\"row\"><span></span><a id=\"forget-password\" href=\"/forget-password\">\
         Forget Password</a></div>",
        flash = flash.unwrap_or_default(),
    );
    page("Login", &nvr.label, &body).into_response()
}

async fn login_page(State(nvr): State<Arc<Nvr>>, headers: HeaderMap) -> Response {
    with_session(&nvr, &headers, |session| {
        let notice = session
            .and_then(|s| s.notice.take())
            .map(|n| message("notice", &n));
        login_form(&nvr, notice)
    })
}

async fn login_submit(
    State(nvr): State<Arc<Nvr>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    match nvr.login(form.user, Zeroizing::new(form.password)).await {
        Ok(Ok(())) => start_session(&nvr, &headers, |s| s.logged_in = true, "/"),
        Ok(Err(error)) => login_form(&nvr, Some(message("error", &user_message(&error)))),
        Err(_) => failure_page(&nvr),
    }
}

async fn logout(State(nvr): State<Arc<Nvr>>, headers: HeaderMap) -> Response {
    nvr.sessions().end(&headers);
    let mut response = see_other("/login");
    if let Ok(cookie) = HeaderValue::from_str(&clear_cookie()) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

// ---- the cloud -----------------------------------------------------------------------------

/// The pages "Check again" may return to.
const CHECK_AGAIN_PAGES: [&str; 3] = ["/", "/forget-password", "/forget-password/hik-connect"];

/// The binding state and the NVR's contact with the cloud: when it last heard from it, the last
/// failure since, when it checks again by itself, and "Check again" (back to `back`).
fn cloud_section(nvr: &Nvr, status: &DeviceStatus, back: &str) -> String {
    let binding = if status.bound {
        "<p id=\"binding\">Hik-Connect: <b>added to an account</b></p>"
    } else {
        "<p id=\"binding\">Hik-Connect: <b>not added</b></p>"
    };
    if nvr.cloud.is_none() {
        return format!(
            "<section class=\"cloud\" id=\"cloud\">{binding}<p class=\"muted\" id=\"last-heard\">\
             No cloud is configured on this device: it does not check in.</p></section>"
        );
    }
    let now = nvr.clock.unix_now();
    let ago = |at: u64| match now.saturating_sub(at) {
        0 => "just now".to_owned(),
        secs => format!("{} ago", duration_text(secs)),
    };
    let heard = match status.last_sync_unix {
        Some(at) => format!(
            "Last heard from the cloud {} ({} device time).",
            ago(at),
            device_time(at)
        ),
        None => "The cloud has not answered this device yet.".to_owned(),
    };
    let contact = nvr.checkin.contact();
    let failure = contact
        .last_failure
        .as_ref()
        .map(|(at, reason)| {
            message_with_id(
                "error",
                "last-failure",
                &format!("The last check, {}, failed: {reason}.", ago(*at)),
            )
        })
        .unwrap_or_default();
    let next = match (contact.wait_until_unix, contact.next_check_unix) {
        (Some(until), _) if until > now => countdown(
            "next-check",
            "muted",
            until - now,
            "The cloud asked this device to wait: it checks again in ",
            &format!(" (at {}).", device_clock(until)),
            "The cloud's wait is over: press Check again.",
        ),
        (_, Some(next)) if next > now => countdown(
            "next-check",
            "muted",
            next - now,
            "It checks again by itself in ",
            &format!(" (at {}).", device_clock(next)),
            "It is checking again by itself now: reload the page.",
        ),
        _ => String::new(),
    };
    drop(contact);
    let back = if CHECK_AGAIN_PAGES.contains(&back) {
        back
    } else {
        "/forget-password"
    };
    format!(
        "<section class=\"cloud\" id=\"cloud\">{binding}\
         <p class=\"muted\" id=\"last-heard\">{heard}</p>{failure}{next}\
         <form method=\"post\" action=\"/check-again\">\
         <input type=\"hidden\" name=\"back\" value=\"{back}\">\
         <button class=\"secondary\" id=\"check-again\" type=\"submit\">Check again</button>\
         </form></section>",
        heard = escape(&heard),
        back = escape(back),
    )
}

/// A message box like [`message`] under an id of its own.
fn message_with_id(kind: &str, id: &str, text: &str) -> String {
    format!("<p class=\"{kind}\" id=\"{id}\">{}</p>", escape(text))
}

#[derive(Deserialize)]
struct CheckAgainForm {
    #[serde(default)]
    back: String,
}

/// "Check again": the NVR asks its cloud now (sharing a check with presses just before it), then
/// shows the page it was pressed on, which tells what the cloud said.
async fn check_again(
    State(nvr): State<Arc<Nvr>>,
    headers: HeaderMap,
    Form(form): Form<CheckAgainForm>,
) -> Response {
    // What came of it is on the page: the binding state, last heard, the last failure.
    nvr.check_in(true).await;
    see_other(check_again_return(&form.back, &headers))
}

/// Where "Check again" returns: the page named by the form's `back`, else (a form posted without
/// it, by a script or an old page) the page the `Referer` names, when it is one of this NVR's
/// [`CHECK_AGAIN_PAGES`]; else Forget Password. Never another site: only these paths are answered.
fn check_again_return(back: &str, headers: &HeaderMap) -> &'static str {
    let referer_path = || {
        let referer = headers.get(header::REFERER)?.to_str().ok()?;
        let uri: Uri = referer.parse().ok()?;
        let host = headers.get(header::HOST)?.to_str().ok()?;
        // A Referer of another host names another site's page, whatever its path.
        (uri.authority().map(|a| a.as_str()) == Some(host)).then(|| uri.path().to_owned())
    };
    let named = |path: &str| CHECK_AGAIN_PAGES.iter().copied().find(|page| *page == path);
    named(back)
        .or_else(|| referer_path().and_then(|path| named(&path)))
        .unwrap_or("/forget-password")
}

// ---- Forget Password -----------------------------------------------------------------------

fn forget_password_body(methods: &[ResetMethod], error: Option<&str>, cloud: &str) -> String {
    let error = error.map(|e| message("error", e)).unwrap_or_default();
    let options = if methods.contains(&ResetMethod::HikConnect) {
        format!(
            "<p>Choose how to verify that you own this device.</p>\
             <form method=\"post\" action=\"/forget-password/hik-connect\">\
             <button id=\"verify-by-hik-connect\" type=\"submit\">{}</button></form>",
            ResetMethod::HikConnect.label()
        )
    } else {
        "<p class=\"notice\" id=\"no-methods\">No reset method is available. Verify by \
         Hik-Connect is offered once this device is added to a Hik-Connect account and has been \
         online.</p>"
            .to_owned()
    };
    format!("{error}{options}{cloud}<p><a href=\"/login\">Back to login</a></p>")
}

async fn forget_password_page(State(nvr): State<Arc<Nvr>>) -> Response {
    match nvr
        .with_agent(|agent| (agent.forget_password_methods(), agent.status()))
        .await
    {
        Ok((methods, status)) => {
            let cloud = cloud_section(&nvr, &status, "/forget-password");
            page(
                "Forget Password",
                &nvr.label,
                &forget_password_body(&methods, None, &cloud),
            )
            .into_response()
        }
        Err(_) => failure_page(&nvr),
    }
}

async fn start_hik_connect(State(nvr): State<Arc<Nvr>>) -> Response {
    match nvr
        .with_agent(|agent| (agent.start_hik_connect(), agent.status()))
        .await
    {
        Ok((Ok(_), _)) => see_other("/forget-password/hik-connect"),
        Ok((Err(DeviceError::NotOffered), status)) => {
            let cloud = cloud_section(&nvr, &status, "/forget-password");
            let not_offered = user_message(&DeviceError::NotOffered);
            let body = forget_password_body(&[], Some(&not_offered), &cloud);
            (
                StatusCode::FORBIDDEN,
                page("Forget Password", &nvr.label, &body),
            )
                .into_response()
        }
        Ok((Err(error), _)) => render_qr_page(&nvr, Some(error)).await,
        Err(_) => failure_page(&nvr),
    }
}

async fn qr_page(State(nvr): State<Arc<Nvr>>) -> Response {
    render_qr_page(&nvr, None).await
}

/// The QR page: the code, its text, how long it lives (counted down live), the code entry with
/// attempts left; or the cool-down, in one message; or a button to start. Below, the binding
/// state.
async fn render_qr_page(nvr: &Arc<Nvr>, error: Option<DeviceError>) -> Response {
    let Ok((challenge, status)) = nvr
        .with_agent(|agent| (agent.current_challenge(), agent.status()))
        .await
    else {
        return failure_page(nvr);
    };
    // A cool-down is told once, by the cool-down message below with the time left now; the
    // error that started it only adds that this code was wrong too.
    let (error, wrong_code_first) = match error {
        Some(DeviceError::ChallengeBurned { .. }) => (None, true),
        Some(DeviceError::CoolingDown { .. }) => (None, false),
        other => (other.map(|e| message("error", &user_message(&e))), false),
    };
    let start_again = "<form method=\"post\" action=\"/forget-password/hik-connect\">\
        <button class=\"secondary\" id=\"new-qr\" type=\"submit\">Show a new QR code</button></form>";
    let content = if let Some(challenge) = challenge {
        // The query string makes the browser fetch the image of this challenge, not a cached one.
        let version = &challenge.qr_text[challenge.qr_text.len().saturating_sub(8)..];
        let left = ceil_secs(challenge.expires_in).max(1);
        let until = nvr.clock.unix_now() + left;
        format!(
            "<ol><li>Open Hik-Connect on your phone, logged in to the account this device is \
             added to.</li><li>Go to <b>More &gt; Reset Device Password</b> and scan this QR \
             code.</li><li>Enter the verification code the app shows.</li></ol>\
             <img class=\"qr\" id=\"qr\" src=\"/forget-password/qr.png?v={version}\" \
             alt=\"Reset QR code\" width=\"280\" height=\"280\">\
             <p class=\"muted\" id=\"qr-text-label\">No camera at hand? On a computer, run \
             <code>hc reset --text</code> with this text:</p>\
             <code class=\"qr-text\" id=\"qr-text\">{qr_text}</code>\
             {expires}\
             <form method=\"post\" action=\"/forget-password/verify\">\
             <label for=\"code\">Verification Code</label>\
             <input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" \
             maxlength=\"12\" required>\
             <p class=\"muted\" id=\"attempts\">Attempts left: {attempts}</p>\
             <button id=\"ok\" type=\"submit\">OK</button></form>{start_again}",
            version = escape(version),
            qr_text = escape(&challenge.qr_text),
            expires = countdown(
                "expires",
                "muted",
                left,
                "The QR code is valid for ",
                &format!(" (until {} device time).", device_clock(until)),
                "The QR code has expired. Show a new QR code.",
            ),
            attempts = challenge.attempts_left,
        )
    } else if let Some(left) = status.cooldown_remaining {
        let first = if wrong_code_first {
            "Wrong verification code. "
        } else {
            ""
        };
        countdown(
            "cooldown",
            "error",
            ceil_secs(left),
            &format!("{first}Too many wrong verification codes. Verify by Hik-Connect again in "),
            ".",
            "The wait is over: you can verify by Hik-Connect again.",
        ) + start_again
    } else {
        format!("<p id=\"no-qr\">No QR code is shown at the moment.</p>{start_again}")
    };
    let cloud = cloud_section(nvr, &status, "/forget-password/hik-connect");
    let body = format!(
        "{error}{content}{cloud}<p><a href=\"/login\">Back to login</a></p>",
        error = error.unwrap_or_default()
    );
    page("Verify by Hik-Connect", &nvr.label, &body).into_response()
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn verify_submit(
    State(nvr): State<Arc<Nvr>>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    match nvr
        .with_agent(move |agent| agent.submit_code(&form.code))
        .await
    {
        Ok(Ok(accepted)) => start_session(
            &nvr,
            &headers,
            |session| session.reset_token = Some(accepted.reset_token),
            "/forget-password/new-password",
        ),
        Ok(Err(error)) => render_qr_page(&nvr, Some(error)).await,
        Err(_) => failure_page(&nvr),
    }
}

// ---- new password --------------------------------------------------------------------------

#[derive(Deserialize)]
struct NewPasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

fn new_password_form(nvr: &Nvr, error: Option<String>) -> Response {
    let body = format!(
        "{error}<p>Create a new password for <b>{ADMIN_USER}</b>.</p>\
         <p class=\"muted\" id=\"policy\">{policy}</p>\
         <form method=\"post\" action=\"/forget-password/new-password\">\
         <label for=\"new-password\">New Password</label>\
         <input id=\"new-password\" name=\"password\" type=\"password\" \
         autocomplete=\"new-password\" required>\
         <label for=\"confirm-password\">Confirm Password</label>\
         <input id=\"confirm-password\" name=\"confirm\" type=\"password\" \
         autocomplete=\"new-password\" required>\
         <button id=\"save\" type=\"submit\">OK</button></form>",
        error = error.map(|e| message("error", &e)).unwrap_or_default(),
        policy = escape(&policy_text()),
    );
    page("Create New Password", &nvr.label, &body).into_response()
}

fn verify_first(nvr: &Nvr) -> Response {
    let body = format!(
        "{}<p><a href=\"/forget-password\">Forget Password</a></p>",
        message("error", &user_message(&DeviceError::InvalidResetToken))
    );
    page("Create New Password", &nvr.label, &body).into_response()
}

async fn new_password_page(State(nvr): State<Arc<Nvr>>, headers: HeaderMap) -> Response {
    with_session(&nvr, &headers, |session| {
        if session.is_some_and(|s| s.reset_token.is_some()) {
            new_password_form(&nvr, None)
        } else {
            verify_first(&nvr)
        }
    })
}

async fn new_password_submit(
    State(nvr): State<Arc<Nvr>>,
    headers: HeaderMap,
    Form(form): Form<NewPasswordForm>,
) -> Response {
    let token = with_session(&nvr, &headers, |session| {
        session.and_then(|s| s.reset_token.clone())
    });
    let Some(token) = token else {
        return verify_first(&nvr);
    };
    if form.password != form.confirm {
        return new_password_form(&nvr, Some("The passwords do not match.".into()));
    }
    let outcome = nvr
        .with_agent(move |agent| agent.set_new_password(token.as_str(), &form.password))
        .await;
    with_session(&nvr, &headers, |session| match (outcome, session) {
        (Ok(Ok(())), Some(session)) => {
            session.reset_token = None;
            session.logged_in = false;
            session.notice = Some("Password changed. Log in with your new password.".into());
            see_other("/login")
        }
        // The password is set; the session ended meanwhile (it expired): log in anyway.
        (Ok(Ok(())), None) => see_other("/login"),
        (Ok(Err(DeviceError::InvalidResetToken)), session) => {
            if let Some(session) = session {
                session.reset_token = None;
            }
            verify_first(&nvr)
        }
        (Ok(Err(error)), _) => new_password_form(&nvr, Some(user_message(&error))),
        (Err(_), _) => failure_page(&nvr),
    })
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}
