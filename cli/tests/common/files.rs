//! Fixtures for the tests of files the CLI writes: Secret manifests, sealed files, and what
//! a file's mode and a directory's entries are afterwards.

use super::{keypair, other_keypair, path_str, run, stderr, stdout, write};
use std::{
    path::{Path, PathBuf},
    process::Output,
};

/// A Secret manifest `namespace/name` with `pairs` as `stringData`.
pub fn secret_manifest(namespace: &str, name: &str, pairs: &[(&str, &str)]) -> String {
    let mut text = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: {namespace}\nstringData:\n"
    );
    for (k, v) in pairs {
        text.push_str(&format!("  {k}: {v}\n"));
    }
    text
}

/// `manifest` sealed with the test certificate (YAML), written to `dir/file`.
pub fn sealed_file(dir: &Path, file: &str, manifest: &str) -> PathBuf {
    let out = run(
        &["seal", "--cert", path_str(&keypair().cert)],
        Some(manifest.as_bytes()),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    write(dir, file, &stdout(&out))
}

/// Permission bits of `path` (setuid, setgid and sticky included).
#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).unwrap().mode() & 0o7777
}

/// Entries of `dir` other than the ones named: no temporary file is left behind.
pub fn strays(dir: &Path, expected: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !expected.contains(&n.as_str()))
        .collect()
}

/// `sealant reencrypt` offline from the test key pair (A) to the other one (B), with `extra`
/// flags, over `paths`.
pub fn reencrypt_offline(extra: &[&str], paths: &[&Path]) -> Output {
    let mut args = vec![
        "reencrypt",
        "--private-key",
        path_str(&keypair().key),
        "--cert",
        path_str(&other_keypair().cert),
    ];
    args.extend(extra);
    args.extend(paths.iter().map(|p| path_str(p)));
    run(&args, None)
}

/// `text` with every run of base64 long enough to be a ciphertext replaced by `CIPHERTEXT`:
/// ciphertexts are random, so two seals of the same input compare equal only when masked.
pub fn masked(text: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        out.push_str(if run.len() >= 200 { "CIPHERTEXT" } else { run });
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=') {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}
