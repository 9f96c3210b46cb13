//! Browser sessions of the web UI: a random id in an `HttpOnly`, `SameSite=Strict` cookie,
//! pointing at what that browser may do (logged in, holding a reset token) and a one-shot notice.
//!
//! A session exists only once a browser has earned something: the admin password, or the right
//! verification code. Anonymous visitors get none, so no number of them can push a logged-in
//! session out. Each start gets a fresh id (an id planted before, session fixation, is worth
//! nothing after the login), and the server ends sessions that sat idle or lived too long.

use std::time::Duration;

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use hc_device::{ResetToken, SecureRandom};
use subtle::ConstantTimeEq;

pub(crate) const COOKIE_NAME: &str = "nvr_session";
/// A device serves a handful of browsers.
pub(crate) const MAX_SESSIONS: usize = 64;
/// A session unused this long is over.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// No session outlives this, however busy.
pub(crate) const ABSOLUTE_TIMEOUT: Duration = Duration::from_secs(8 * 60 * 60);

type SessionId = [u8; 32];

#[derive(Debug, Default)]
pub(crate) struct Session {
    pub logged_in: bool,
    pub reset_token: Option<ResetToken>,
    /// Shown once on the next page (e.g. "password changed").
    pub notice: Option<String>,
    started: Duration,
    last_used: Duration,
}

impl Session {
    fn expired(&self, now: Duration) -> bool {
        now.saturating_sub(self.last_used) >= IDLE_TIMEOUT
            || now.saturating_sub(self.started) >= ABSOLUTE_TIMEOUT
    }
}

/// The live sessions, by the device's monotonic clock (`now`).
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    list: Vec<(SessionId, Session)>,
}

impl Sessions {
    /// The live session the request's cookie names, if any. Ids are compared in constant time.
    pub fn find(&mut self, headers: &HeaderMap, now: Duration) -> Option<&mut Session> {
        self.list.retain(|(_, s)| !s.expired(now));
        let presented = presented_id(headers)?;
        let mut found = None;
        for (index, (id, _)) in self.list.iter().enumerate() {
            if bool::from(id.as_slice().ct_eq(presented.as_slice())) {
                found = Some(index);
            }
        }
        let session = &mut self.list[found?].1;
        session.last_used = now;
        Some(session)
    }

    /// A new session under a fresh id, taking over what the request's old session held (which
    /// ends). Returns the `Set-Cookie` value with the new id.
    pub fn start(
        &mut self,
        headers: &HeaderMap,
        now: Duration,
        random: &dyn SecureRandom,
        set_up: impl FnOnce(&mut Session),
    ) -> Option<String> {
        let mut id = [0u8; 32];
        random.fill(&mut id).ok()?;
        let mut session = match self.find(headers, now).map(std::mem::take) {
            Some(old) => old,
            None => Session {
                started: now,
                ..Session::default()
            },
        };
        self.end(headers);
        session.last_used = now;
        set_up(&mut session);
        self.make_room();
        self.list.push((id, session));
        Some(set_cookie(&hex::encode(id)))
    }

    /// Ends the request's session, if it has one.
    pub fn end(&mut self, headers: &HeaderMap) {
        if let Some(presented) = presented_id(headers) {
            self.list
                .retain(|(id, _)| !bool::from(id.as_slice().ct_eq(presented.as_slice())));
        }
    }

    /// Below the limit, the least recently used session goes, one that is not logged in first.
    fn make_room(&mut self) {
        while self.list.len() >= MAX_SESSIONS {
            let victim = self
                .list
                .iter()
                .enumerate()
                .min_by_key(|(_, (_, s))| (s.logged_in, s.last_used))
                .map(|(index, _)| index);
            match victim {
                Some(index) => drop(self.list.swap_remove(index)),
                None => return,
            }
        }
    }

    /// How many sessions are alive.
    pub fn live(&mut self, now: Duration) -> usize {
        self.list.retain(|(_, s)| !s.expired(now));
        self.list.len()
    }
}

/// The `Set-Cookie` value for a session id.
pub(crate) fn set_cookie(id: &str) -> String {
    format!("{COOKIE_NAME}={id}; Path=/; HttpOnly; SameSite=Strict")
}

/// The `Set-Cookie` value that makes the browser forget its session.
pub(crate) fn clear_cookie() -> String {
    format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

fn presented_id(headers: &HeaderMap) -> Option<SessionId> {
    let text = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == COOKIE_NAME)
        .map(|(_, value)| value)?;
    let mut id = [0u8; 32];
    (text.len() == 64 && hex::decode_to_slice(text, &mut id).is_ok()).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use hc_device::OsRandom;

    fn cookie_headers(set_cookie: &str) -> HeaderMap {
        let pair = set_cookie.split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(pair).unwrap());
        headers
    }

    #[test]
    fn a_login_gets_a_new_id_and_the_planted_one_is_worthless() {
        let mut sessions = Sessions::default();
        let now = Duration::from_secs(100);
        let planted = sessions
            .start(&HeaderMap::new(), now, &OsRandom, |_| {})
            .unwrap();
        let planted = cookie_headers(&planted);
        let fresh = sessions
            .start(&planted, now, &OsRandom, |s| s.logged_in = true)
            .unwrap();
        assert!(sessions.find(&planted, now).is_none());
        assert!(
            sessions
                .find(&cookie_headers(&fresh), now)
                .unwrap()
                .logged_in
        );
        assert_eq!(sessions.live(now), 1);
    }

    #[test]
    fn sessions_end_when_idle_and_when_too_old() {
        let mut sessions = Sessions::default();
        let start = Duration::from_secs(0);
        let cookie = sessions
            .start(&HeaderMap::new(), start, &OsRandom, |s| s.logged_in = true)
            .unwrap();
        let cookie = cookie_headers(&cookie);
        // Used every 10 minutes: alive until the absolute limit.
        let mut now = start;
        while now + Duration::from_secs(600) < start + ABSOLUTE_TIMEOUT {
            now += Duration::from_secs(600);
            assert!(sessions.find(&cookie, now).is_some(), "alive at {now:?}");
        }
        assert!(sessions.find(&cookie, start + ABSOLUTE_TIMEOUT).is_none());

        let cookie = sessions
            .start(&HeaderMap::new(), now, &OsRandom, |s| s.logged_in = true)
            .unwrap();
        let cookie = cookie_headers(&cookie);
        assert!(sessions.find(&cookie, now + IDLE_TIMEOUT).is_none());
    }

    #[test]
    fn a_full_table_drops_sessions_that_are_not_logged_in_first() {
        let mut sessions = Sessions::default();
        let admin = sessions
            .start(&HeaderMap::new(), Duration::ZERO, &OsRandom, |s| {
                s.logged_in = true;
            })
            .unwrap();
        for i in 1..=(3 * MAX_SESSIONS as u64) {
            sessions.start(&HeaderMap::new(), Duration::from_secs(i), &OsRandom, |_| {});
        }
        let now = Duration::from_secs(3 * MAX_SESSIONS as u64);
        assert_eq!(sessions.live(now), MAX_SESSIONS);
        assert!(
            sessions
                .find(&cookie_headers(&admin), now)
                .is_some_and(|s| s.logged_in)
        );
    }
}
