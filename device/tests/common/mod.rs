//! The device's test helpers live in the test kit (`hc_testkit::device`); this module keeps the
//! `common::...` names the device's tests use.
#![allow(unused_imports)]

pub use hc_testkit::device::*;
