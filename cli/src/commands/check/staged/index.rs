//! What the index holds, from git's machine-readable listings (`-z`: paths verbatim, as
//! bytes, never quoted or re-encoded).

/// What an index entry is, from its mode: only regular files have contents to scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 100644 or 100755.
    File,
    /// 120000: the blob is the link's target path, not a file.
    Symlink,
    /// 160000: the id names a commit of another repository.
    Submodule,
    /// Anything else (git writes no other modes); refused rather than guessed at.
    Other(u32),
}

impl Kind {
    fn from_mode(mode: u32) -> Self {
        match mode & 0o170_000 {
            0o100_000 => Kind::File,
            0o120_000 => Kind::Symlink,
            0o160_000 => Kind::Submodule,
            _ => Kind::Other(mode),
        }
    }
}

/// One staged change, as `git diff --cached --raw -z --no-renames` reports it.
#[derive(Debug, PartialEq, Eq)]
pub enum Change {
    /// Added, modified or type-changed: the index side is what the commit will hold.
    Staged {
        path: Vec<u8>,
        oid: String,
        kind: Kind,
    },
    /// Nothing to scan.
    Deleted { path: Vec<u8> },
    /// A merge conflict: the index holds several versions, none of them final.
    Unmerged { path: Vec<u8> },
}

impl Change {
    pub fn path(&self) -> &[u8] {
        match self {
            Change::Staged { path, .. } | Change::Deleted { path } | Change::Unmerged { path } => {
                path
            }
        }
    }
}

/// Parses `:<old mode> <new mode> <old id> <new id> <status>\0<path>\0` records (copies
/// and renames, should a config turn them on anyway, carry a second path: the new one).
pub fn parse_raw(listing: &[u8]) -> Result<Vec<Change>, String> {
    let mut fields = listing.split(|b| *b == 0);
    let mut out = Vec::new();
    while let Some(header) = fields.next() {
        if header.is_empty() {
            // The listing ends with a NUL, which leaves one empty field.
            continue;
        }
        let header = std::str::from_utf8(header)
            .ok()
            .and_then(|h| h.strip_prefix(':'))
            .ok_or("a record does not start with ':'")?;
        let parts: Vec<&str> = header.split(' ').collect();
        let [_, new_mode, _, new_oid, status] = parts.as_slice() else {
            return Err(format!("unexpected record header {header:?}"));
        };
        let mut path = fields.next().ok_or("a record has no path")?.to_vec();
        let status = status.chars().next().ok_or("a record has no status")?;
        if matches!(status, 'C' | 'R') {
            path = fields
                .next()
                .ok_or("a copy or rename has no new path")?
                .to_vec();
        }
        if path.is_empty() {
            return Err("a record has an empty path".into());
        }
        out.push(match status {
            'D' => Change::Deleted { path },
            'U' => Change::Unmerged { path },
            'A' | 'C' | 'M' | 'R' | 'T' => Change::Staged {
                kind: Kind::from_mode(parse_mode(new_mode)?),
                oid: parse_oid(new_oid)?,
                path,
            },
            other => return Err(format!("unexpected status {other:?}")),
        });
    }
    Ok(out)
}

/// One `git ls-files --stage -z` entry: `<mode> <id> <stage>\t<path>\0`.
#[derive(Debug, PartialEq, Eq)]
pub struct Entry {
    pub kind: Kind,
    pub oid: String,
    /// 0 for a resolved entry; 1 to 3 for the sides of a conflict.
    pub stage: u8,
    pub path: Vec<u8>,
}

pub fn parse_stage(listing: &[u8]) -> Result<Vec<Entry>, String> {
    let mut out = Vec::new();
    for record in listing.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let tab = record
            .iter()
            .position(|b| *b == b'\t')
            .ok_or("an entry has no tab")?;
        let (header, path) = (&record[..tab], &record[tab + 1..]);
        let header = std::str::from_utf8(header).map_err(|_| "an entry header is not text")?;
        let parts: Vec<&str> = header.split(' ').collect();
        let [mode, oid, stage] = parts.as_slice() else {
            return Err(format!("unexpected entry header {header:?}"));
        };
        out.push(Entry {
            kind: Kind::from_mode(parse_mode(mode)?),
            oid: parse_oid(oid)?,
            stage: stage
                .parse()
                .map_err(|_| format!("unexpected stage {stage:?}"))?,
            path: path.to_vec(),
        });
    }
    Ok(out)
}

