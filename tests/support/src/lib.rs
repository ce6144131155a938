//! Support for benchmarks and tests, kept out of the shipped crates: nothing here is
//! reachable from `sealant`, `sealant-controller` or their libraries.
//!
//! * [`bench_anchor`]: the bare RSA-OAEP private operation every benchmark compares with;
//! * [`measure`]: CPU time and load average from `/proc`, and the anchor's rate;
//! * [`go_program`]: the Go programs the template differential tests compare against.

pub mod bench_anchor;
pub mod go_program;
pub mod measure;
