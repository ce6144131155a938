//! Support for benchmarks and tests, kept out of the shipped crates: nothing here is
//! reachable from `sealant`, `sealant-controller` or their libraries.
//!
//! * [`bench_anchor`]: the bare RSA-OAEP private operation every benchmark compares with;
//! * [`measure`]: CPU time and load average from `/proc`, and the anchor's rate;
//! * [`go_program`]: the Go programs the template differential tests compare against;
//! * [`python`]: the independent Python implementations of the cross-implementation tests;
//! * [`test_keys`]: the repository's TEST-ONLY keys, by file;
//! * [`text_files`]: text encoded as other tools write it (UTF-16, byte-order marks);
//! * `cluster` (feature `cluster`): the fake API server started with a client, free ports.
//!
//! Set-up code: a failure here is a broken test environment, so it panics with a message.

pub mod bench_anchor;
#[cfg(feature = "cluster")]
#[allow(clippy::expect_used)]
pub mod cluster;
pub mod go_program;
pub mod measure;
pub mod python;
#[allow(clippy::expect_used)]
pub mod test_keys;
pub mod text_files;
