//! `sealant hook install` in temporary git repositories.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::{Command, Output},
};

/// git isolated from the machine's and user's config (a global core.hooksPath would
/// otherwise redirect the hooks).
fn git(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .unwrap()
}

fn git_ok(dir: &Path, args: &[&str]) {
    let out = git(dir, args);
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git_ok(dir.path(), &["init", "-q"]);
    git_ok(dir.path(), &["config", "user.name", "Sealant Test"]);
    git_ok(
        dir.path(),
        &["config", "user.email", "test@example.invalid"],
    );
    git_ok(dir.path(), &["config", "commit.gpgsign", "false"]);
    dir
}

fn install(repo: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["hook", "install", "--repo", path_str(repo)];
    args.extend_from_slice(extra);
    run(&args, None)
}

/// A pre-existing hook that appends a line to `log` and exits with `code`.
fn foreign_hook(repo: &Path, log: &Path, code: i32) -> (PathBuf, String) {
    let hook = repo.join(".git/hooks/pre-commit");
    let body = format!("#!/bin/sh\necho ran >> '{}'\nexit {code}\n", log.display());
    std::fs::write(&hook, &body).unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    (hook, body)
}

fn commit(repo: &Path, file: &str) -> Output {
    git_ok(repo, &["add", "--", file]);
    git(repo, &["commit", "-q", "-m", file])
}

fn runs(log: &Path) -> usize {
    std::fs::read_to_string(log).map_or(0, |s| s.lines().count())
}

#[test]
fn existing_hook_is_chained_once_and_still_runs() {
    let repo = repo();
    let side = tempfile::tempdir().unwrap();
    let log = side.path().join("log");
    let (hook, body) = foreign_hook(repo.path(), &log, 1);

    for _ in 0..2 {
        let out = install(repo.path(), &[]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let chained = repo.path().join(".git/hooks/pre-commit.sealant-chained");
    assert_eq!(std::fs::read_to_string(&chained).unwrap(), body);
    let ours = std::fs::read_to_string(&hook).unwrap();
    assert_eq!(ours.matches("sealant-managed pre-commit hook").count(), 1);
    assert!(ours.contains(BIN), "runs this binary by absolute path");
    let mode = std::fs::metadata(&hook).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o755);
    assert!(
        !repo
            .path()
            .join(".git/hooks/pre-commit.sealant-chained.sealant-chained")
            .exists()
    );

    // The chained hook runs first, and its failure blocks the commit.
    write(repo.path(), "README", "hello\n");
    let out = commit(repo.path(), "README");
    assert!(!out.status.success());
    assert_eq!(runs(&log), 1);
}

#[test]
fn core_hooks_path_is_respected() {
    let repo = repo();
    git_ok(repo.path(), &["config", "core.hooksPath", ".githooks"]);
    let out = install(repo.path(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(repo.path().join(".githooks/pre-commit").is_file());
    assert!(!repo.path().join(".git/hooks/pre-commit").exists());
}

#[test]
fn a_second_foreign_hook_needs_force() {
    let repo = repo();
    let side = tempfile::tempdir().unwrap();
    let log = side.path().join("log");
    foreign_hook(repo.path(), &log, 0);
    assert!(install(repo.path(), &[]).status.success());
    // Someone replaces our hook with theirs: chaining it would lose the first one.
    let (_, second) = foreign_hook(repo.path(), &side.path().join("log2"), 0);
    let out = install(repo.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    let out = install(repo.path(), &["--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let chained = repo.path().join(".git/hooks/pre-commit.sealant-chained");
    assert_eq!(std::fs::read_to_string(chained).unwrap(), second);
}

#[test]
fn not_a_repository_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_env(
        &["hook", "install", "--repo", path_str(dir.path())],
        None,
        &[
            ("GIT_CONFIG_GLOBAL", "/dev/null"),
            (
                "GIT_CEILING_DIRECTORIES",
                path_str(dir.path().parent().unwrap()),
            ),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

/// Needs `sealant check --staged` (exit 1 on findings, 0 when clean).
#[test]
fn plaintext_commit_is_blocked_and_sealed_one_passes() {
    let repo = repo();
    let side = tempfile::tempdir().unwrap();
    let log = side.path().join("log");
    foreign_hook(repo.path(), &log, 0);
    assert!(install(repo.path(), &[]).status.success());

    write(repo.path(), "secret.yaml", SECRET_YAML);
    let out = commit(repo.path(), "secret.yaml");
    assert!(!out.status.success(), "plaintext Secret was committed");
    assert!(
        !git(repo.path(), &["rev-parse", "-q", "--verify", "HEAD"])
            .status
            .success()
    );
    assert_eq!(runs(&log), 1, "the chained hook runs before the check");

    git_ok(repo.path(), &["rm", "-q", "--cached", "secret.yaml"]);
    let sealed = repo.path().join("sealed.yaml");
    let out = run(
        &[
            "seal",
            "--cert",
            path_str(&keypair().cert),
            "-f",
            path_str(&repo.path().join("secret.yaml")),
            "-w",
            path_str(&sealed),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::remove_file(repo.path().join("secret.yaml")).unwrap();
    let out = commit(repo.path(), "sealed.yaml");
    assert!(
        out.status.success(),
        "sealed commit blocked: {}",
        stderr(&out)
    );
    assert_eq!(runs(&log), 2);
}
