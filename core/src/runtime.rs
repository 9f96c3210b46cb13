//! The core's own tokio runtime.
//!
//! Kotlin coroutines and Swift tasks have no tokio reactor, and reqwest panics without one, so every
//! piece of async work of the core runs here: two worker threads, enough for network I/O and
//! the scanner's blocking pool, small enough for a phone.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The runtime, started on first use.
pub fn runtime() -> &'static Runtime {
    RUNTIME.get_or_init(|| {
        Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("hc-core")
            .enable_all()
            .build()
            // Without threads there is no app; failing here is failing at start-up.
            .expect("the hc-core runtime must start")
    })
}

/// Runs `work` on the core runtime and waits for it from any executor (a uniffi future, another
/// tokio runtime, a test). Dropping the returned future cancels the work, so a cancelled Kotlin
/// coroutine or Swift task does not leave a request running. A panic in the work resumes in the
/// caller, where uniffi turns it into a foreign exception.
pub async fn run<F>(work: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);
    impl<T> Drop for AbortOnDrop<T> {
        fn drop(&mut self) {
            self.0.abort();
        }
    }

    let mut task = AbortOnDrop(runtime().spawn(work));
    match (&mut task.0).await {
        Ok(output) => output,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        // Only `abort` cancels the task, and only our drop calls it.
        Err(_) => unreachable!("the core task was cancelled while awaited"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_runs_on_the_core_runtime_from_a_caller_without_a_reactor() {
        // A plain thread, like a Kotlin coroutine dispatcher: no tokio context at all.
        let name = futures_lite_block_on(run(async {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            std::thread::current().name().map(str::to_owned)
        }));
        assert_eq!(name.as_deref(), Some("hc-core"));
    }

    /// A minimal executor with no tokio in it.
    fn futures_lite_block_on<F: Future>(future: F) -> F::Output {
        use std::sync::Arc;
        use std::task::{Context, Poll, Wake, Waker};
        struct Unpark(std::thread::Thread);
        impl Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut context = Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
                return output;
            }
            std::thread::park();
        }
    }
}
