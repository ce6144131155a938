//! Building the Go programs the differential tests compare against: Go's own
//! `text/template`, alone or with Debian's sprig (GOPATH source, so no module download).
//!
//! Each build gets a directory of its own (tests run in parallel, and one program must never
//! overwrite another's binary), removed when the [`GoProgram`] drops. Without Go, or without
//! sprig when it is needed, [`GoProgram::build`] says why on stderr and returns `None`: the
//! caller's test then skips, loudly.

// Test-only code: a build that cannot even start is a broken test machine.
#![allow(clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Where Debian's `golang-github-masterminds-sprig-dev` puts sprig.
const DEBIAN_GOPATH: &str = "/usr/share/gocode";
const SPRIG_SOURCE: &str = "/usr/share/gocode/src/github.com/Masterminds/sprig";

/// What the program imports besides Go's standard library.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum GoImports {
    StandardLibrary,
    /// `github.com/Masterminds/sprig`, from Debian's GOPATH.
    Sprig,
}

/// A Go program built into a temporary directory.
pub struct GoProgram {
    dir: PathBuf,
    binary: PathBuf,
}

impl GoProgram {
    /// Build `main_go` (a single-file `package main`), or `None` with the reason on stderr.
    ///
    /// # Panics
    /// If Go is present but the build fails: the program or the machine is broken.
    pub fn build(main_go: &Path, imports: GoImports) -> Option<Self> {
        if Command::new("go").arg("version").output().is_err() {
            eprintln!("SKIPPED: no `go` on PATH (Debian: apt-get install golang-go)");
            return None;
        }
        if imports == GoImports::Sprig && !Path::new(SPRIG_SOURCE).exists() {
            eprintln!(
                "SKIPPED: Debian's sprig is not installed at {SPRIG_SOURCE} \
                 (apt-get install golang-github-masterminds-sprig-dev)"
            );
            return None;
        }
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sealant-go-program-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory for the Go build");
        let gopath = match imports {
            GoImports::Sprig => PathBuf::from(DEBIAN_GOPATH),
            GoImports::StandardLibrary => dir.join("gopath"),
        };
        let program = GoProgram {
            binary: dir.join("program"),
            dir,
        };
        let status = Command::new("go")
            .args(["build", "-o"])
            .arg(&program.binary)
            .arg(main_go)
            .env("GO111MODULE", "off")
            .env("GOPATH", gopath)
            .env("GOCACHE", program.dir.join("gocache"))
            .env("GOFLAGS", "")
            .current_dir(&program.dir)
            .status()
            .expect("run go build");
        assert!(status.success(), "go build of {} failed", main_go.display());
        Some(program)
    }

    /// Run the program once as a batch server: `input` on its stdin (written from another
    /// thread, so a large batch cannot deadlock on full pipes), its stdout back. `TZ=UTC`, as
    /// the controller's container has.
    ///
    /// # Panics
    /// If the program cannot start or exits unsuccessfully.
    pub fn run(&self, input: Vec<u8>) -> Vec<u8> {
        let mut child = Command::new(&self.binary)
            .env("TZ", "UTC")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the Go program");
        let mut stdin = child.stdin.take().expect("the Go program's stdin");
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let out = child.wait_with_output().expect("the Go program's output");
        writer
            .join()
            .expect("the writer thread")
            .expect("feed the Go program");
        assert!(out.status.success(), "the Go program failed");
        out.stdout
    }

    /// The Go program's verdicts in the line protocol of `tests/sprig_oracle/main.go`: one
    /// hex-encoded template per line in, `OK <hex>` or `ERR` per line out. `None` where Go
    /// failed to parse or execute.
    pub fn render_hex_lines(&self, templates: &[String]) -> Vec<Option<Vec<u8>>> {
        let mut input = String::new();
        for t in templates {
            for b in t.as_bytes() {
                input.push_str(&format!("{b:02x}"));
            }
            input.push('\n');
        }
        let out = String::from_utf8(self.run(input.into_bytes())).expect("the oracle prints ASCII");
        let verdicts: Vec<Option<Vec<u8>>> = out
            .lines()
            .map(|l| match l {
                "ERR" => None,
                "OK" => Some(Vec::new()),
                _ => Some(unhex(l.strip_prefix("OK ").expect("OK or ERR"))),
            })
            .collect();
        assert_eq!(verdicts.len(), templates.len(), "the oracle lost cases");
        verdicts
    }

    /// The program's own directory (for other Go commands' caches).
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for GoProgram {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn unhex(text: &str) -> Vec<u8> {
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digits = std::str::from_utf8(pair).expect("ASCII hex");
            u8::from_str_radix(digits, 16).expect("hex digits")
        })
        .collect()
}

/// Fail listing the first 40 of `differences` (of `total` `what`) from Go; pass when there
/// are none.
pub fn assert_no_differences(differences: &[String], total: usize, what: &str) {
    assert!(
        differences.is_empty(),
        "{} of {total} {what} differ from Go:\n{}",
        differences.len(),
        differences
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
