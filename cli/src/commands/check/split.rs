//! Cut a stream at its `---` markers, keeping line offsets, so each document parses on its
//! own: one broken or Helm-templated document then no longer hides a plaintext Secret next
//! to it.
//!
//! Whatever the first character: a file that starts with `{` may be JSON, or a Helm
//! template (`{{- $x := ... }}`), or a YAML flow mapping followed by more documents. JSON
//! cannot hold a line starting with `---` (strings have no raw newlines, and no JSON value
//! starts with `--`), so cutting there never splits a JSON document; each piece is then
//! read as JSON only if it parses as JSON.

/// A piece of the file: its text and the 0-based line it starts at.
pub struct Chunk<'a> {
    pub first_line: u64,
    /// 0-based line just past the chunk.
    pub end_line: u64,
    pub text: &'a str,
}

pub fn chunks(text: &str) -> Vec<Chunk<'_>> {
    let total = line_count(text);
    let mut out = Vec::new();
    let (mut start_byte, mut start_line) = (0usize, 0u64);
    let mut offset = 0usize;
    for (line_no, line) in (0u64..).zip(text.split_inclusive('\n')) {
        if line_no > 0 && is_document_marker(line) {
            out.push(Chunk {
                first_line: start_line,
                end_line: line_no,
                text: &text[start_byte..offset],
            });
            start_byte = offset;
            start_line = line_no;
        }
        offset += line.len();
    }
    out.push(Chunk {
        first_line: start_line,
        end_line: total,
        text: &text[start_byte..],
    });
    out
}

/// `---` at column 0, alone or followed by whitespace (`--- # comment`, `--- !tag`). At
/// column 0 it ends any block scalar, so cutting there never splits a value.
fn is_document_marker(line: &str) -> bool {
    line.strip_prefix("---")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

fn line_count(text: &str) -> u64 {
    text.split_inclusive('\n').count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_markers_with_offsets() {
        let text = "a: 1\n---\nb: 2\n--- # c\nc: |\n  ---x\n----\n";
        let parts = chunks(text);
        let starts: Vec<u64> = parts.iter().map(|c| c.first_line).collect();
        assert_eq!(starts, [0, 1, 3]);
        assert_eq!(parts[1].text, "---\nb: 2\n");
        assert_eq!(parts[2].end_line, 7);
        // JSON and templates are cut too.
        assert_eq!(chunks("{\"a\":1}\n---\nb: 2\n").len(), 2);
        assert_eq!(chunks("{{- $x := 1 }}\n---\nb: 2\n").len(), 2);
        assert_eq!(chunks("{\n \"a\": \"---\"\n}\n").len(), 1);
    }
}
