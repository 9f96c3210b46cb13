//! The NVR checks in with its cloud by itself, as a real NVR that is online does: once at start,
//! then every [`SyncSchedule::every`] while a cloud is configured, and at once when the person at
//! the NVR presses "Check again". While the cloud is unreachable or overloaded (5xx, 429) the
//! checks back off exponentially with jitter, and never come sooner than the cloud's
//! `Retry-After`.

use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::nvr::Nvr;

/// When the NVR checks in with its cloud.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncSchedule {
    /// Between two checks while the cloud answers.
    pub every: Duration,
    /// The wait after the first failed check in a row; it doubles with each further one.
    pub first_retry: Duration,
    /// The longest wait between failed checks.
    pub longest_retry: Duration,
    /// "Check again" presses closer together than this wait for each other and share a check, so
    /// a page or a script pressing it in a loop cannot make the NVR flood its cloud.
    pub check_again_spacing: Duration,
}

impl Default for SyncSchedule {
    /// Every 5 minutes (the cloud allows a device 60 syncs an hour), retries from 10 s up to
    /// 15 minutes, "Check again" at most every 5 s.
    fn default() -> Self {
        SyncSchedule {
            every: Duration::from_secs(5 * 60),
            first_retry: Duration::from_secs(10),
            longest_retry: Duration::from_secs(15 * 60),
            check_again_spacing: Duration::from_secs(5),
        }
    }
}

/// The longest `Retry-After` the NVR honours: a wrong or hostile answer cannot silence it for
/// longer than this.
pub const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(60 * 60);

/// The wait before the next check after `failures` failed checks in a row (1 for the first):
/// [`SyncSchedule::first_retry`] doubled for each further failure up to
/// [`SyncSchedule::longest_retry`], then a random point in its upper half (`jitter` in 0..=1),
/// so NVRs that lost the cloud together do not all come back at the same second; never sooner
/// than the cloud's `Retry-After` (up to [`LONGEST_RETRY_AFTER`]).
pub fn retry_wait(
    schedule: &SyncSchedule,
    failures: u32,
    jitter: f64,
    retry_after: Option<Duration>,
) -> Duration {
    let doublings = failures.saturating_sub(1).min(20);
    let full = schedule
        .first_retry
        .saturating_mul(1 << doublings)
        .min(schedule.longest_retry);
    let jittered = full.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0));
    jittered.max(retry_after.unwrap_or_default().min(LONGEST_RETRY_AFTER))
}

/// Why a check-in gave no answer to believe, kept so that presses sharing the check get it too.
#[derive(Clone, Debug)]
pub(crate) struct CheckFailed {
    pub kind: FailKind,
    /// For logs and the JSON API (the page shows the plain words kept in [`Contact`]).
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FailKind {
    /// The cloud does not know the device key.
    Rejected,
    /// No answer, an error answer, or one that does not verify.
    Cloud,
    /// The answer came but the device could not store it.
    Device,
}

/// What one press of "Check again" (or `POST /api/sync`) came to.
#[derive(Debug)]
pub(crate) enum CheckOutcome {
    NoCloud,
    /// The cloud asked not to be asked before then (`Retry-After`): nothing was sent.
    Wait {
        secs: u64,
    },
    Checked(Result<bool, CheckFailed>),
}

/// What the NVR knows about its contact with the cloud besides the stored last answer.
#[derive(Debug, Default)]
pub(crate) struct Contact {
    /// The last failed check since the cloud last answered: device wall time, plain words.
    pub last_failure: Option<(u64, String)>,
    /// When the next scheduled check is due, by the device's wall clock (to show).
    pub next_check_unix: Option<u64>,
    /// Until when the cloud asked not to be asked, by the device's wall clock (to show).
    pub wait_until_unix: Option<u64>,
    next_due: Option<Instant>,
    not_before: Option<Instant>,
    failures: u32,
    last_press: Option<Instant>,
    /// Checks started since the NVR started: a press is answered by the first that starts after.
    started: u64,
    last_outcome: Option<Result<bool, CheckFailed>>,
}

/// The check-in state of one NVR.
pub(crate) struct CheckIn {
    schedule: SyncSchedule,
    contact: Mutex<Contact>,
    /// One check at a time; presses queue here and share the check that follows them.
    one_at_a_time: tokio::sync::Mutex<()>,
    /// Wakes the schedule when a check moved the next one.
    rescheduled: Notify,
}

impl CheckIn {
    pub fn new(schedule: SyncSchedule) -> Self {
        CheckIn {
            schedule,
            contact: Mutex::new(Contact::default()),
            one_at_a_time: tokio::sync::Mutex::new(()),
            rescheduled: Notify::new(),
        }
    }

