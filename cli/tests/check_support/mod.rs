//! Helpers shared by the `sealant check` test files: run the real binary in a directory and
//! read its JSON report.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::common::{self, BIN};
use std::{
    path::Path,
    process::{Command, Output},
};

/// `sealant check ARGS` in `dir`, outside any git environment the test runner may set.
pub fn check_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("check")
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .unwrap()
}

/// Every entry of a `--format json` report.
pub fn entries(out: &Output) -> Vec<serde_json::Value> {
    serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", common::stdout(out), common::stderr(out)))
}

/// The entries of one severity.
pub fn with_severity(out: &Output, severity: &str) -> Vec<serde_json::Value> {
    entries(out)
        .into_iter()
        .filter(|f| f["severity"] == severity)
        .collect()
}

/// `sealant check --format json` over `paths` in `dir`: the error findings, as
/// (file, rule, keys), sorted.
pub fn errors_in(dir: &Path, paths: &[&str]) -> Vec<(String, String, Vec<String>)> {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(paths);
    let out = check_in(dir, &args);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        common::stderr(&out)
    );
    let mut found: Vec<(String, String, Vec<String>)> = with_severity(&out, "error")
        .iter()
        .map(|f| {
            let keys = f["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap().to_owned())
                .collect();
            (
                f["file"].as_str().unwrap().to_owned(),
                f["rule"].as_str().unwrap().to_owned(),
                keys,
            )
        })
        .collect();
    found.sort();
    found
}

/// Fails if stdout or stderr holds any of `values`.
pub fn assert_no_values(out: &Output, values: &[&str]) {
    let text = format!("{}{}", common::stdout(out), common::stderr(out));
    for value in values {
        assert!(!text.contains(value), "output leaks {value:?}: {text}");
    }
}
