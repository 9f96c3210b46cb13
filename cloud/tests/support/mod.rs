//! The cloud's test helpers live in the test kit (`hc_testkit::cloud_api`, `hc_testkit::postgres`);
//! this module keeps the `support::...` names the cloud's tests use.
#![allow(unused_imports)]

pub use hc_testkit::cloud_api::*;
pub use hc_testkit::postgres;

/// Each case runs once per backend: `sqlite::case` and `postgres::case`; the cases live in a
/// module `cases` beside the macro call, each taking the [`Backend`]. It stays here, not in the
/// kit, because it names this module (`super::support`).
#[allow(unused_macros)] // not every test binary has a suite
macro_rules! suite {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::cases::$case(super::support::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::cases::$case(super::support::Backend::Postgres).await
                }
            )*
        }
    };
}
#[allow(unused_imports)]
pub(crate) use suite;
