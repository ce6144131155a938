//! Envelope v2 at the command line (issue 17, requirement 5): the real `sealant` binary on
//! real files. One test binary, one file per command, to keep link time down.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod check;
mod cluster_xwing;
mod edit;
mod keys_generate;
mod repo;
mod rules;
mod scenario;
mod support;
mod update_recipients;
mod update_recipients_online;
