//! `sealant check --staged` as the pre-commit hook runs it: real repositories, the hook
//! installed by `sealant hook install`, commits made by `git commit`. Each test stages
//! something the commit would carry and checks that the hook sees exactly that.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::git::GitRepo;
use sha2::{Digest, Sha256};
use std::{
    ffi::OsStr,
    os::unix::ffi::OsStrExt,
    path::{Path, PathBuf},
    process::Output,
};

/// The only plaintext value staged anywhere below; no output may ever contain it.
const VALUE: &str = "s3cr3t-staged-value";

fn plaintext_secret(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: prod\nstringData:\n  password: {VALUE}\n"
    )
}

const CONFIGMAP: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n";

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The commit was refused by the hook: nothing new on HEAD, and the report or error says
/// why, naming `shown` (the path as sealant displays it), without the value.
fn assert_refused(repo: &GitRepo, out: &Output, commits_before: usize, shown: &str) {
    let all = text(out);
    assert!(!out.status.success(), "the commit went through: {all}");
    assert_eq!(repo.commits(), commits_before, "{all}");
    assert!(all.contains(shown), "output does not name {shown}: {all}");
    assert!(!all.contains(VALUE), "the value leaked: {all}");
}

fn bytes_path(raw: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(raw))
}

#[test]
fn a_symlink_turned_into_a_regular_file_is_scanned() {
    let repo = GitRepo::with_hook();
    repo.write("notes.txt", "not a manifest\n");
    std::os::unix::fs::symlink("notes.txt", repo.path().join("db.yaml")).unwrap();
    std::os::unix::fs::symlink("db.yaml", repo.path().join("config.yaml")).unwrap();
    repo.add_all();
    // A symlink's blob is its target path, not a file: nothing to scan.
    repo.commit_ok("links");

    // The type change (git status T) puts a plaintext Secret in the commit.
    std::fs::remove_file(repo.path().join("db.yaml")).unwrap();
    repo.write("db.yaml", plaintext_secret("db"));
    repo.add_all();
    let out = repo.commit("link becomes a file");
    assert_refused(&repo, &out, 1, "db.yaml:1: [plaintext-secret]");

    // The other way round, a file turned into a link, has nothing to scan.
    repo.write("db.yaml", CONFIGMAP);
    repo.add_all();
    repo.commit_ok("sealed since");
    std::fs::remove_file(repo.path().join("db.yaml")).unwrap();
    std::os::unix::fs::symlink("notes.txt", repo.path().join("db.yaml")).unwrap();
    repo.add_all();
    repo.commit_ok("file becomes a link");
}

#[test]
fn names_that_are_not_utf8_or_hold_control_characters_are_scanned_and_shown_escaped() {
    let repo = GitRepo::with_hook();
    repo.write(bytes_path(b"caf\xe9.yaml"), plaintext_secret("latin1"));
    let out = repo.commit_after_add_all();
    assert_refused(&repo, &out, 0, "\"caf\\xe9.yaml\":1: [plaintext-secret]");

    // A name cannot rewrite the terminal it is reported on.
    let repo = GitRepo::with_hook();
    repo.write(bytes_path(b"a\x1b[2Kb\nc.yaml"), plaintext_secret("escape"));
    let out = repo.commit_after_add_all();
    assert_refused(
        &repo,
        &out,
        0,
        "\"a\\x1b[2Kb\\nc.yaml\":1: [plaintext-secret]",
    );
    assert!(!out.stderr.contains(&0x1b), "{}", text(&out));
}

#[test]
fn a_name_with_a_colon_is_a_path_not_a_revision() {
    let repo = GitRepo::with_hook();
    // `git show :0:x.yaml` would read stage 0 of x.yaml, the clean file.
    repo.write("x.yaml", CONFIGMAP);
    repo.write("0:x.yaml", plaintext_secret("colon"));
    repo.write(":y.yaml", plaintext_secret("leading-colon"));
    let out = repo.commit_after_add_all();
    assert_refused(&repo, &out, 0, "0:x.yaml:1: [plaintext-secret]");
    assert!(text(&out).contains(":y.yaml:1: [plaintext-secret]"));
}

/// What `git lfs` would stage for `content`: the pointer as the blob, the object under
/// `.git/lfs/objects/`.
fn stage_lfs(repo: &GitRepo, name: &str, content: &[u8], store: bool) -> String {
    let oid = hex::encode(Sha256::digest(content));
    let pointer = format!(
        "version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {}\n",
        content.len()
    );
    repo.write(name, &pointer);
    if store {
        repo.write(lfs_object(&oid), content);
    }
    oid
}

fn lfs_object(oid: &str) -> PathBuf {
    Path::new(".git/lfs/objects")
        .join(&oid[0..2])
        .join(&oid[2..4])
        .join(oid)
}

