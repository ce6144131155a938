//! `sealant hook install`: a git pre-commit hook that runs `sealant check --staged`.
//!
//! The hook goes where git looks for hooks (`git rev-parse --git-path hooks`, which honours
//! `core.hooksPath` and worktrees). A pre-commit hook that is not ours is kept: it moves to
//! `pre-commit.sealant-chained`, and our hook runs it first and fails when it fails.
//! Installing again only refreshes our hook, so hooks are never chained twice.

use crate::{error::CliError, io::write_atomically};
use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

/// Marks a hook as ours, so a second install recognises it instead of chaining it.
const MARKER: &str = "sealant-managed pre-commit hook";
const HOOK: &str = "pre-commit";
const CHAINED: &str = "pre-commit.sealant-chained";

#[derive(Debug, clap::Subcommand)]
pub enum HookCommand {
    /// Install the pre-commit hook, chaining any existing one.
    Install(InstallArgs),
}

#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// Repository (or any directory inside it); default: the current directory.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// When a foreign hook must be chained but an earlier chained hook is already there,
    /// replace that earlier one (it is lost) instead of refusing.
    #[arg(long)]
    pub force: bool,
}

pub fn run(command: HookCommand) -> Result<(), CliError> {
    match command {
        HookCommand::Install(args) => install(&args),
    }
}

fn install(args: &InstallArgs) -> Result<(), CliError> {
    let dir = hooks_dir(&args.repo)?;
    fs::create_dir_all(&dir).map_err(|source| CliError::Write {
        path: dir.clone(),
        source,
    })?;
    let hook = dir.join(HOOK);
    let chained = dir.join(CHAINED);
    let note = match existing_hook(&hook)? {
        Existing::None => String::new(),
        Existing::Ours => " (updated)".to_owned(),
        Existing::Foreign => {
            if exists(&chained)? && !args.force {
                return Err(CliError::Usage(format!(
                    "{} is not sealant's and {} already holds an earlier hook; move one of \
                     them away, or pass --force to replace the earlier one",
                    hook.display(),
                    chained.display()
                )));
            }
            // A rename keeps the hook's mode, content and symlink-ness exactly as they were.
            fs::rename(&hook, &chained).map_err(|source| CliError::Write {
                path: chained.clone(),
                source,
            })?;
            format!(
                "; the existing hook now runs first, from {}",
                chained.display()
            )
        }
    };
    write_atomically(&hook, script(&sealant_program()).as_bytes())?;
    make_executable(&hook)?;
    eprintln!("installed {}{note}", hook.display());
    Ok(())
}

enum Existing {
    None,
    Ours,
    Foreign,
}

fn existing_hook(hook: &Path) -> Result<Existing, CliError> {
    if !exists(hook)? {
        return Ok(Existing::None);
    }
    // A dangling symlink or unreadable hook is someone's hook all the same: chain it.
    let ours = fs::read(hook)
        .map(|bytes| contains(&bytes, MARKER.as_bytes()))
        .unwrap_or(false);
    Ok(if ours {
        Existing::Ours
    } else {
        Existing::Foreign
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether anything (even a dangling symlink) sits at `path`.
fn exists(path: &Path) -> Result<bool, CliError> {
    match fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(CliError::Read {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// Where git runs hooks from for the repository containing `repo`. Asked from the
/// top-level directory, because a relative `core.hooksPath` is relative to it.
fn hooks_dir(repo: &Path) -> Result<PathBuf, CliError> {
    let top = PathBuf::from(git(repo, &["rev-parse", "--show-toplevel"])?);
    let hooks = PathBuf::from(git(&top, &["rev-parse", "--git-path", "hooks"])?);
    Ok(if hooks.is_absolute() {
        hooks
    } else {
        top.join(hooks)
    })
}

fn git(dir: &Path, args: &[&str]) -> Result<String, CliError> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| CliError::Usage(format!("cannot run git: {e}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(CliError::Usage(format!(
            "{} is not inside a git work tree ({})",
            dir.display(),
            stderr.trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The binary the hook runs: this very executable by absolute path, so the hook works
/// without `sealant` on PATH and runs the version that installed it. An executable named
/// anything but `sealant` (a `kubeseal` copy speaks kubeseal's flags) or one that cannot be
/// located falls back to `sealant` on PATH, as does the hook itself if the path goes away.
fn sealant_program() -> String {
    std::env::current_exe()
        .ok()
        .filter(|p| crate::mode_for_program(&p.clone().into_os_string()) == crate::Mode::Sealant)
        .and_then(|p| p.to_str().map(str::to_owned))
        .unwrap_or_else(|| "sealant".to_owned())
}

fn script(program: &str) -> String {
    format!(
        r#"#!/bin/sh
# {MARKER} (installed by `sealant hook install`).
# Blocks commits that stage plaintext Kubernetes Secrets or broken SealedSecrets.
# A pre-commit hook that existed before runs first, from {CHAINED}.
hooks_dir=$(dirname "$0")
if [ -x "$hooks_dir/{CHAINED}" ]; then
    "$hooks_dir/{CHAINED}" "$@" || exit $?
fi
sealant={quoted}
# The binary that installed this hook moved away: use the one on PATH.
if [ ! -x "$sealant" ]; then
    sealant=sealant
fi
exec "$sealant" check --staged
"#,
        quoted = shell_quote(program)
    )
}

/// Single-quote for sh: `'` becomes `'\''`.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), CliError> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).map_err(|source| CliError::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<(), CliError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_quotes_the_program_and_carries_the_marker() {
        let s = script("/opt/it's here/sealant");
        assert!(s.contains(r"sealant='/opt/it'\''s here/sealant'"));
        assert!(s.contains(MARKER));
        assert!(s.starts_with("#!/bin/sh\n"));
        assert!(s.contains("exec \"$sealant\" check --staged"));
    }
}
