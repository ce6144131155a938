//! Which editor to run, and running it.

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

/// Run the editor on `file` with the terminal inherited, and wait for it.
pub fn run(file: &Path) -> Result<Result<(), EditorFailure>, CliError> {
    let argv = command_line();
    let Some((program, args)) = argv.split_first() else {
        return Err(CliError::Usage("no editor: set $VISUAL or $EDITOR".into()));
    };
    let _running = EditorRunning::start();
    let status = Command::new(program)
        .args(args)
        .arg(file)
        .status()
        .map_err(|e| {
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
