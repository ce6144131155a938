//! Progress on stderr: an indicatif bar when stderr is a terminal, plain lines otherwise;
//! a summary line at the end either way.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

pub struct Progress {
    bar: Option<ProgressBar>,
}

/// What happened to the files and values of one run.
#[derive(Debug, Default)]
pub struct Summary {
    pub rewritten: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub values: usize,
}

impl Progress {
    pub fn new(files: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(files as u64);
            if let Ok(style) =
                ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed} {wide_msg}")
            {
                bar.set_style(style);
            }
            bar
        });
        Self { bar }
    }

    /// A report line (failure, dry-run note) that must not be torn by the bar.
    pub fn note(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    pub fn advance(&self, file: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(file.to_owned());
            bar.inc(1);
        }
    }

    pub fn finish(&self, summary: &Summary, dry_run: bool) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        let verb = if dry_run {
            "would be rewritten"
        } else {
            "rewritten"
        };
        eprintln!(
            "reencrypt: {} file(s) {verb}, {} unchanged, {} failed; {} value(s) re-encrypted",
            summary.rewritten, summary.unchanged, summary.failed, summary.values
        );
    }
}
