//! `sealant hook install` in temporary git repositories, judged by real `git commit`s.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{git::GitRepo, *};
use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Output,
};

/// Where an existing hook goes when sealant's takes its place.
const CHAINED: &str = ".git/hooks/sealant-chained/pre-commit";

fn make_executable(path: &Path) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Writes an executable file at `rel` (relative to the repository top).
fn script(repo: &GitRepo, rel: &str, body: &str) -> PathBuf {
    let path = repo.write(rel, body);
    make_executable(&path);
    path
}

/// A pre-existing hook that appends a line to `log` and exits with `code`.
fn foreign_hook(repo: &GitRepo, log: &Path, code: i32) -> (PathBuf, String) {
    let body = format!("#!/bin/sh\necho ran >> '{}'\nexit {code}\n", log.display());
    (script(repo, ".git/hooks/pre-commit", &body), body)
}

fn install_ok(repo: &GitRepo) {
    let out = repo.install_hook(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
}

fn commit(repo: &GitRepo, file: &str) -> Output {
    repo.git_ok(&["add", "--", file]);
    repo.commit(file)
}

/// Writes a clean file, commits it, and returns git's output (hook output included).
fn commit_clean(repo: &GitRepo, name: &str) -> Output {
    repo.write(name, "hello\n");
    commit(repo, name)
}

fn log_lines(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .map(|s| s.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

fn all_output(out: &Output) -> String {
    format!("{}{}", stdout(out), stderr(out))
}

/// How many times `sealant check` reported during a commit.
fn check_runs(out: &Output) -> usize {
    stderr(out).matches("sealant check: ").count()
}

#[test]
fn existing_hook_is_chained_once_and_still_runs() {
    let (repo, log, _side) = repo_with_log();
    let (hook, body) = foreign_hook(&repo, &log, 1);

    for _ in 0..2 {
        install_ok(&repo);
    }
    let chained = repo.path().join(CHAINED);
    assert_eq!(std::fs::read_to_string(&chained).unwrap(), body);
    let ours = std::fs::read_to_string(&hook).unwrap();
    assert_eq!(ours.matches("sealant-managed pre-commit hook").count(), 1);
    assert!(ours.contains(BIN), "runs this binary by absolute path");
    let mode = std::fs::metadata(&hook).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o755);
    assert!(
        !repo
            .path()
            .join(".git/hooks/sealant-chained/sealant-chained")
            .exists()
    );

    // The chained hook runs first, and its failure blocks the commit.
    let out = commit_clean(&repo, "README");
    assert!(!out.status.success());
    assert_eq!(log_lines(&log).len(), 1);
    assert_eq!(check_runs(&out), 0, "sealant ran after a failed hook");
}

/// A repository and a log file outside it (hooks append to it).
fn repo_with_log() -> (GitRepo, PathBuf, tempfile::TempDir) {
    let side = tempfile::tempdir().unwrap();
    (GitRepo::new(), side.path().join("log"), side)
}

#[test]
fn core_hooks_path_is_respected() {
    let repo = GitRepo::new();
    repo.git_ok(&["config", "core.hooksPath", ".githooks"]);
    install_ok(&repo);
    assert!(repo.path().join(".githooks/pre-commit").is_file());
    assert!(!repo.path().join(".git/hooks/pre-commit").exists());
}

#[test]
fn a_second_foreign_hook_needs_force() {
    let (repo, log, side) = repo_with_log();
    foreign_hook(&repo, &log, 0);
    install_ok(&repo);
    // Someone replaces our hook with theirs: chaining it would lose the first one.
    let (_, second) = foreign_hook(&repo, &side.path().join("log2"), 0);
    let out = repo.install_hook(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    let out = repo.install_hook(&["--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let chained = repo.path().join(CHAINED);
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

#[test]
fn plaintext_commit_is_blocked_and_sealed_one_passes() {
    let (repo, log, _side) = repo_with_log();
    foreign_hook(&repo, &log, 0);
    install_ok(&repo);

    repo.write("secret.yaml", SECRET_YAML);
    let out = commit(&repo, "secret.yaml");
    assert!(!out.status.success(), "plaintext Secret was committed");
    assert_eq!(repo.commits(), 0);
    assert_eq!(
        log_lines(&log).len(),
        1,
        "the chained hook runs before the check"
    );

    repo.git_ok(&["rm", "-q", "--cached", "secret.yaml"]);
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
    let out = commit(&repo, "sealed.yaml");
    assert!(
        out.status.success(),
        "sealed commit blocked: {}",
        stderr(&out)
    );
    assert_eq!(log_lines(&log).len(), 2);
    assert_eq!(check_runs(&out), 1);
}

/// husky v3 hooks are one script for every hook, dispatching on `basename "$0"`.
#[test]
fn a_chained_hook_that_dispatches_on_its_name_still_sees_pre_commit() {
    for shebang in ["#!/bin/sh", "#!/usr/bin/env bash"] {
        let (repo, log, _side) = repo_with_log();
        script(
            &repo,
            ".git/hooks/pre-commit",
            &format!(
                "{shebang}\n# husky\nhookName=`basename \"$0\"`\ncase \"$hookName\" in\n  \
                 pre-commit) echo \"$hookName\" >> '{log}' ;;\n  \
                 *) echo \"husky: no hook named $hookName\" >&2; exit 1 ;;\nesac\n",
                log = log.display()
            ),
        );
        install_ok(&repo);
        let out = commit_clean(&repo, "README");
        assert!(out.status.success(), "{shebang}: {}", all_output(&out));
        assert_eq!(log_lines(&log), ["pre-commit"]);
        assert_eq!(check_runs(&out), 1);

        // A plaintext Secret is still refused after the chained hook passed.
        repo.write("secret.yaml", SECRET_YAML);
        let out = commit(&repo, "secret.yaml");
        assert!(!out.status.success());
        assert_eq!(log_lines(&log).len(), 2);
    }
}

/// husky v4 hooks source `husky.sh` from their own directory, which reads `basename "$0"`.
#[test]
fn a_chained_hook_that_sources_files_beside_it_finds_them() {
    let (repo, log, _side) = repo_with_log();
    script(
        &repo,
        ".git/hooks/husky.sh",
        &format!(
            "hookName=`basename \"$0\"`\ngitParams=\"$*\"\n\
             [ \"$hookName\" = pre-commit ] || {{ echo \"husky: $hookName?\" >&2; exit 1; }}\n\
             echo \"$hookName $#\" >> '{}'\n",
            log.display()
        ),
    );
    script(
        &repo,
        ".git/hooks/pre-commit",
        "#!/bin/sh\n# husky\n\n. \"$(dirname \"$0\")/husky.sh\"\n",
    );
    install_ok(&repo);
    let out = commit_clean(&repo, "README");
    assert!(out.status.success(), "{}", all_output(&out));
    assert_eq!(log_lines(&log), ["pre-commit 0"]);
    assert_eq!(check_runs(&out), 1);
}

/// husky v5+ hooks source `_/husky.sh`, which re-runs "$0" once more: that must run the
/// chained hook again, not sealant's hook a second time.
#[test]
fn a_chained_hook_that_reruns_its_own_file_runs_once() {
    let (repo, log, _side) = repo_with_log();
    script(
        &repo,
        ".git/hooks/_/husky.sh",
        "if [ -z \"$husky_skip_init\" ]; then\n  readonly hook_name=\"$(basename \"$0\")\"\n  \
         export husky_skip_init=1\n  sh -e \"$0\" \"$@\"\n  exitCode=\"$?\"\n  \
         exit $exitCode\nfi\n",
    );
    script(
        &repo,
        ".git/hooks/pre-commit",
        &format!(
            "#!/usr/bin/env sh\n. \"$(dirname -- \"$0\")/_/husky.sh\"\n\necho lint >> '{}'\n",
            log.display()
        ),
    );
    install_ok(&repo);
    let out = commit_clean(&repo, "README");
    assert!(out.status.success(), "{}", all_output(&out));
    assert_eq!(log_lines(&log), ["lint"]);
    assert_eq!(check_runs(&out), 1, "{}", all_output(&out));

    repo.write("secret.yaml", SECRET_YAML);
    let out = commit(&repo, "secret.yaml");
    assert!(!out.status.success());
    assert_eq!(log_lines(&log).len(), 2);
}

/// Hooks that are not plain sh or bash scripts (here: sh with options on the `#!` line,
/// which cannot be sourced as they are) run as programs, by a path ending in `pre-commit`.
#[test]
fn a_chained_program_runs_by_a_path_named_pre_commit() {
    let (repo, log, _side) = repo_with_log();
    script(
        &repo,
        ".git/hooks/pre-commit",
        &format!(
            "#!/bin/sh -eu\ncase \"$(basename \"$0\")\" in\n  pre-commit) echo ok >> '{}' ;;\n  \
             *) exit 1 ;;\nesac\n",
            log.display()
        ),
    );
    install_ok(&repo);
    let out = commit_clean(&repo, "README");
    assert!(out.status.success(), "{}", all_output(&out));
    assert_eq!(log_lines(&log), ["ok"]);
}

#[test]
fn a_chained_hook_that_is_a_relative_symlink_still_resolves() {
    let (repo, log, _side) = repo_with_log();
    script(
        &repo,
        "scripts/hook.sh",
        &format!("#!/bin/sh\necho linked >> '{}'\n", log.display()),
    );
    std::os::unix::fs::symlink(
        "../../scripts/hook.sh",
        repo.path().join(".git/hooks/pre-commit"),
    )
    .unwrap();
    install_ok(&repo);
    assert!(
        std::fs::symlink_metadata(repo.path().join(CHAINED))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let out = commit_clean(&repo, "README");
    assert!(out.status.success(), "{}", all_output(&out));
    assert_eq!(log_lines(&log), ["linked"]);
}

/// Older versions kept the chained hook at `pre-commit.sealant-chained`; installing again
/// moves it where the new hook runs it from.
#[test]
fn an_earlier_install_is_migrated() {
    let (repo, log, _side) = repo_with_log();
    let (_, body) = foreign_hook(&repo, &log, 0);
    std::fs::rename(
        repo.path().join(".git/hooks/pre-commit"),
        repo.path().join(".git/hooks/pre-commit.sealant-chained"),
    )
    .unwrap();
    script(
        &repo,
        ".git/hooks/pre-commit",
        "#!/bin/sh\n# sealant-managed pre-commit hook (an earlier version)\nexit 1\n",
    );
    install_ok(&repo);
    assert!(
        !repo
            .path()
            .join(".git/hooks/pre-commit.sealant-chained")
            .exists()
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join(CHAINED)).unwrap(),
        body
    );
    let out = commit_clean(&repo, "README");
    assert!(out.status.success(), "{}", all_output(&out));
    assert_eq!(log_lines(&log).len(), 1);
}
