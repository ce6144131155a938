//! Running the independent Python implementations (Python `cryptography`) of the
//! cross-implementation tests: one request on stdin, one reply on stdout.
//!
//! Fails loudly, never skips: `.ci/run` installs `cryptography` for `python3`.

// Test-only code: a peer that cannot run is a broken test machine.
#![allow(clippy::expect_used)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Run `python3 script args…` with `request` on stdin and return its stdout.
///
/// # Panics
/// If python3 cannot start or the script exits non-zero (its stderr is in the message).
pub fn run_script(script: &Path, args: &[&str], request: &[u8]) -> Vec<u8> {
    let mut child = Command::new("python3")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 with `cryptography` is required for the cross-implementation check");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(request)
        .expect("writing the request to python3");
    let out = child.wait_with_output().expect("waiting for python3");
    assert!(
        out.status.success(),
        "{} failed (is `cryptography` installed for python3?): {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
