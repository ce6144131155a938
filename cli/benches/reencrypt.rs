//! Benchmark (not a test): `sealant reencrypt` offline over a tree of 500 SealedSecret files
//! of 3 values each, RSA-4096: key A (the TEST-ONLY key in keys/tests/data) to a freshly
//! generated key B. One run of the real binary, start to exit.
//!
//! Each value costs one RSA private operation to open (the key that opened the previous
//! value is tried first) and one public operation to seal again. Anchor, measured in the
//! same run on one thread (the command is single-threaded): the bare private-operation rate
//! of the same backend (`sealant_test_support::bench_anchor::raw_private_op`), so the cost per
//! value reads as "private-operation equivalents", independent of the machine.
//!
//! Run: `cargo bench -p sealant --features aws-lc --bench reencrypt`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sealant_crypto::{Backend, Scope, encode_base64, seal};
use sealant_test_support::{bench_anchor::raw_private_op, test_keys};
use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

const FILES: usize = 500;
const VALUES: usize = 3;
const ANCHOR_OPS: usize = 200;

fn main() {
    let bin = env!("CARGO_BIN_EXE_sealant");
    let dir = tempfile::tempdir().unwrap();
    let key_a = test_keys::path(test_keys::RSA4096);
    let a = test_keys::key(test_keys::RSA4096);
    assert_eq!(a.public_key().bits(), 4096);
    let keys_b = generate_key_b(bin, dir.path());
    let tree = write_tree(&a, dir.path());

    let elapsed = reencrypt(bin, &key_a, &keys_b, &tree);
    spot_check(bin, &keys_b, &tree);
    let backend = *Backend::available().last().unwrap();
    let per_op = anchor(backend, &a);
    print_table(backend.name(), elapsed, per_op);
}

/// Key B, the new key, made by `sealant keys generate` in `dir/b`.
fn generate_key_b(bin: &str, dir: &Path) -> PathBuf {
    let keys_b = dir.join("b");
    let status = Command::new(bin)
        .args(["keys", "generate", "--bits", "4096", "--out"])
        .arg(&keys_b)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "keys generate");
    keys_b
}

/// [`FILES`] sealed files under key A, spread over ten directories of `dir/tree`.
fn write_tree(a: &sealant_crypto::PrivateKey, dir: &Path) -> PathBuf {
    let tree = dir.join("tree");
    for i in 0..FILES {
        let sub = tree.join(format!("team-{}", i % 10));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(format!("secret-{i}.yaml")), sealed_file(a, i)).unwrap();
    }
    tree
}

/// The measured run: `sealant reencrypt` of the whole tree, offline, start to exit.
fn reencrypt(bin: &str, key_a: &Path, keys_b: &Path, tree: &Path) -> Duration {
    let start = Instant::now();
    let out = Command::new(bin)
        .args(["reencrypt", "--private-key"])
        .arg(key_a)
        .arg("--cert")
        .arg(keys_b.join("cert.pem"))
        .arg(tree)
        .stdout(Stdio::null())
        .output()
        .unwrap();
    let elapsed = start.elapsed();
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "reencrypt: {summary}");
    assert!(
        summary.contains(&format!("{FILES} file(s) rewritten")),
        "{summary}"
    );
    elapsed
}

/// The first file now opens with key B.
fn spot_check(bin: &str, keys_b: &Path, tree: &Path) {
    let check = Command::new(bin)
        .args(["unseal", "--private-key"])
        .arg(keys_b.join("key.pem"))
        .arg("-f")
        .arg(tree.join("team-0/secret-0.yaml"))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(check.success(), "the rewritten file opens with key B");
}

/// The bare RSA private operation of `backend` with key A: time per operation.
fn anchor(backend: Backend, a: &sealant_crypto::PrivateKey) -> Duration {
    let mut op = raw_private_op(backend, a);
    op(); // warm-up
    let anchor_start = Instant::now();
    for _ in 0..ANCHOR_OPS {
        op();
    }
    anchor_start.elapsed() / ANCHOR_OPS as u32
}

/// The benchmark's rows for docs/benchmarks.md.
fn print_table(backend: &str, elapsed: Duration, per_op: Duration) {
    let values = FILES * VALUES;
    let per_value = elapsed / values as u32;
    let equivalents = per_value.as_secs_f64() / per_op.as_secs_f64();
    println!(
        "sealant reencrypt, offline, {FILES} files x {VALUES} values, RSA-4096 -> RSA-4096, backend {}",
        backend
    );
    println!("| measurement | value |");
    println!("|---|---|");
    println!(
        "| wall time, start to exit | {:.2} s |",
        elapsed.as_secs_f64()
    );
    println!("| files/s | {:.1} |", FILES as f64 / elapsed.as_secs_f64());
    println!(
        "| values/s | {:.1} |",
        values as f64 / elapsed.as_secs_f64()
    );
    println!("| time per value | {:.2} ms |", ms(per_value));
    println!(
        "| raw RSA-4096 private op, same run, 1 thread (anchor) | {:.2} ms ({:.0} ops/s) |",
        ms(per_op),
        1.0 / per_op.as_secs_f64()
    );
    println!("| RSA operations per value | 1 private (open) + 1 public (seal) |");
    println!("| cost per value in private-op equivalents | {equivalents:.2} |");
}

/// One SealedSecret file of `VALUES` values sealed with `key`, strict scope, with a
/// comment and a sealed-for-style layout as `sealant seal` writes.
fn sealed_file(key: &sealant_crypto::PrivateKey, i: usize) -> String {
    let (namespace, name) = (format!("team-{}", i % 10), format!("secret-{i}"));
    let label = Scope::Strict.label(&namespace, &name).unwrap();
    let mut text = format!(
        "# generated for the reencrypt benchmark\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n  encryptedData:\n"
    );
    for v in 0..VALUES {
        let sealed = seal(
            key.public_key(),
            &label,
            format!("value-{i}-{v}").as_bytes(),
        )
        .unwrap();
        text.push_str(&format!("    key{v}: {}\n", encode_base64(&sealed)));
    }
    text.push_str(&format!(
        "  template:\n    metadata:\n      name: {name}\n      namespace: {namespace}\n"
    ));
    text
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