    pub fn contact(&self) -> MutexGuard<'_, Contact> {
        self.contact.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Seconds until the cloud's `Retry-After` ends, if it has not.
    fn waiting(&self) -> Option<u64> {
        let now = Instant::now();
        self.contact()
            .not_before
            .and_then(|until| until.checked_duration_since(now))
            .filter(|left| !left.is_zero())
            .map(|left| left.as_secs() + u64::from(left.subsec_nanos() > 0))
    }
}

impl Nvr {
    /// One check-in with the cloud: the scheduled ones (`pressed: false`) and "Check again"
    /// (`pressed: true`), which waits for the check under way and the press spacing, shares a
    /// check that started after it, and sends nothing while the cloud's `Retry-After` runs.
    pub(crate) async fn check_in(self: &Arc<Self>, pressed: bool) -> CheckOutcome {
        if self.cloud.is_none() {
            return CheckOutcome::NoCloud;
        }
        let checkin = &self.checkin;
        let pressed_after = checkin.contact().started;
        if pressed && let Some(secs) = checkin.waiting() {
            return CheckOutcome::Wait { secs };
        }
        let _turn = checkin.one_at_a_time.lock().await;
        if pressed {
            let last_press = {
                let contact = checkin.contact();
                if contact.started > pressed_after
                    && let Some(outcome) = &contact.last_outcome
                {
                    return CheckOutcome::Checked(outcome.clone());
                }
                contact.last_press
            };
            if let Some(secs) = checkin.waiting() {
                return CheckOutcome::Wait { secs };
            }
            if let Some(last) = last_press {
                tokio::time::sleep_until(last + checkin.schedule.check_again_spacing).await;
            }
            checkin.contact().last_press = Some(Instant::now());
        }
        checkin.contact().started += 1;
        let outcome = self.sync().await;
        let now = Instant::now();
        let unix_now = self.clock.unix_now();
        let schedule = &checkin.schedule;
        let outcome = {
            let mut contact = checkin.contact();
            let retry_after = outcome
                .as_ref()
                .err()
                .and_then(|e| e.retry_after())
                .map(|d| d.min(LONGEST_RETRY_AFTER));
            contact.not_before = retry_after.map(|d| now + d);
            contact.wait_until_unix = retry_after.map(|d| unix_now + d.as_secs());
            let wait = match &outcome {
                Ok(_) => {
                    contact.failures = 0;
                    contact.last_failure = None;
                    schedule.every
                }
                Err(error) if error.is_transient() => {
                    contact.last_failure = Some((unix_now, error.plain_words()));
                    contact.failures = contact.failures.saturating_add(1);
                    retry_wait(schedule, contact.failures, self.jitter(), retry_after)
                }
                Err(error) => {
                    contact.last_failure = Some((unix_now, error.plain_words()));
                    contact.failures = 0;
                    schedule.every.max(retry_after.unwrap_or_default())
                }
            };
            contact.next_due = Some(now + wait);
            contact.next_check_unix = Some(unix_now + wait.as_secs());
            let outcome = outcome.map_err(|error| CheckFailed {
                kind: error.kind(),
                detail: error.to_string(),
            });
            contact.last_outcome = Some(outcome.clone());
            outcome
        };
        checkin.rescheduled.notify_one();
        if let Err(failed) = &outcome {
            tracing::warn!("cloud check-in failed: {}", failed.detail);
        }
        CheckOutcome::Checked(outcome)
    }

    /// A number in 0..=1 from the device's RNG, to spread retries.
    fn jitter(&self) -> f64 {
        let mut bytes = [0u8; 4];
        match self.random.fill(&mut bytes) {
            Ok(()) => f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX),
            Err(_) => 1.0,
        }
    }
}

/// Checks in whenever the next check is due, for as long as the NVR runs.
pub(crate) fn spawn_schedule(nvr: &Arc<Nvr>) -> JoinHandle<()> {
    let weak: Weak<Nvr> = Arc::downgrade(nvr);
    let checkin = Arc::clone(&nvr.checkin);
    tokio::spawn(async move {
        loop {
            let due = checkin.contact().next_due;
            let Some(due) = due else {
                // Not yet checked at all: the start-up check sets the first due time.
                checkin.rescheduled.notified().await;
                continue;
            };
            tokio::select! {
                () = tokio::time::sleep_until(due) => {}
                () = checkin.rescheduled.notified() => continue,
            }
            if checkin
                .contact()
                .next_due
                .is_some_and(|d| d > Instant::now())
            {
                continue;
            }
            let Some(nvr) = weak.upgrade() else { return };
            nvr.check_in(false).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_up_to_the_longest_wait_and_spread_over_its_upper_half() {
        let schedule = SyncSchedule::default();
        let at = |failures, jitter| retry_wait(&schedule, failures, jitter, None).as_secs();
        assert_eq!(
            (1..=9).map(|n| at(n, 1.0)).collect::<Vec<_>>(),
            [10, 20, 40, 80, 160, 320, 640, 900, 900]
        );
        assert_eq!(at(1, 0.0), 5);
        assert_eq!(at(30, 0.0), 450);
        assert_eq!(at(u32::MAX, 1.0), 900);
    }

    #[test]
    fn a_retry_never_comes_before_the_clouds_retry_after_but_an_absurd_one_is_capped() {
        let schedule = SyncSchedule::default();
        let wait = |retry_after| retry_wait(&schedule, 1, 0.3, Some(retry_after));
        assert_eq!(wait(Duration::from_secs(120)), Duration::from_secs(120));
        assert_eq!(wait(Duration::from_secs(86_400 * 365)), LONGEST_RETRY_AFTER);
        assert!(wait(Duration::from_secs(1)) >= Duration::from_secs(5));
    }
}
