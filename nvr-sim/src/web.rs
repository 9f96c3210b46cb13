//! The device's local web UI, the way a person uses it at the NVR: login, Forget Password, the QR
//! page with code entry, the new-password form. Plain forms and redirects, no script.

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
use crate::html::{duration_text, escape, message, page};
use crate::nvr::Nvr;
use crate::session::{Session, clear_cookie};
use hc_device::{ADMIN_USER, DeviceError, PASSWORD_POLICY_TEXT, ResetMethod};
use zeroize::Zeroizing;

pub(crate) fn routes() -> Router<Arc<Nvr>> {
    Router::new()
        .route("/", get(home))
        .route("/style.css", get(style))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
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
                duration_text(retry_after.as_secs().max(1))
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
    with_session(&nvr, &headers, |session| {
        let Some(session) = session.filter(|s| s.logged_in) else {
            return see_other("/login");
        };
        let notice = session.notice.take().map(|n| message("notice", &n));
        let body = format!(
            "{notice}<p id=\"welcome\">Logged in as <b>{ADMIN_USER}</b>.</p>\
             <p class=\"muted\">Live view, playback and configuration are not part of this \
             simulator.</p><p>Serial <b>{serial}</b><br>Model {model}<br>Firmware {firmware}<br>\
             Hik-Connect: {bound}</p>\
             <form method=\"post\" action=\"/logout\"><button class=\"secondary\" id=\"logout\">\
             Log out</button></form>",
            notice = notice.unwrap_or_default(),
            serial = escape(&status.serial),
            model = escape(&status.model),
            firmware = escape(&status.firmware),
            bound = if status.bound { "added" } else { "not added" },
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

// ---- Forget Password -----------------------------------------------------------------------

fn forget_password_body(methods: &[ResetMethod], error: Option<&str>) -> String {
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
    format!("{error}{options}<p><a href=\"/login\">Back to login</a></p>")
}

async fn forget_password_page(State(nvr): State<Arc<Nvr>>) -> Response {
    match nvr
        .with_agent(|agent| agent.forget_password_methods())
        .await
    {
        Ok(methods) => page(
            "Forget Password",
            &nvr.label,
            &forget_password_body(&methods, None),
        )
        .into_response(),
        Err(_) => failure_page(&nvr),
    }
}

async fn start_hik_connect(State(nvr): State<Arc<Nvr>>) -> Response {
    match nvr.with_agent(|agent| agent.start_hik_connect()).await {
        Ok(Ok(_)) => see_other("/forget-password/hik-connect"),
        Ok(Err(DeviceError::NotOffered)) => {
            let body = forget_password_body(&[], Some(&user_message(&DeviceError::NotOffered)));
            (
                StatusCode::FORBIDDEN,
                page("Forget Password", &nvr.label, &body),
            )
                .into_response()
        }
        Ok(Err(error)) => render_qr_page(&nvr, Some(user_message(&error))).await,
        Err(_) => failure_page(&nvr),
    }
}

async fn qr_page(State(nvr): State<Arc<Nvr>>) -> Response {
    render_qr_page(&nvr, None).await
}

/// The QR page: the code, how long it lives, the code entry with attempts left; or the
/// cool-down; or a button to start.
async fn render_qr_page(nvr: &Arc<Nvr>, error: Option<String>) -> Response {
    let Ok((challenge, status)) = nvr
        .with_agent(|agent| (agent.current_challenge(), agent.status()))
        .await
    else {
        return failure_page(nvr);
    };
    let error = error.map(|e| message("error", &e)).unwrap_or_default();
    let start_again = "<form method=\"post\" action=\"/forget-password/hik-connect\">\
        <button class=\"secondary\" id=\"new-qr\" type=\"submit\">Show a new QR code</button></form>";
    let content = if let Some(challenge) = challenge {
        // The query string makes the browser fetch the image of this challenge, not a cached one.
        let version = &challenge.qr_text[challenge.qr_text.len().saturating_sub(8)..];
        format!(
            "<ol><li>Open Hik-Connect on your phone, logged in to the account this device is \
             added to.</li><li>Go to <b>More &gt; Reset Device Password</b> and scan this QR \
             code.</li><li>Enter the verification code the app shows.</li></ol>\
             <img class=\"qr\" id=\"qr\" src=\"/forget-password/qr.png?v={version}\" \
             alt=\"Reset QR code\" width=\"280\" height=\"280\">\
             <p class=\"muted\" id=\"expires\">The QR code is valid for {expires}.</p>\
             <form method=\"post\" action=\"/forget-password/verify\">\
             <label for=\"code\">Verification Code</label>\
             <input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" \
             maxlength=\"12\" required>\
             <p class=\"muted\" id=\"attempts\">Attempts left: {attempts}</p>\
             <button id=\"ok\" type=\"submit\">OK</button></form>{start_again}",
            version = escape(version),
            expires = duration_text(challenge.expires_in.as_secs().max(1)),
            attempts = challenge.attempts_left,
        )
    } else if let Some(left) = status.cooldown_remaining {
        format!(
            "<p class=\"error\" id=\"cooldown\">Too many wrong verification codes. Verify by \
             Hik-Connect again in {}.</p>",
            duration_text(ceil_secs(left))
        )
    } else {
        format!("<p id=\"no-qr\">No QR code is shown at the moment.</p>{start_again}")
    };
    let body = format!("{error}{content}<p><a href=\"/login\">Back to login</a></p>");
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
        Ok(Err(error)) => render_qr_page(&nvr, Some(user_message(&error))).await,
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
        policy = escape(PASSWORD_POLICY_TEXT),
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
