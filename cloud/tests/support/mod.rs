//! The cloud's test helpers live in the test kit (`hc_testkit::cloud_api`, `hc_testkit::postgres`);
//! this module keeps the `support::...` names the cloud's tests use.
#![allow(unused_imports)]

pub use hc_testkit::cloud_api::*;
pub use hc_testkit::postgres;