#[test]
fn git_lfs_pointers_are_scanned_through_their_local_object() {
    let repo = GitRepo::with_hook();
    repo.write(
        ".gitattributes",
        "*.yaml filter=lfs diff=lfs merge=lfs -text\n",
    );
    stage_lfs(&repo, "settings.yaml", CONFIGMAP.as_bytes(), true);
    repo.add_all();
    repo.commit_ok("a clean LFS file");

    stage_lfs(&repo, "db.yaml", plaintext_secret("lfs").as_bytes(), true);
    let out = repo.commit_after_add_all();
    assert_refused(&repo, &out, 1, "db.yaml:1: [plaintext-secret]");
}

#[test]
fn git_lfs_objects_that_are_missing_or_wrong_fail_closed() {
    let repo = GitRepo::with_hook();

    // Not fetched: the content cannot be seen, so the commit cannot be vouched for.
    let oid = stage_lfs(&repo, "db.yaml", plaintext_secret("lfs").as_bytes(), false);
    repo.add_all();
    let out = repo.check_staged(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let all = text(&out);
    assert!(
        all.contains("db.yaml") && all.contains("LFS") && all.contains(&oid),
        "{all}"
    );
    let out = repo.commit("missing object");
    assert_refused(&repo, &out, 0, "db.yaml");

    // An object whose bytes do not hash to the pointer's id is not the staged content.
    repo.write(lfs_object(&oid), CONFIGMAP);
    let out = repo.check_staged(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("db.yaml"), "{}", text(&out));

    // Nor is one of another size than the pointer states.
    let content = plaintext_secret("lfs");
    let oid = hex::encode(Sha256::digest(content.as_bytes()));
    repo.write(lfs_object(&oid), &content);
    repo.write(
        "db.yaml",
        format!(
            "version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {}\n",
            content.len() + 1
        ),
    );
    repo.add_all();
    let out = repo.check_staged(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("db.yaml"), "{}", text(&out));
}

#[test]
fn text_that_only_resembles_a_pointer_is_scanned_as_itself() {
    let repo = GitRepo::with_hook();
    // A first YAML document that reads like a pointer's first line, then a Secret.
    let fake = format!(
        "version https://git-lfs.github.com/spec/v1\n---\n{}",
        plaintext_secret("not-a-pointer")
    );
    repo.write("db.yaml", fake);
    let out = repo.commit_after_add_all();
    assert_refused(&repo, &out, 0, "db.yaml");
}

#[test]
fn the_config_is_read_from_the_index_not_the_working_tree() {
    let repo = GitRepo::with_hook();
    repo.write("db.yaml", plaintext_secret("db"));
    // Not staged: it is not part of the commit, so it cannot silence the check.
    repo.write(".sealant.yaml", "ignore: [\"**\"]\n");
    repo.git_ok(&["add", "db.yaml"]);
    let out = repo.commit("config only in the working tree");
    assert_refused(&repo, &out, 0, "db.yaml:1: [plaintext-secret]");

    // The staged config applies, even when the working tree's copy says otherwise since.
    repo.git_ok(&["rm", "-q", "--cached", "db.yaml"]);
    std::fs::remove_file(repo.path().join("db.yaml")).unwrap();
    repo.write(".sealant.yaml", "ignore: [\"fixtures/\"]\n");
    repo.write("fixtures/db.yaml", plaintext_secret("fixture"));
    repo.add_all();
    repo.write(".sealant.yaml", "ignore: []\n");
    repo.commit_ok("fixtures are ignored by the staged config");
    // Also from a subdirectory: the staged config sits at the top.
    repo.write("fixtures/more.yaml", plaintext_secret("fixture2"));
    repo.git_ok(&["add", "fixtures/more.yaml"]);
    let out = repo.check_staged_in(&repo.path().join("fixtures"), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // --config names a file explicitly: that file is used, staged or not.
    repo.write("app/db.yaml", plaintext_secret("app"));
    repo.git_ok(&["add", "app/db.yaml"]);
    assert_eq!(repo.check_staged(&[]).status.code(), Some(1));
    repo.write("local.yaml", "ignore: [\"app/\", \"fixtures/\"]\n");
    let out = repo.check_staged(&["--config", "local.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    repo.write("local.yaml", "ignore: [\"app/\"]\n");
    let out = repo.check_staged(&["--config", "local.yaml"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("fixtures/more.yaml:1:"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_staged_config_that_cannot_be_read_as_a_file_fails_closed() {
    let repo = GitRepo::with_hook();
    repo.write("elsewhere.yaml", "ignore: [\"**\"]\n");
    std::os::unix::fs::symlink("elsewhere.yaml", repo.path().join(".sealant.yaml")).unwrap();
    repo.write("db.yaml", plaintext_secret("db"));
    repo.add_all();
    let out = repo.check_staged(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains(".sealant.yaml"), "{}", text(&out));

    let repo = GitRepo::with_hook();
    repo.write(".sealant.yaml", "ignores: [\"**\"]\n");
    repo.write("db.yaml", plaintext_secret("db"));
    repo.add_all();
    let out = repo.commit("a typo in the staged config");
    assert_refused(&repo, &out, 0, ".sealant.yaml");
}

#[test]
fn blobs_that_cannot_be_read_fail_closed_naming_the_path() {
    let repo = GitRepo::with_hook();
    // An index entry whose blob is not in the object store (a broken or partial clone).
    let missing = "0123456789abcdef0123456789abcdef01234567";
    repo.git_ok(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("100644,{missing},gh\u{7f}ost.yaml"),
    ]);
    let out = repo.check_staged(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("\"gh\\x7fost.yaml\""), "{}", text(&out));
}

#[test]
fn submodules_and_symlinks_are_not_files() {
    let repo = GitRepo::with_hook();
    // A gitlink's id names a commit of another repository: there is no blob to read.
    repo.git_ok(&[
        "update-index",
        "--add",
        "--cacheinfo",
        "160000,0123456789abcdef0123456789abcdef01234567,vendor.yaml",
    ]);
    repo.write("secret.txt", plaintext_secret("outside"));
    std::os::unix::fs::symlink("secret.txt", repo.path().join("link.yaml")).unwrap();
    repo.git_ok(&["add", "link.yaml"]);
    let out = repo.check_staged(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("0 files scanned"),
        "{}",
        text(&out)
    );
}

#[test]
fn every_staged_file_is_read_whatever_its_size() {
    let repo = GitRepo::with_hook();
    let big = format!("{}# {}\n", CONFIGMAP, "x".repeat(300_000));
    for i in 0..120 {
        let body = match i % 4 {
            0 => String::new(),
            1 => CONFIGMAP.trim_end().to_owned(),
            2 => big.clone(),
            _ => CONFIGMAP.to_owned(),
        };
        repo.write(format!("d/f{i:03}.yaml"), body);
    }
    repo.add_all();
    repo.commit_ok("clean files");
    repo.write("d/f118.yaml", plaintext_secret("last"));
    repo.write(
        "d/f002.yaml",
        format!("{big}---\n{}", plaintext_secret("big")),
    );
    let out = repo.commit_after_add_all();
    assert_refused(&repo, &out, 1, "d/f118.yaml:1: [plaintext-secret]");
    assert!(text(&out).contains("d/f002.yaml:"), "{}", text(&out));
}

#[test]
fn commit_all_and_commit_of_paths_are_checked_through_their_own_index() {
    let repo = GitRepo::with_hook();
    repo.write("db.yaml", CONFIGMAP);
    repo.add_all();
    repo.commit_ok("clean");
    // Not staged: `git commit -a` and `git commit db.yaml` stage it into a temporary
    // index (GIT_INDEX_FILE) that the hook must read.
    repo.write("db.yaml", plaintext_secret("db"));
    let out = repo.git(&["commit", "-q", "-a", "-m", "all"]);
    assert_refused(&repo, &out, 1, "db.yaml:1: [plaintext-secret]");
    let out = repo.git(&["commit", "-q", "-m", "only", "db.yaml"]);
    assert_refused(&repo, &out, 1, "db.yaml:1: [plaintext-secret]");
}

trait CommitAll {
    fn commit_after_add_all(&self) -> Output;
}

impl CommitAll for GitRepo {
    fn commit_after_add_all(&self) -> Output {
        self.add_all();
        self.commit("add all")
    }
}

#[test]
fn a_merge_conflict_fails_closed_naming_the_path() {
    let repo = GitRepo::with_hook();
    repo.git_ok(&["checkout", "-q", "-b", "base"]);
    repo.write("db.yaml", CONFIGMAP);
    repo.write(".sealant.yaml", "ignore: []\n");
    repo.commit_after_add_all();
    repo.git_ok(&["checkout", "-q", "-b", "theirs"]);
    repo.write("db.yaml", CONFIGMAP.replace("fast", "slow"));
    repo.write(".sealant.yaml", "ignore: [\"a/\"]\n");
    repo.commit_after_add_all();
    repo.git_ok(&["checkout", "-q", "base"]);
    repo.write("db.yaml", CONFIGMAP.replace("fast", "quick"));
    repo.write(".sealant.yaml", "ignore: [\"b/\"]\n");
    repo.commit_after_add_all();
    assert_eq!(repo.commits(), 2);
    assert!(!repo.git(&["merge", "-q", "theirs"]).status.success());

    // Which side of a conflicted config applies is not sealant's guess to make.
    let out = repo.check_staged(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(".sealant.yaml (staged): unmerged"),
        "{}",
        text(&out)
    );
    let out = repo.check_staged(&["--config", "/dev/null", "db.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("db.yaml: unmerged"), "{}", text(&out));
}
