//! Why sealant did not replace a file: carried by `CliError::Refused`, so this file imports
//! nothing of the crate (the error type depends on it, not the other way round).

use std::path::PathBuf;

/// Why sealant did not replace a file. Names paths, owners and modes; never content.
#[derive(Debug)]
pub enum Refusal {
    HardLinked {
        links: u64,
    },
    ReadOnly {
        mode: u32,
    },
    Owner {
        uid: u32,
        gid: u32,
        source: std::io::Error,
    },
    DanglingLink {
        target: PathBuf,
    },
    NotAFile,
    Changed {
        kept: Option<PathBuf>,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::HardLinked { links } => write!(
                f,
                "it has {links} hard links, and replacing it would split them (the other names \
                 would keep the old content); make it a file of its own (cp it to a new name, \
                 then mv that back) and run again"
            ),
            Refusal::ReadOnly { mode } => write!(
                f,
                "it is read-only (mode {mode:04o}); make it writable (chmod u+w) if it should \
                 change, and run again"
            ),
            Refusal::Owner { uid, gid, source } => write!(
                f,
                "it belongs to {uid}:{gid}, and the replacement cannot be given that owner \
                 ({source}); run as its owner"
            ),
            Refusal::DanglingLink { target } => write!(
                f,
                "it is a symlink to {}, which does not exist",
                target.display()
            ),
            Refusal::NotAFile => write!(f, "it is not a regular file"),
            Refusal::Changed { kept } => {
                write!(
                    f,
                    "it changed on disk after sealant read it (another program wrote it \
                     meanwhile), so it was left as it is"
                )?;
                match kept {
                    Some(kept) => write!(
                        f,
                        "; the result (sealed values only) was saved to {}: compare it with \
                         the file, or run again",
                        kept.display()
                    ),
                    None => write!(f, "; run again"),
                }
            }
        }
    }
}
