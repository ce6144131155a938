//! Blobs read by object id through one `git cat-file --batch` process for the whole run
//! (a process per file was most of the cost of a large `--staged` scan).
//!
//! Reading by id, never by `:path`, is what makes every name safe: `:0:x.yaml` is a
//! revision (stage 0 of `x.yaml`), not the file named `0:x.yaml`.

use std::{
    io::{self, Read, Write},
    path::Path,
    process::{Child, ChildStdin, ChildStdout, Command, Stdio},
};
use zeroize::Zeroizing;

/// Longest header line accepted: `<id> <type> <size>` is under 100 bytes.
const MAX_HEADER: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("object {0} is not in the repository")]
    Missing(String),
    #[error("object {oid} is a {kind}, not a blob")]
    NotBlob { oid: String, kind: String },
    #[error("git cat-file: {0}")]
    Io(#[from] io::Error),
    #[error("git cat-file answered unexpectedly")]
    Protocol,
}

pub struct CatFile {
    child: Child,
    /// `None` once closed, which tells git to exit.
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    /// After a failed read the stream position is unknown: later answers cannot be
    /// trusted to belong to later questions.
    broken: bool,
}

impl CatFile {
    pub fn start(top: &Path) -> io::Result<Self> {
        let mut child = Command::new("git")
            .arg("-C")
            .arg(top)
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::other("no pipes to git cat-file"));
        };
        Ok(Self {
            child,
            stdin: Some(stdin),
            stdout,
            broken: false,
        })
    }

    /// The blob's bytes, in a buffer of exactly its size (no reallocation leaves copies
    /// behind), zeroized on drop.
    pub fn blob(&mut self, oid: &str) -> Result<Zeroizing<Vec<u8>>, BlobError> {
        if self.broken {
            return Err(BlobError::Protocol);
        }
        let result = self.ask(oid);
        if matches!(result, Err(BlobError::Io(_) | BlobError::Protocol)) {
            self.broken = true;
        }
        result
    }

    fn ask(&mut self, oid: &str) -> Result<Zeroizing<Vec<u8>>, BlobError> {
        let stdin = self.stdin.as_mut().ok_or(BlobError::Protocol)?;
        stdin.write_all(format!("{oid}\n").as_bytes())?;
        stdin.flush()?;
        let header = self.header()?;
        let fields: Vec<&str> = header.split(' ').collect();
        let size = match fields.as_slice() {
            [id, "missing"] if *id == oid => return Err(BlobError::Missing(oid.to_owned())),
            [id, "blob", size] if *id == oid => {
                size.parse::<usize>().map_err(|_| BlobError::Protocol)?
            }
            [id, kind, size] if *id == oid => {
                // Skip the object so the stream stays in step, then refuse it.
                let size = size.parse::<u64>().map_err(|_| BlobError::Protocol)?;
                io::copy(&mut (&mut self.stdout).take(size + 1), &mut io::sink())?;
                return Err(BlobError::NotBlob {
                    oid: oid.to_owned(),
                    kind: (*kind).to_owned(),
                });
            }
            _ => return Err(BlobError::Protocol),
        };
        let mut content = Zeroizing::new(vec![0u8; size]);
        self.stdout.read_exact(&mut content)?;
        let mut newline = [0u8; 1];
        self.stdout.read_exact(&mut newline)?;
        if newline != *b"\n" {
            return Err(BlobError::Protocol);
        }
        Ok(content)
    }

    /// One header line, read a byte at a time: unbuffered, so no copy of the content that
    /// follows lingers in a reader's buffer.
    fn header(&mut self) -> Result<String, BlobError> {
        let mut line = Vec::with_capacity(100);
        let mut byte = [0u8; 1];
        loop {
            self.stdout.read_exact(&mut byte)?;
            if byte[0] == b'\n' {
                break;
            }
            if line.len() == MAX_HEADER {
                return Err(BlobError::Protocol);
            }
            line.push(byte[0]);
        }
        String::from_utf8(line).map_err(|_| BlobError::Protocol)
    }
}

impl Drop for CatFile {
    fn drop(&mut self) {
        // End of input makes git exit; wait so no zombie is left behind.
        drop(self.stdin.take());
        if self.broken {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}
