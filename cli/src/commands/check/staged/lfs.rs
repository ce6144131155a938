//! Git LFS pointers: the index holds a small text file naming the content by its sha256,
//! and the content lives in `<git common dir>/lfs/objects/<id[0:2]>/<id[2:4]>/<id>` (or under
//! `lfs.storage`), where `git lfs` put it when the file was staged. The commit publishes
//! that content, so that is what is scanned, after checking it is the one the pointer
//! names. git-lfs itself is not needed.

use sha2::{Digest, Sha256};
use std::{
    io::{self, Read},
    path::{Path, PathBuf},
};
use zeroize::Zeroizing;

/// git-lfs reads no pointer from a blob this large, so neither do we.
const MAX_POINTER: usize = 1024;
const VERSIONS: [&str; 2] = [
    "https://git-lfs.github.com/spec/v1",
    // Pointers written by git-lfs's predecessor, which git-lfs still reads.
    "https://hawser.github.com/spec/v1",
];

#[derive(Debug, PartialEq, Eq)]
pub struct Pointer {
    /// 64 lowercase hex digits.
    pub oid: String,
    pub size: u64,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// Ordinary content (including text that merely starts like a pointer, which git-lfs
    /// would check out as it is).
    NotPointer,
    Pointer(Pointer),
    /// A pointer whose object is transformed by LFS extensions: the stored object is not
    /// the content, and we cannot undo the transformation.
    Extensions,
}

/// Recognises a pointer as git-lfs does (`lfs/pointer.go`): surrounding whitespace
/// trimmed, blank lines skipped, then exactly `version <spec>`, `oid sha256:<hex>` and
/// `size <bytes>` in that order, with only `ext-…` lines between them. Anything else is
/// content to git-lfs, so it is content here too.
pub fn parse(blob: &[u8]) -> Parsed {
    if blob.len() >= MAX_POINTER {
        return Parsed::NotPointer;
    }
    let Ok(text) = std::str::from_utf8(blob) else {
        return Parsed::NotPointer;
    };
    let mut lines = text
        .trim()
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.is_empty());
    let mut value_of = |expected: &str, extensions: &mut bool| loop {
        let (key, value) = lines.next()?.split_once(' ')?;
        if key == expected {
            return Some(value);
        }
        if !key.starts_with("ext-") {
            return None;
        }
        *extensions = true;
    };
    let mut extensions = false;
    let version = value_of("version", &mut extensions);
    let oid = value_of("oid", &mut extensions);
    let size = value_of("size", &mut extensions);
    let rest = lines.next();
    let (Some(version), Some(oid), Some(size), None) = (version, oid, size, rest) else {
        return Parsed::NotPointer;
    };
    let oid = oid.strip_prefix("sha256:").filter(|h| is_sha256_hex(h));
    let size = Some(size)
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse().ok());
    match (VERSIONS.contains(&version), oid, size) {
        (true, Some(_), Some(_)) if extensions => Parsed::Extensions,
        (true, Some(oid), Some(size)) => Parsed::Pointer(Pointer {
            oid: oid.to_owned(),
            size,
        }),
        _ => Parsed::NotPointer,
    }
}

fn is_sha256_hex(h: &str) -> bool {
    h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[derive(Debug, thiserror::Error)]
pub enum LfsError {
    #[error(
        "it is a Git LFS pointer to sha256:{oid}, and that object is not in {dir}; fetch it \
         (git lfs fetch) or unstage the file"
    )]
    Absent { oid: String, dir: String },
    #[error("cannot read its Git LFS object {path}: {source}")]
    Unreadable { path: String, source: io::Error },
    #[error(
        "its Git LFS object {path} is not the content the pointer names (size or sha256 \
         differs); it cannot be vouched for"
    )]
    Mismatch { path: String },
    #[error(
        "it is a Git LFS pointer using LFS extensions, whose stored object is not the \
         file's content; sealant cannot read it"
    )]
    Extensions,
}

/// Where the object for `oid` lives under the LFS storage directory.
pub fn object_path(storage: &Path, oid: &str) -> PathBuf {
    storage
        .join("objects")
        .join(&oid[0..2])
        .join(&oid[2..4])
        .join(oid)
}

