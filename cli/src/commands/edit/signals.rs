//! Signals during `sealant edit`: wipe the plaintext scratch directory, then exit 130.
//!
//! SIGTERM and SIGHUP (terminal closed) end the edit at once. SIGINT is different while the
//! editor runs: Ctrl-C reaches the whole foreground process group, and editors use it
//! themselves (vim cancels a pending command with it), so, as git does, we leave it to the
//! editor; if the editor dies of it, `run` sees that in the exit status and aborts. Outside
//! the editor, SIGINT ends the edit like SIGTERM.
//!
//! The editor is not killed: an editor still holding the terminal would be left in raw mode,
//! and the file it shows is already wiped and its directory gone, so it cannot save
//! plaintext back.

use super::scratch;
use crate::error::{CliError, EXIT_INTERRUPTED};
use std::{
    path::Path,
    sync::atomic::{AtomicBool, Ordering},
};

/// True while the editor process runs (SIGINT belongs to it then).
static EDITOR_RUNNING: AtomicBool = AtomicBool::new(false);

/// While alive, the signals above wipe the scratch directory and exit 130.
pub struct SignalGuard {
    #[cfg(unix)]
    handle: signal_hook::iterator::Handle,
}

impl SignalGuard {
    #[cfg(unix)]
    pub fn install(file: &Path) -> Result<Self, CliError> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
            .map_err(|e| CliError::Internal(format!("cannot install signal handlers: {e}")))?;
        let handle = signals.handle();
        let file = file.to_path_buf();
        std::thread::spawn(move || {
            for signal in signals.forever() {
                if signal == SIGINT && EDITOR_RUNNING.load(Ordering::SeqCst) {
                    continue;
                }
                // Keep the slot locked until exit, so the main thread cannot commit now.
                let (_slot, wiped) = scratch::wipe_registered();
                if wiped {
                    eprintln!("error: {}", CliError::Interrupted { file: file.clone() });
                } else {
                    // Before the edit buffer existed, or after the rewrite finished.
                    eprintln!("error: interrupted");
                }
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
        });
        Ok(Self { handle })
    }

    #[cfg(not(unix))]
    pub fn install(_file: &Path) -> Result<Self, CliError> {
        Ok(Self {})
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        #[cfg(unix)]
        self.handle.close();
    }
}

/// Marks the editor as running for as long as it lives.
pub struct EditorRunning;

impl EditorRunning {
    pub fn start() -> Self {
        EDITOR_RUNNING.store(true, Ordering::SeqCst);
        Self
    }
}

impl Drop for EditorRunning {
    fn drop(&mut self) {
        EDITOR_RUNNING.store(false, Ordering::SeqCst);
    }
}
