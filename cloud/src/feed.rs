//! The owner's security feed (DESIGN.md section 9): the events an action writes in its own
//! transaction, and the in-process wake-up of the long-polls and the delivery worker once the
//! transaction has committed.
//!
//! The wake-up is a shortcut, not the source of truth: the rows are. Over PostgreSQL with several
//! instances, an event written by another instance is found by the long-poll's and the worker's
//! poll interval ([`crate::config::PushSettings::poll_interval`]) instead.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

/// Wakes whoever waits for an account's next event.
#[derive(Debug, Default)]
pub struct FeedHub {
    waiters: Mutex<HashMap<i64, Arc<Notify>>>,
    worker: Notify,
}

/// Entries past this many are pruned of accounts nobody waits for.
const PRUNE_ABOVE: usize = 1024;

impl FeedHub {
    /// The account's wake-up; hold it while waiting.
    pub fn waiter(&self, account_id: i64) -> Arc<Notify> {
        let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        if waiters.len() > PRUNE_ABOVE {
            waiters.retain(|_, notify| Arc::strong_count(notify) > 1);
        }
        waiters.entry(account_id).or_default().clone()
    }

    /// An event of `account_id` has been committed.
    pub fn written(&self, account_id: i64) {
        let waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(notify) = waiters.get(&account_id) {
            notify.notify_waiters();
        }
        drop(waiters);
        self.worker.notify_one();
    }

    /// What the delivery worker waits on between rounds.
    pub fn worker(&self) -> &Notify {
        &self.worker
    }
}

/// A client address as a login event shows it: its /24 (IPv4) or /48 (IPv6) network, so the owner
/// sees roughly where a login came from without the cloud handing out the exact address.
pub fn mask_client(addr: &str) -> Option<String> {
    match addr.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => Some(mask_v4(v4)),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => Some(mask_v4(v4)),
            None => {
                let s = v6.segments();
                Some(format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]))
            }
        },
    }
}

fn mask_v4(v4: std::net::Ipv4Addr) -> String {
    let [a, b, c, _] = v4.octets();
    format!("{a}.{b}.{c}.0/24")
}

#[cfg(test)]
mod tests {
    use super::mask_client;

    #[test]
    fn a_login_address_is_shown_as_its_network_only() {
        assert_eq!(
            mask_client("203.0.113.77").as_deref(),
            Some("203.0.113.0/24")
        );
        assert_eq!(
            mask_client("2001:db8:abcd:12::1").as_deref(),
            Some("2001:db8:abcd::/48")
        );
        assert_eq!(
            mask_client("::ffff:198.51.100.9").as_deref(),
            Some("198.51.100.0/24")
        );
        assert_eq!(mask_client("not an address"), None);
    }
}
