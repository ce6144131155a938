//! Paths as `check` compares them (resolved lexically) and shows them (escaped, so a file
//! name cannot forge a line of the report). A leaf: every part of `check` uses it.

use std::path::{Component, Path, PathBuf};

/// `base.join(path)` with `.` and `..` resolved lexically (no file system access, so paths
/// that do not exist yet, like staged renames, still compare).
pub fn absolute(base: &Path, path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in base.join(path).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// How a walked path is shown: as the user spelled it, without a leading `./`, escaped.
pub fn display(path: &Path) -> String {
    match path.strip_prefix(".") {
        Ok(rest) if !rest.as_os_str().is_empty() => shown_path(rest),
        _ => shown_path(path),
    }
}

/// A path as [`shown_bytes`] shows it.
pub fn shown_path(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        shown_bytes(path.as_os_str().as_bytes())
    }
    #[cfg(not(unix))]
    {
        shown_bytes(path.to_string_lossy().as_bytes())
    }
}

/// How a file name (any bytes: git and Unix names need not be UTF-8) is shown in reports
/// and errors: as it is when it is printable UTF-8; otherwise in double quotes with `\"`,
/// `\\`, `\n`, `\t`, `\r`, `\xNN` (bytes that are not UTF-8, ASCII controls) and `\u{N}`
/// (other controls, bidirectional overrides) escapes, much as git quotes names. So a name
/// can neither erase nor fake a line of the report on a terminal, nor be confused with
/// another name.
pub fn shown_bytes(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len() + 2);
    let mut quoted = false;
    for chunk in raw.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
                c if c.is_control() || is_bidi_control(c) => {
                    out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
                }
                c => {
                    out.push(c);
                    continue;
                }
            }
            quoted = true;
        }
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
            quoted = true;
        }
    }
    if quoted { format!("\"{out}\"") } else { out }
}

/// Characters that reorder the text around them on a terminal or in an editor.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_names_are_shown_as_they_are() {
        assert_eq!(shown_bytes(b"deploy/db.yaml"), "deploy/db.yaml");
        assert_eq!(
            shown_bytes("d\u{e9}j\u{e0} vu.yaml".as_bytes()),
            "d\u{e9}j\u{e0} vu.yaml"
        );
        assert_eq!(shown_bytes(b"0:x.yaml"), "0:x.yaml");
    }

    #[test]
    fn other_names_are_quoted_and_escaped() {
        assert_eq!(shown_bytes(b"caf\xe9.yaml"), r#""caf\xe9.yaml""#);
        assert_eq!(shown_bytes(b"a\x1b[2K\r\n.yaml"), r#""a\x1b[2K\r\n.yaml""#);
        assert_eq!(shown_bytes(b"q\"b\\.yaml"), r#""q\"b\\.yaml""#);
        assert_eq!(
            shown_bytes("x\u{202e}lmay.exe".as_bytes()),
            r#""x\u{202e}lmay.exe""#
        );
        assert_eq!(
            shown_bytes("c1\u{85}.yaml".as_bytes()),
            r#""c1\u{85}.yaml""#
        );
        assert_eq!(shown_bytes(b"del\x7f"), r#""del\x7f""#);
    }

    #[cfg(unix)]
    #[test]
    fn walked_paths_lose_their_leading_dot_slash_and_are_escaped() {
        use std::os::unix::ffi::OsStrExt;
        assert_eq!(display(Path::new("./a/b.yaml")), "a/b.yaml");
        let odd = Path::new(std::ffi::OsStr::from_bytes(b"./caf\xe9.yaml"));
        assert_eq!(display(odd), r#""caf\xe9.yaml""#);
        assert_eq!(display(Path::new(".")), ".");
        assert_eq!(display(Path::new(".hidden.yaml")), ".hidden.yaml");
    }
}