/// The object's bytes, verified against the pointer before anyone looks at them.
pub fn read_object(storage: &Path, pointer: &Pointer) -> Result<Zeroizing<Vec<u8>>, LfsError> {
    let path = object_path(storage, &pointer.oid);
    let shown = path.display().to_string();
    let unreadable = |source| LfsError::Unreadable {
        path: shown.clone(),
        source,
    };
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(LfsError::Absent {
                oid: pointer.oid.clone(),
                dir: storage.join("objects").display().to_string(),
            });
        }
        Err(e) => return Err(unreadable(e)),
    };
    let mismatch = || LfsError::Mismatch {
        path: shown.clone(),
    };
    let size = usize::try_from(pointer.size).map_err(|_| mismatch())?;
    if file.metadata().map_err(unreadable)?.len() != pointer.size {
        return Err(mismatch());
    }
    // Exactly the stated size, plus one byte to notice a file that grew meanwhile.
    let mut content = Zeroizing::new(Vec::with_capacity(size.saturating_add(1)));
    file.take(pointer.size.saturating_add(1))
        .read_to_end(&mut content)
        .map_err(unreadable)?;
    if content.len() != size || hex::encode(Sha256::digest(&*content)) != pointer.oid {
        return Err(mismatch());
    }
    Ok(content)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const OID: &str = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393";

    fn pointer(extra: &str) -> String {
        format!("version https://git-lfs.github.com/spec/v1\n{extra}oid sha256:{OID}\nsize 12345\n")
    }

    #[test]
    fn pointers_are_recognised() {
        assert_eq!(
            parse(pointer("").as_bytes()),
            Parsed::Pointer(Pointer {
                oid: OID.into(),
                size: 12345
            })
        );
        let legacy = pointer("").replace("git-lfs.github.com", "hawser.github.com");
        assert!(matches!(parse(legacy.as_bytes()), Parsed::Pointer(_)));
        let ext = pointer(&format!("ext-0-foo sha256:{OID}\n"));
        assert_eq!(parse(ext.as_bytes()), Parsed::Extensions);
        // git-lfs trims the blob and skips blank lines.
        let loose = format!("\n{}\r\n\n", pointer("").trim_end().replace('\n', "\r\n\n"));
        assert!(
            matches!(parse(loose.as_bytes()), Parsed::Pointer(_)),
            "{loose:?}"
        );
    }

    #[test]
    fn look_alikes_are_content() {
        let not = |s: &str| assert_eq!(parse(s.as_bytes()), Parsed::NotPointer, "{s:?}");
        not("");
        not(&pointer("").replace("\nsize", "\nbytes"));
        not(&pointer("").replace("v1", "v2"));
        not(&pointer("").replace("sha256:", "sha1:"));
        not(&pointer("").replace(&OID[..2], "XY"));
        not(&pointer("").replace("12345", "-1"));
        not(&format!("{}kind: Secret\n", pointer("")));
        not(&format!("{}{}", pointer(""), "# padding\n".repeat(120)));
        not(&format!("apiVersion: v1\n{}", pointer("")));
    }

    #[test]
    fn objects_are_verified() {
        let dir = tempfile::tempdir().unwrap();
        let content = b"hello lfs\n";
        let oid = hex::encode(Sha256::digest(content));
        let good = Pointer {
            oid: oid.clone(),
            size: content.len() as u64,
        };
        assert!(matches!(
            read_object(dir.path(), &good),
            Err(LfsError::Absent { .. })
        ));
        let path = object_path(dir.path(), &oid);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        assert_eq!(&*read_object(dir.path(), &good).unwrap(), content);
        let longer = Pointer {
            oid: oid.clone(),
            size: 99,
        };
        assert!(matches!(
            read_object(dir.path(), &longer),
            Err(LfsError::Mismatch { .. })
        ));
        std::fs::write(&path, b"hello LFS\n").unwrap();
        assert!(matches!(
            read_object(dir.path(), &good),
            Err(LfsError::Mismatch { .. })
        ));
    }
}
