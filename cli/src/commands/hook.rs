//! `sealant hook install`: a git pre-commit hook that runs `sealant check --staged`.
//!
//! The hook goes where git looks for hooks (`git rev-parse --git-path hooks`, which honours
//! `core.hooksPath` and worktrees). A pre-commit hook that is not ours is kept: it moves to
//! `sealant-chained/pre-commit`, and our hook runs it first and fails when it fails.
//! Installing again only refreshes our hook, so hooks are never chained twice.
//!
//! The chained hook must not notice the move: hooks written as one script for every hook
//! (husky v3/v4) dispatch on `basename "$0"` and source helpers from `dirname "$0"`. So a
//! sh or bash script is sourced by its own shell with `$0` left as this hook's path, and
//! any other program runs by a path that still ends in `pre-commit`.

use crate::{error::CliError, io::write_atomically, requests::HookInstallRequest};
use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

/// Marks a hook as ours, so a second install recognises it instead of chaining it.
const MARKER: &str = "sealant-managed pre-commit hook";
const HOOK: &str = "pre-commit";
/// The directory (beside our hook) the chained hook lives in, under its own name.
const CHAINED_DIR: &str = "sealant-chained";
/// Where earlier versions kept the chained hook; an install moves it to [`CHAINED_DIR`].
const LEGACY_CHAINED: &str = "pre-commit.sealant-chained";
/// Set while the chained hook runs, so our hook knows a re-run of "$0" means that hook.
const CHAINED_ENV: &str = "SEALANT_CHAINED_HOOK";

pub fn install(request: &HookInstallRequest) -> Result<(), CliError> {
    let dir = hooks_dir(&request.repo)?;
    fs::create_dir_all(&dir).map_err(|source| CliError::Write {
        path: dir.clone(),
        source,
    })?;
    let hook = dir.join(HOOK);
    let chained = dir.join(CHAINED_DIR).join(HOOK);
    let legacy = dir.join(LEGACY_CHAINED);
    let existing = existing_hook(&hook)?;
    let mut note = String::new();
    if !matches!(existing, Existing::Foreign) && exists(&legacy)? && !exists(&chained)? {
        move_hook(&legacy, &chained)?;
        note = format!("; the chained hook moved to {}", chained.display());
    }
    match existing {
        Existing::None => {}
        Existing::Ours => note.insert_str(0, " (updated)"),
        Existing::Foreign => {
            let earlier = if exists(&chained)? {
                Some(&chained)
            } else if exists(&legacy)? {
                Some(&legacy)
            } else {
                None
            };
            if let Some(earlier) = earlier {
                if !request.force {
                    return Err(CliError::Usage(format!(
                        "{} is not sealant's and {} already holds an earlier hook; move one \
                         of them away, or pass --force to replace the earlier one",
                        hook.display(),
                        earlier.display()
                    )));
                }
                // Replaced: a leftover would be chained again by a later install.
                remove(&legacy)?;
            }
            move_hook(&hook, &chained)?;
            note = format!(
                "; the existing hook now runs first, from {}",
                chained.display()
            );
        }
    }
    write_atomically(&hook, script(&sealant_program()).as_bytes())?;
    make_executable(&hook)?;
    eprintln!("installed {}{note}", hook.display());
    Ok(())
}

/// Moves a hook from the hooks directory into [`CHAINED_DIR`] beside it, keeping its mode,
/// content and symlink-ness; a relative symlink gains the `../` it needs one level down.
fn move_hook(from: &Path, to: &Path) -> Result<(), CliError> {
    let write_error = |source| CliError::Write {
        path: to.to_path_buf(),
        source,
    };
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).map_err(write_error)?;
    }
    if let Ok(target) = fs::read_link(from)
        && target.is_relative()
    {
        remove(to)?;
        symlink(&Path::new("..").join(target), to).map_err(write_error)?;
        return remove(from);
    }
    fs::rename(from, to).map_err(write_error)
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(_target: &Path, _link: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other(
        "cannot recreate a symlinked hook here; move it by hand",
    ))
}

/// Removes a file or link; absent is fine.
fn remove(path: &Path) -> Result<(), CliError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(CliError::Write {
            path: path.to_path_buf(),
            source: e,
        }),
        _ => Ok(()),
    }
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
# A pre-commit hook that existed before runs first, from {CHAINED_DIR}/{HOOK}.
hooks_dir=$(dirname "$0")
chained="$hooks_dir/{CHAINED_DIR}/{HOOK}"

# Runs the chained hook as git would have. Shell scripts (husky, most hand-written hooks)
# read their name and directory from $0, so their own shell sources them with $0 left as
# this hook's path; any other program runs by a path that still ends in {HOOK}.
run_chained() {{
    first=
    IFS= read -r first < "$chained" || :
    case $first in
        '#!/bin/sh' | '#!/bin/bash') shell=${{first#??}} ;;
        '#!/usr/bin/env sh' | '#!/usr/bin/env bash') shell=${{first#'#!/usr/bin/env '}} ;;
        *) "$chained" "$@"; return ;;
    esac
    "$shell" -c '. "${CHAINED_ENV}"' "$0" "$@"
}}

# The chained hook runs "$0" again (husky 5 and later do): it means itself, not sealant.
if [ "${{{CHAINED_ENV}-}}" = "$chained" ]; then
    run_chained "$@"
    exit $?
fi
if [ -x "$chained" ]; then
    {CHAINED_ENV}=$chained
    export {CHAINED_ENV}
    run_chained "$@" || exit $?
    unset {CHAINED_ENV}
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

    #[cfg(unix)]
    #[test]
    #[allow(clippy::unwrap_used)]
    fn script_is_valid_sh() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(HOOK);
        fs::write(&path, script("/usr/local/bin/sealant")).unwrap();
        let out = Command::new("sh").arg("-n").arg(&path).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
