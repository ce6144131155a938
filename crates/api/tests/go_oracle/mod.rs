//! Go's `text/template` as an oracle: builds `main.go` (next to this file) with the local Go
//! toolchain into a fresh temporary directory, runs it once per test as a batch server, and
//! compares its verdicts with ours.

pub mod generate;

use sealant_api::{RenderLimits, SecretBytes, render_template_with_limits};
use sealant_test_support::go_program::{GoImports, GoProgram};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// The hexadecimal numbers of a generated Unicode table, in order.
fn table_numbers(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.starts_with("0x"))
        .map(str::to_owned)
        .collect()
}

/// Regenerate `src/template/unicode_tables.rs` with the local Go; whether it is unchanged.
pub fn unicode_tables_match(oracle: &Oracle) -> bool {
    let dir = oracle.program.dir();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/go_oracle/unicode_tables.go");
    let out = Command::new("go")
        .arg("run")
        .arg(&source)
        .env("GOCACHE", dir.join("gocache"))
        .env("GOPATH", dir.join("gopath"))
        .env("GO111MODULE", "off")
        .env("GOFLAGS", "")
        .current_dir(dir)
        .output()
        .expect("go run the table generator");
    assert!(out.status.success(), "the table generator failed");
    let ours = include_str!("../../src/template/unicode_tables.rs");
    table_numbers(&String::from_utf8_lossy(&out.stdout)) == table_numbers(ours)
}

/// Go's verdict on one case.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Rendered(Vec<u8>),
    Failed,
}

pub struct Oracle {
    program: GoProgram,
}

impl Oracle {
    /// Build the oracle, or `None` (with a message on stderr) when `go` is not installed.
    pub fn build() -> Option<Self> {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/go_oracle/main.go");
        GoProgram::build(&source, GoImports::StandardLibrary).map(|program| Oracle { program })
    }

    /// Go's verdicts on `templates`, each rendered as the template named `name` against
    /// `data`.
    pub fn run(
        &self,
        name: &str,
        templates: &[String],
        data: &[(String, Vec<u8>)],
    ) -> Vec<Verdict> {
        let mut input = Vec::new();
        for t in templates {
            put(&mut input, name.as_bytes());
            put(&mut input, t.as_bytes());
            input.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
            for (k, v) in data {
                put(&mut input, k.as_bytes());
                put(&mut input, v);
            }
        }
        let output = self.program.run(input);
        let mut verdicts = Vec::new();
        let mut rest = &output[..];
        while !rest.is_empty() {
            let status = rest[0];
            let n = u32::from_be_bytes(rest[1..5].try_into().unwrap()) as usize;
            let out = rest[5..5 + n].to_vec();
            rest = &rest[5 + n..];
            verdicts.push(if status == 0 {
                Verdict::Rendered(out)
            } else {
                Verdict::Failed
            });
        }
        assert_eq!(verdicts.len(), templates.len(), "the oracle lost cases");
        verdicts
    }
}

fn put(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.extend_from_slice(&u32::try_from(bytes.len()).unwrap().to_be_bytes());
    buf.extend_from_slice(bytes);
}

/// Our verdict on one case.
pub fn ours(name: &str, template: &str, data: &[(String, Vec<u8>)]) -> Verdict {
    let values: BTreeMap<String, SecretBytes> = data
        .iter()
        .map(|(k, v)| (k.clone(), SecretBytes::copy_from_slice(v)))
        .collect();
    match render_template_with_limits(name, template, &values, &RenderLimits::default()) {
        Ok(out) => Verdict::Rendered(out.as_bytes().to_vec()),
        Err(_) => Verdict::Failed,
    }
}

/// Compare Go's and our verdicts on every template; the differences, described.
pub fn differences(
    oracle: &Oracle,
    name: &str,
    templates: &[String],
    data: &[(String, Vec<u8>)],
) -> Vec<String> {
    let go = oracle.run(name, templates, data);
    let rendered = go
        .iter()
        .filter(|v| matches!(v, Verdict::Rendered(_)))
        .count();
    eprintln!(
        "{} templates: Go rendered {rendered}, refused {}",
        templates.len(),
        templates.len() - rendered
    );
    if std::env::var_os("SHOW_REFUSED").is_some() {
        for (t, _) in templates
            .iter()
            .zip(&go)
            .filter(|(_, v)| **v == Verdict::Failed)
            .take(30)
        {
            eprintln!("refused: {t:?}");
        }
    }
    assert!(
        rendered * 4 >= templates.len(),
        "fewer than a quarter of the templates render: the cases test little but errors"
    );
    templates
        .iter()
        .zip(go)
        .filter_map(|(t, go)| {
            let ours = ours(name, t, data);
            (ours != go).then(|| {
                format!(
                    "template {t:?}\n    go:   {}\n    ours: {}",
                    show(&go),
                    show(&ours)
                )
            })
        })
        .collect()
}

fn show(v: &Verdict) -> String {
    match v {
        Verdict::Rendered(b) => format!("{:?}", String::from_utf8_lossy(b)),
        Verdict::Failed => "error".to_owned(),
    }
}

/// The data every case renders against: Go's map[string]string, with awkward values.
pub fn data() -> Vec<(String, Vec<u8>)> {
    [
        ("user", &b"admin"[..]),
        ("pass", b"s3cr\"t<&>'="),
        ("empty", b""),
        ("num", b"42"),
        ("bin", b"\xff\x00a"),
        ("uni", "\u{e9}\u{200b}\u{f1}\u{65e5}\u{672c}".as_bytes()),
        ("a.b", b"dotted"),
        ("sp", b"  x \n"),
        ("zero", b"0"),
        ("Upper", b"UP"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), v.to_vec()))
    .collect()
}
