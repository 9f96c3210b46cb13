//! Browser sessions of the web UI: a random id in an `HttpOnly`, `SameSite=Strict` cookie,
//! pointing at what that browser may do (logged in, holding a reset token) and a one-shot notice.

use std::collections::HashMap;

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

use hc_device::{ResetToken, SecureRandom};

pub(crate) const COOKIE_NAME: &str = "nvr_session";
/// A device serves a handful of browsers; old sessions make room for new ones.
const MAX_SESSIONS: usize = 256;

#[derive(Debug, Default)]
pub(crate) struct Session {
    pub logged_in: bool,
    pub reset_token: Option<ResetToken>,
    /// Shown once on the next page (e.g. "password changed").
    pub notice: Option<String>,
    last_used: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Sessions {
    map: HashMap<String, Session>,
    tick: u64,
}

impl Sessions {
    /// The session named by the request's cookie, or a new one. Returns its id.
    pub fn resolve(
        &mut self,
        headers: &HeaderMap,
        random: &dyn SecureRandom,
    ) -> Option<(String, &mut Session)> {
        self.tick += 1;
        let id = match cookie_value(headers, COOKIE_NAME) {
            Some(id) if self.map.contains_key(&id) => id,
            _ => {
                let mut bytes = [0u8; 32];
                random.fill(&mut bytes).ok()?;
                let id = hex::encode(bytes);
                if self.map.len() >= MAX_SESSIONS {
                    self.evict_oldest();
                }
                self.map.insert(id.clone(), Session::default());
                id
            }
        };
        let tick = self.tick;
        let session = self.map.get_mut(&id)?;
        session.last_used = tick;
        Some((id, session))
    }

    fn evict_oldest(&mut self) {
        if let Some(oldest) = self
            .map
            .iter()
            .min_by_key(|(_, s)| s.last_used)
            .map(|(id, _)| id.clone())
        {
            self.map.remove(&oldest);
        }
    }
}

/// The `Set-Cookie` value for a session id.
pub(crate) fn set_cookie(id: &str) -> String {
    format!("{COOKIE_NAME}={id}; Path=/; HttpOnly; SameSite=Strict")
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}
