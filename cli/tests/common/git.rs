//! Real git repositories in temporary directories, with sealant's pre-commit hook installed
//! the way users install it (`sealant hook install`) and commits made by real `git commit`.

use super::{BIN, path_str, run_command};
use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

/// git isolated from the machine's and the user's config (a global `core.hooksPath` would
/// otherwise redirect the hooks), and from any repository the test itself runs in.
pub fn git_command(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    cmd
}

pub fn git(dir: &Path, args: &[&str]) -> Output {
    git_command(dir).args(args).output().unwrap()
}

/// Runs git and returns its stdout; fails the test when git fails.
pub fn git_ok(dir: &Path, args: &[&str]) -> String {
    let out = git(dir, args);
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub struct GitRepo {
    dir: tempfile::TempDir,
}

impl GitRepo {
    /// `git init` with an identity, and no signing, so `git commit` works anywhere.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        git_ok(dir.path(), &["init", "-q"]);
        git_ok(dir.path(), &["config", "user.name", "Sealant Test"]);
        git_ok(
            dir.path(),
            &["config", "user.email", "test@example.invalid"],
        );
        git_ok(dir.path(), &["config", "commit.gpgsign", "false"]);
        Self { dir }
    }

    /// A repository with sealant's pre-commit hook installed.
    pub fn with_hook() -> Self {
        let repo = Self::new();
        let out = repo.install_hook(&[]);
        assert!(
            out.status.success(),
            "hook install: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn git(&self, args: &[&str]) -> Output {
        git(self.path(), args)
    }

    pub fn git_ok(&self, args: &[&str]) -> String {
        git_ok(self.path(), args)
    }

    pub fn install_hook(&self, extra: &[&str]) -> Output {
        let mut args = vec!["hook", "install", "--repo", path_str(self.path())];
        args.extend_from_slice(extra);
        run_command(Command::new(BIN), &args, None, &isolated_env())
    }

    /// Writes `name` (a path relative to the top, parents created) in the working tree.
    pub fn write(&self, name: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// `git add` of everything in the working tree.
    pub fn add_all(&self) {
        self.git_ok(&["add", "-A"]);
    }

    /// `git commit` of what is staged; the pre-commit hook decides.
    pub fn commit(&self, message: &str) -> Output {
        self.git(&["commit", "-q", "-m", message])
    }

    /// `git commit` that must succeed.
    pub fn commit_ok(&self, message: &str) {
        let out = self.commit(message);
        assert!(
            out.status.success(),
            "commit {message:?} was refused: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Number of commits on HEAD (0 before the first).
    pub fn commits(&self) -> usize {
        let out = self.git(&["rev-list", "--count", "HEAD"]);
        if !out.status.success() {
            return 0;
        }
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    }

    /// `sealant check --staged` run from `dir` (inside the repository) with `extra` args.
    pub fn check_staged_in(&self, dir: &Path, extra: &[&str]) -> Output {
        let mut cmd = Command::new(BIN);
        cmd.current_dir(dir)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE");
        let mut args = vec!["check", "--staged"];
        args.extend_from_slice(extra);
        run_command(cmd, &args, None, &isolated_env())
    }

    pub fn check_staged(&self, extra: &[&str]) -> Output {
        self.check_staged_in(self.path(), extra)
    }
}

impl Default for GitRepo {
    fn default() -> Self {
        Self::new()
    }
}

fn isolated_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("GIT_CONFIG_GLOBAL", "/dev/null"),
        ("GIT_CONFIG_NOSYSTEM", "1"),
    ]
}