fn parse_mode(mode: &str) -> Result<u32, String> {
    u32::from_str_radix(mode, 8).map_err(|_| format!("unexpected mode {mode:?}"))
}

/// A full object id (SHA-1 or SHA-256 repositories), never an abbreviation, so reading it
/// cannot be ambiguous.
fn parse_oid(oid: &str) -> Result<String, String> {
    let full = matches!(oid.len(), 40 | 64);
    if full && oid.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(oid.to_owned())
    } else {
        Err(format!("unexpected object id {oid:?}"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const OLD: &str = "0000000000000000000000000000000000000000";
    const NEW: &str = "1111111111111111111111111111111111111111";

    fn raw(records: &[(&str, &str, &[&[u8]])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (modes, status, paths) in records {
            out.extend_from_slice(format!(":{modes} {OLD} {NEW} {status}").as_bytes());
            for p in *paths {
                out.push(0);
                out.extend_from_slice(p);
            }
            out.push(0);
        }
        out
    }

    #[test]
    fn raw_records_keep_paths_as_bytes_and_modes_as_kinds() {
        let listing = raw(&[
            ("120000 100644", "T", &[b"db.yaml"]),
            ("000000 100755", "A", &[b"caf\xe9.yaml"]),
            ("100644 120000", "T", &[b"link.yaml"]),
            ("000000 160000", "A", &[b"sub"]),
            ("100644 000000", "D", &[b"gone.yaml"]),
            ("100644 100644", "R087", &[b"old.yaml", b"0:new.yaml"]),
            ("000000 000000", "U", &[b"conflict.yaml"]),
        ]);
        let changes = parse_raw(&listing).unwrap();
        let staged = |path: &[u8], kind| Change::Staged {
            path: path.to_vec(),
            oid: NEW.into(),
            kind,
        };
        assert_eq!(
            changes,
            [
                staged(b"db.yaml", Kind::File),
                staged(b"caf\xe9.yaml", Kind::File),
                staged(b"link.yaml", Kind::Symlink),
                staged(b"sub", Kind::Submodule),
                Change::Deleted {
                    path: b"gone.yaml".to_vec()
                },
                staged(b"0:new.yaml", Kind::File),
                Change::Unmerged {
                    path: b"conflict.yaml".to_vec()
                },
            ]
        );
    }

    #[test]
    fn malformed_raw_listings_are_errors() {
        assert!(parse_raw(b"").unwrap().is_empty());
        assert!(parse_raw(b"100644 100644 a b M\0x\0").is_err());
        assert!(parse_raw(format!(":100644 100644 {OLD} 1234 M\0x\0").as_bytes()).is_err());
        assert!(parse_raw(format!(":100644 100644 {OLD} {NEW} M\0").as_bytes()).is_err());
        assert!(parse_raw(format!(":100644 100644 {OLD} {NEW} Q\0x\0").as_bytes()).is_err());
    }

    #[test]
    fn stage_entries_split_at_the_first_tab() {
        let listing = format!("100644 {NEW} 0\t.sealant.yaml\0120000 {NEW} 2\ta\tb\0");
        let entries = parse_stage(listing.as_bytes()).unwrap();
        assert_eq!(entries[0].path, b".sealant.yaml");
        assert_eq!((entries[0].kind, entries[0].stage), (Kind::File, 0));
        assert_eq!(entries[1].path, b"a\tb");
        assert_eq!((entries[1].kind, entries[1].stage), (Kind::Symlink, 2));
        assert!(parse_stage(b"100644 x 0\tp\0").is_err());
    }
}
