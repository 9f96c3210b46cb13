//! `init`: the one call an app makes at start-up. It forwards the core's `tracing` events to the
//! platform's logger (Logcat, os_log), installs a panic hook that logs before unwinding, and picks
//! rustls' crypto provider (ring).

use std::fmt::Write as _;
use std::sync::{Arc, Once, RwLock};

use tracing::field::{Field, Visit};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// Severity of a log line, mapped one to one from `tracing` levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

/// The platform's logger. Called from any thread; keep it quick.
pub trait Logger: Send + Sync {
    fn log(&self, level: LogLevel, target: String, message: String);
}

static LOGGER: RwLock<Option<Arc<dyn Logger>>> = RwLock::new(None);
static INIT: Once = Once::new();

/// Sets up logging, the panic hook and TLS. Safe to call more than once: the hook and the provider
/// are installed once; a later call with a logger replaces the previous logger.
pub fn init(logger: Option<Arc<dyn Logger>>) {
    if let Some(logger) = logger {
        *LOGGER.write().unwrap_or_else(|e| e.into_inner()) = Some(logger);
    }
    INIT.call_once(|| {
        // Fails only when the app (or a test) already chose a provider: then that one is used.
        let _ = rustls::crypto::ring::default_provider().install_default();
        install_panic_hook();
        // The core logs at debug; the libraries under it only when something goes wrong.
        let filter = Targets::new()
            .with_target("hc_core", LevelFilter::DEBUG)
            .with_target("hc_ffi", LevelFilter::DEBUG)
            .with_default(LevelFilter::WARN);
        let subscriber = tracing_subscriber::registry().with(ForeignLogLayer.with_filter(filter));
        // An app that set its own global subscriber keeps it.
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if crate::scan::panic_is_contained() {
            // rqrr's assertions on odd photos: contained and reported as a miss.
            tracing::debug!(target: "hc_core::panic", "contained decoder panic: {info}");
            return;
        }
        tracing::error!(target: "hc_core::panic", "panic: {info}");
        previous(info);
    }));
}

/// Hands each event to the foreign logger as one line: the message, then `key=value` fields.
struct ForeignLogLayer;

impl<S: tracing::Subscriber> Layer<S> for ForeignLogLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let logger = LOGGER.read().unwrap_or_else(|e| e.into_inner()).clone();
        let Some(logger) = logger else {
            return;
        };
        let metadata = event.metadata();
        let mut line = LineVisitor::default();
        event.record(&mut line);
        logger.log(
            level_of(*metadata.level()),
            metadata.target().to_owned(),
            line.finish(),
        );
    }
}

fn level_of(level: tracing::Level) -> LogLevel {
    match level {
        tracing::Level::ERROR => LogLevel::Error,
        tracing::Level::WARN => LogLevel::Warn,
        tracing::Level::INFO => LogLevel::Info,
        tracing::Level::DEBUG => LogLevel::Debug,
        tracing::Level::TRACE => LogLevel::Trace,
    }
}

#[derive(Default)]
struct LineVisitor {
    message: String,
    fields: String,
}

impl LineVisitor {
    fn finish(self) -> String {
        match (self.message.is_empty(), self.fields.is_empty()) {
            (_, true) => self.message,
            (true, false) => self.fields,
            (false, false) => format!("{} {}", self.message, self.fields),
        }
    }
}

impl Visit for LineVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.record_debug(field, &value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            if !self.fields.is_empty() {
                self.fields.push(' ');
            }
            let _ = write!(self.fields, "{}={value:?}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<(LogLevel, String, String)>>);
    impl Logger for Recorder {
        fn log(&self, level: LogLevel, target: String, message: String) {
            self.0.lock().unwrap().push((level, target, message));
        }
    }

    #[test]
    fn core_events_reach_the_platform_logger_and_init_is_idempotent() {
        let recorder = Arc::new(Recorder::default());
        init(Some(recorder.clone()));
        init(None);
        init(Some(recorder.clone()));
        tracing::info!(target: "hc_core::test", serial = "J12345678", "device list fetched");
        tracing::debug!(target: "hyper::noise", "not forwarded");
        let lines = recorder.0.lock().unwrap().clone();
        let ours: Vec<_> = lines
            .iter()
            .filter(|(_, target, _)| target == "hc_core::test")
            .collect();
        assert_eq!(ours.len(), 1, "{lines:?}");
        assert_eq!(ours[0].0, LogLevel::Info);
        assert_eq!(ours[0].2, "device list fetched serial=\"J12345678\"");
        assert!(!lines.iter().any(|(_, target, _)| target == "hyper::noise"));
    }
}
