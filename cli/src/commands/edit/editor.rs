//! Which editor to run, and running it.
//!
//! Known editors get arguments that keep plaintext out of their history, undo, swap and
//! backup files (`known.rs`).

mod known;

use super::signals::EditorRunning;
use crate::error::CliError;
use std::{ffi::OsString, path::Path, process::Command};

/// How the editor ended, when it did not succeed.
pub enum EditorFailure {
    /// Exited non-zero: the user's way to abort (vim `:cq`).
    Status(i32),
    /// Killed by a signal (e.g. Ctrl-C reached it).
    Signal,
}

/// `$VISUAL`, else `$EDITOR`, else `vi`, as git and most Unix tools choose.
///
/// The value is split on whitespace so that `code --wait` or `emacs -nw` work. Shell
/// quoting is not interpreted; a value naming an existing file is taken whole, so a path
/// with spaces in it works too.
pub fn command_line() -> Vec<OsString> {
    let chosen = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(std::env::var_os)
        .find(|v| !v.to_string_lossy().trim().is_empty());
    let Some(value) = chosen else {
        return vec![OsString::from("vi")];
    };
    if Path::new(&value).is_file() {
        return vec![value];
    }
    match value.to_str() {
        Some(text) => text.split_whitespace().map(OsString::from).collect(),
        None => vec![value],
    }
}

/// The arguments for `file`: the user's arguments, then (for a known editor) the
/// arguments that keep plaintext in the scratch directory, then the file.
///
/// The user's arguments come first so that an editor reading options in order (emacs
/// `-nw`) sees them where it expects them, and ours come after them so that they win; a
/// user's `--` (end of options) stays in front of the file.
fn arguments(program: &OsString, user_args: &[OsString], file: &Path) -> Vec<OsString> {
    let private = known::recognise(program)
        .map(|editor| known::private_args(editor, file.parent().unwrap_or(file)))
        .unwrap_or_default();
    let at = user_args
        .iter()
        .position(|a| a == "--")
        .unwrap_or(user_args.len());
    let mut args = user_args.to_vec();
    args.splice(at..at, private);
    args.push(file.as_os_str().to_owned());
    args
}

/// Run the editor on `file` with the terminal inherited, and wait for it.
pub fn run(file: &Path) -> Result<Result<(), EditorFailure>, CliError> {
    let argv = command_line();
    let Some((program, user_args)) = argv.split_first() else {
        return Err(CliError::Usage("no editor: set $VISUAL or $EDITOR".into()));
    };
    let args = arguments(program, user_args, file);
    let _running = EditorRunning::start();
    let status = Command::new(program).args(args).status().map_err(|e| {
        CliError::Usage(format!(
            "cannot run editor {}: {e} (set $VISUAL or $EDITOR)",
            program.to_string_lossy()
        ))
    })?;
    if status.success() {
        return Ok(Ok(()));
    }
    Ok(Err(match status.code() {
        Some(code) => EditorFailure::Status(code),
        None => EditorFailure::Signal,
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn args_for(command: &[&str]) -> Vec<String> {
        let argv: Vec<OsString> = command.iter().map(OsString::from).collect();
        arguments(
            &argv[0],
            &argv[1..],
            Path::new("/s/sealant-edit-1-x/secret.yaml"),
        )
        .into_iter()
        .map(|a| a.into_string().unwrap())
        .collect()
    }

    #[test]
    fn vim_gets_private_flags_after_the_users_own() {
        let args = args_for(&["/nonexistent/vim", "-u", "my.vimrc"]);
        assert_eq!(args[..5], ["-u", "my.vimrc", "-n", "-i", "NONE"]);
        assert!(args.contains(&"--cmd".to_owned()) && args.contains(&"-c".to_owned()));
        assert_eq!(args.last().unwrap(), "/s/sealant-edit-1-x/secret.yaml");
    }

    #[test]
    fn a_users_end_of_options_stays_before_the_file_only() {
        let args = args_for(&["/nonexistent/nvim", "--"]);
        assert_eq!(args[..3], ["-n", "-i", "NONE"]);
        assert_eq!(
            args[args.len() - 2..],
            ["--", "/s/sealant-edit-1-x/secret.yaml"]
        );
    }

    #[test]
    fn unknown_editors_are_started_as_given() {
        let args = args_for(&["/nonexistent/code", "--wait"]);
        assert_eq!(args, ["--wait", "/s/sealant-edit-1-x/secret.yaml"]);
    }
}
