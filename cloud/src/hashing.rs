//! Password hashing under a bound. argon2id takes 19 MiB and tens of milliseconds per hash; run
//! without a cap, a login flood runs as many at once as requests arrive (issue 14: 5.8 GB RSS), and
//! every blocking thread that ever hashed keeps its malloc arena's 19 MiB afterwards. So hashes run
//! on a few threads of their own (one per core by default: more would only queue on the CPU),
//! behind a short queue; past it the request is answered 503 `unavailable` with `Retry-After`.
//! One client address may hold only a share of the threads and queue, so a flood from one address
//! leaves room for everybody else.

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

use crate::error::ApiError;

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads and their queue. Dropping it lets the threads finish and end.
#[derive(Debug)]
pub struct PasswordHashing {
    jobs: SyncSender<Job>,
    per_client: usize,
    in_flight: Arc<Mutex<HashMap<String, usize>>>,
}

impl PasswordHashing {
    /// `threads` hashing threads (`None`: one per core) and room for `queue` waiting hashes.
    pub fn new(threads: Option<usize>, queue: usize) -> Self {
        let threads = threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
            .max(1);
        let (jobs, receiver) = sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..threads {
            let receiver = Arc::clone(&receiver);
            let spawned = std::thread::Builder::new()
                .name(format!("hc-argon2-{index}"))
                .spawn(move || work(&receiver));
            if let Err(error) = spawned {
                // With fewer threads hashing is slower, not wrong; with none, requests get 503.
                tracing::error!(%error, "cannot start a password hashing thread");
            }
        }
        PasswordHashing {
            jobs,
            // Half of everything one address may hold (at least one): room stays for the rest.
            per_client: ((threads + queue) / 2).max(1),
            in_flight: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Runs `work` on a hashing thread, or answers 503 `unavailable` at once when the queue is
    /// full or `client` already holds its share.
    pub async fn run<T: Send + 'static>(
        &self,
        client: Option<&str>,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let _slot = match client {
            Some(client) => Some(self.admit(client)?),
            None => None,
        };
        let (answer, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // A request that went away while it waited costs no hash.
            if !answer.is_closed() {
                let _ = answer.send(work());
            }
        });
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(busy()),
            Err(TrySendError::Disconnected(_)) => {
                return Err(ApiError::internal("no password hashing thread is running"));
            }
        }
        result
            .await
            .map_err(|_| ApiError::internal("a password hashing thread died"))
    }

    fn admit(&self, client: &str) -> Result<ClientSlot, ApiError> {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        let held = in_flight.entry(client.to_owned()).or_insert(0);
        if *held >= self.per_client {
            return Err(busy());
        }
        *held += 1;
        Ok(ClientSlot {
            client: client.to_owned(),
            in_flight: Arc::clone(&self.in_flight),
        })
    }
}

fn busy() -> ApiError {
    ApiError::unavailable()
}

fn work(receiver: &Mutex<Receiver<Job>>) {
    loop {
        let job = {
            let receiver = receiver.lock().unwrap_or_else(|e| e.into_inner());
            receiver.recv()
        };
        match job {
            // A panicking hash must not take the thread with it.
            Ok(job) => {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            }
            Err(_) => return,
        }
    }
}

/// One address's hold on the hasher, given back when the request ends (or is dropped).
struct ClientSlot {
    client: String,
    in_flight: Arc<Mutex<HashMap<String, usize>>>,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = in_flight.get_mut(&self.client) {
            *held -= 1;
            if *held == 0 {
                in_flight.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PasswordHashing;
    use hc_protocol::api::ErrorCode;
    use std::sync::mpsc::channel;

    #[tokio::test]
    async fn past_the_queue_and_past_one_clients_share_the_answer_is_503() {
        let hashing = PasswordHashing::new(Some(1), 1);
        let (started, is_running) = channel::<()>();
        let (release, wait) = channel::<()>();
        // One hash running (held until released), so the queue's one place decides.
        let mut blocker = Box::pin(hashing.run(Some("10.0.0.1"), move || {
            let _ = started.send(());
            let _ = wait.recv();
        }));
        assert!(futures::poll!(&mut blocker).is_pending());
        is_running.recv().unwrap();
        // The same address already holds its share (one of two places).
        let refused = hashing.run(Some("10.0.0.1"), || ()).await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::Unavailable);
        assert_eq!(refused.retry_after_secs, Some(1));
        // Another address gets the queue's place...
        let mut queued = Box::pin(hashing.run(Some("10.0.0.2"), || 7));
        assert!(futures::poll!(&mut queued).is_pending());
        // ...and a third finds the queue full.
        let full = hashing.run(Some("10.0.0.3"), || ()).await.unwrap_err();
        assert_eq!(full.code, ErrorCode::Unavailable);
        release.send(()).unwrap();
        blocker.await.unwrap();
        assert_eq!(queued.await.unwrap(), 7);
        // Everything given back: the first address may hash again.
        assert_eq!(hashing.run(Some("10.0.0.1"), || 1).await.unwrap(), 1);
    }
}
