//! A small, lenient PEM reader and writer.
//!
//! Our own rather than a strict RFC 7468 decoder because key files come from many tools
//! (kubectl, openssl, hand-edited files with CRLF, odd line widths, text around blocks), and
//! because we want the decoded bytes to land directly in a zeroizing buffer.

use crate::KeysError;
use base64::{Engine, engine::general_purpose::STANDARD};
use zeroize::Zeroizing;

/// One `-----BEGIN X-----` … `-----END X-----` block.
pub(crate) struct PemBlock {
    /// 1-based position among the blocks of the input, for messages ("PEM block 2").
    pub index: usize,
    pub label: String,
    /// Legacy OpenSSL encryption (`Proc-Type: 4,ENCRYPTED` header); `der` is then empty.
    pub legacy_encrypted: bool,
    pub der: Zeroizing<Vec<u8>>,
}

impl PemBlock {
    pub fn source_name(&self) -> String {
        format!("PEM block {}", self.index)
    }
}

const BEGIN: &str = "-----BEGIN ";
const END: &str = "-----END ";
const DASHES: &str = "-----";

/// True when some line starts a PEM block. Indented PEM (inside a YAML block scalar) does
/// not count, so a Secret manifest with `stringData` is not mistaken for a PEM file.
pub(crate) fn looks_like_pem(text: &str) -> bool {
    text.lines().any(|line| line.starts_with(BEGIN))
}

/// Every PEM block in `text`, in order. Text outside blocks is ignored.
pub(crate) fn parse_blocks(text: &str) -> Result<Vec<PemBlock>, KeysError> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(label) = armor_label(lines[i], BEGIN) else {
            i += 1;
            continue;
        };
        let index = blocks.len() + 1;
        let start = i + 1;
        let end = (start..lines.len())
            .find(|&j| lines[j].starts_with(END))
            .ok_or_else(|| {
                KeysError::Pem(format!(
                    "PEM block {index} ({}) has no END line",
                    shown_label(label)
                ))
            })?;
        if armor_label(lines[end], END) != Some(label) {
            return Err(KeysError::Pem(format!(
                "PEM block {index} ({}) ends with a different label",
                shown_label(label)
            )));
        }
        let body_lines = &lines[start..end];
        blocks.push(decode_block(index, label, body_lines)?);
        i = end + 1;
    }
    Ok(blocks)
}

/// The label as errors may show it. A label is whatever sits between the dashes of the BEGIN
/// line, so in a file that lost its newlines it is followed by the key itself: only a label
/// shaped like a real one (`RSA PRIVATE KEY`, `CERTIFICATE`) is ever quoted.
fn shown_label(label: &str) -> &str {
    const LONGEST_REAL_LABEL: usize = 40;
    let plausible = label.len() <= LONGEST_REAL_LABEL
        && label
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ');
    if plausible {
        label
    } else {
        "unrecognized label"
    }
}

fn armor_label<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    line.strip_prefix(prefix)?.strip_suffix(DASHES)
}

fn decode_block(index: usize, label: &str, body_lines: &[&str]) -> Result<PemBlock, KeysError> {
    // RFC 1421 headers (`Proc-Type`, `DEK-Info`) only appear in legacy encrypted keys.
    let legacy_encrypted = body_lines
        .iter()
        .any(|l| l.starts_with("Proc-Type:") && l.contains("ENCRYPTED"));
    let mut block = PemBlock {
        index,
        label: label.to_owned(),
        legacy_encrypted,
        der: Zeroizing::new(Vec::new()),
    };
    if legacy_encrypted {
        return Ok(block);
    }
    // Sized up front so the buffer holding base64 of a private key never reallocates
    // (a reallocation would leave an unzeroized copy behind).
    let capacity = body_lines.iter().map(|l| l.len()).sum();
    let mut body = Zeroizing::new(String::with_capacity(capacity));
    for line in body_lines.iter().filter(|l| !l.contains(':')) {
        body.push_str(line);
    }
    let der = STANDARD.decode(body.as_bytes()).map_err(|_| {
        KeysError::Pem(format!(
            "PEM block {index} ({}) is not valid base64",
            shown_label(label)
        ))
    })?;
    block.der = Zeroizing::new(der);
    Ok(block)
}

/// Encode DER as PEM with 64-column lines and LF endings.
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * label.len() + 40);
    out.push_str(BEGIN);
    out.push_str(label);
    out.push_str(DASHES);
    out.push('\n');
    // base64 output is ASCII, so splitting on byte offsets is safe.
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(END);
    out.push_str(label);
    out.push_str(DASHES);
    out.push('\n');
    out
}

// TEST-ONLY: the PEM blocks in these tests are fake bodies or the repository's TEST-ONLY
// keys (keys/tests/data); none is real key material.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_surrounding_text() {
        let der: Vec<u8> = (0u8..200).collect();
        let pem = encode("CERTIFICATE", &der);
        assert!(pem.lines().all(|l| l.len() <= 64));
        let text = format!(
            "subject=CN = x\r\n{}\r\ntrailing\n{}",
            pem.replace('\n', "\r\n"),
            pem
        );
        let blocks = parse_blocks(&text).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[1].index, 2);
        assert_eq!(blocks[0].label, "CERTIFICATE");
        assert_eq!(blocks[0].der.as_slice(), der.as_slice());
    }

    #[test]
    fn malformed_blocks_are_errors() {
        assert!(parse_blocks("-----BEGIN X-----\nAAAA\n").is_err());
        assert!(parse_blocks("-----BEGIN X-----\nAAAA\n-----END Y-----\n").is_err());
        assert!(parse_blocks("-----BEGIN X-----\n!!!!\n-----END X-----\n").is_err());
        assert!(parse_blocks("no pem here").unwrap().is_empty());
    }

    #[test]
    fn indented_pem_is_not_a_pem_file() {
        let block = crate::test_data::pem_block("RSA PRIVATE KEY", "AAAA");
        assert!(!looks_like_pem(&format!(
            "stringData:\n  tls.key: |\n    {}",
            block.replace('\n', "\n    ")
        )));
        assert!(looks_like_pem("# comment\n-----BEGIN CERTIFICATE-----\n"));
    }
}
