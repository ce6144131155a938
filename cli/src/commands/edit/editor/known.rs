//! Editors we know how to start without leaving plaintext behind.
//!
//! Vim keeps deleted lines in `~/.viminfo` (registers), the whole text in undo files, and
//! copies in swap and backup files; users often point those at `~/.vim/...`, outside the
//! scratch directory that `scratch.rs` wipes. Emacs writes backups, auto-saves and lock
//! files; nano writes backups when configured to; micro keeps crash backups under
//! `~/.config/micro`. For these we add arguments that turn that off for this one run.
//! Other editors are started as given (see docs/cli.md).
//!
//! An editor is recognised by the file its command resolves to, not only the name typed:
//! `vi` or `editor` may be vim, but also nvi or busybox, which would refuse vim's flags.

use std::{
    ffi::{OsStr, OsString},
    path::{Path, PathBuf},
};

/// Vim's settings that write plaintext outside the edited file.
const VIM_SETTINGS: &str = "set noundofile nobackup nowritebackup viminfo=";
/// Neovim's: the same, but its history file is the ShaDa file.
const NVIM_SETTINGS: &str = "set noundofile nobackup nowritebackup shada=";
/// Emacs: no `file~` backups, no `#file#` auto-saves, no `.#file` lock links.
const EMACS_SETTINGS: &str =
    "(setq make-backup-files nil auto-save-default nil create-lockfiles nil)";

/// Whether a binary named `vi` is nvi on this system.
const NVI_IS_VI: bool = cfg!(any(
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly"
));

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    Vim,
    Neovim,
    Emacs,
    Nano,
    Micro,
}

/// Which known editor `program` (the first word of the editor command) starts, if any.
pub fn recognise(program: &OsStr) -> Option<Known> {
    let resolved = resolve(program).and_then(|p| std::fs::canonicalize(p).ok());
    // A name that resolves to a file decides by that file's name (`vi` → `vim.basic`);
    // otherwise by the name given.
    let name = resolved
        .as_deref()
        .and_then(Path::file_name)
        .or_else(|| Path::new(program).file_name())?;
    by_name(name.to_str()?)
}

/// `vim.basic`, `vim.tiny`, `emacs-gtk`, `emacs-nox`: the family is the part before the
/// first `.` or `-`.
fn by_name(name: &str) -> Option<Known> {
    let family = name.split(['.', '-']).next().unwrap_or(name);
    match family {
        "vim" | "gvim" | "rvim" | "vimx" => Some(Known::Vim),
        // A file really named `vi` is vim on Linux (Fedora's vim-minimal) and macOS, but nvi
        // on the BSDs, which refuses vim's flags.
        "vi" | "view" if !NVI_IS_VI => Some(Known::Vim),
        "nvim" => Some(Known::Neovim),
        "emacs" => Some(Known::Emacs),
        "nano" => Some(Known::Nano),
        "micro" => Some(Known::Micro),
        _ => None,
    }
}

/// The arguments that keep `editor` from writing plaintext outside `scratch_dir`.
pub fn private_args(editor: Known, scratch_dir: &Path) -> Vec<OsString> {
    let vim_like = |settings: &str| {
        // `-n`: no swap file; `-i NONE`: no viminfo/ShaDa. `--cmd` applies the settings
        // before any file or plugin is read; `-c` again after the vimrc, which would
        // otherwise turn them back on.
        ["-n", "-i", "NONE", "--cmd", settings, "-c", settings]
            .map(OsString::from)
            .to_vec()
    };
    match editor {
        Known::Vim => vim_like(VIM_SETTINGS),
        Known::Neovim => vim_like(NVIM_SETTINGS),
        Known::Emacs => ["--eval", EMACS_SETTINGS].map(OsString::from).to_vec(),
        // nano cannot switch a nanorc's `set backup` off from the command line, but a
        // command-line backup directory beats the nanorc's: backups land in the scratch
        // directory and are wiped with it.
        Known::Nano => {
            let mut dir = OsString::from("--backupdir=");
            dir.push(scratch_dir);
            vec![dir]
        }
        Known::Micro => ["-backup", "false"].map(OsString::from).to_vec(),
    }
}

/// The file `program` names: itself when it holds a `/`, else the first executable of
/// that name on `$PATH`, as the shell would find it.
fn resolve(program: &OsStr) -> Option<PathBuf> {
    let path = Path::new(program);
    if path.components().count() > 1 {
        return Some(path.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn families_by_name() {
        for (name, known) in [
            ("vim", Some(Known::Vim)),
            ("vim.basic", Some(Known::Vim)),
            ("vim.tiny", Some(Known::Vim)),
            ("vi", Some(Known::Vim)),
            ("view", Some(Known::Vim)),
            ("nvim", Some(Known::Neovim)),
            ("emacs", Some(Known::Emacs)),
            ("emacs-nox", Some(Known::Emacs)),
            ("nano", Some(Known::Nano)),
            ("micro", Some(Known::Micro)),
            // emacsclient talks to a running server whose settings apply; --eval there
            // would mean "evaluate instead of visiting".
            ("emacsclient", None),
            ("code", None),
            ("busybox", None),
            ("nvi", None),
        ] {
            assert_eq!(by_name(name), known, "{name}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_link_is_recognised_by_its_target() {
        let dir = tempfile::tempdir().unwrap();
        let make = |name: &str| {
            use std::os::unix::fs::PermissionsExt;
            let path = dir.path().join(name);
            std::fs::write(&path, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            path
        };
        let busybox = make("busybox");
        let vim = make("vim.basic");
        let vi_busybox = dir.path().join("vi");
        std::os::unix::fs::symlink(&busybox, &vi_busybox).unwrap();
        let editor_vim = dir.path().join("editor");
        std::os::unix::fs::symlink(&vim, &editor_vim).unwrap();
        assert_eq!(recognise(vi_busybox.as_os_str()), None);
        assert_eq!(recognise(editor_vim.as_os_str()), Some(Known::Vim));
        // Not found anywhere: the name given decides.
        assert_eq!(
            recognise(OsStr::new("/nonexistent/nvim")),
            Some(Known::Neovim)
        );
    }

    #[test]
    fn nano_backups_go_to_the_scratch_directory() {
        let args = private_args(Known::Nano, Path::new("/run/user/1/sealant-edit-1-x"));
        assert_eq!(args, ["--backupdir=/run/user/1/sealant-edit-1-x"]);
    }
}
