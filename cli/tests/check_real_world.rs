//! The real-world corpus (`tests/check_corpus/real-world/`): shapes found in actual
//! repositories (Alertmanager configs, Helm templates and rendered output, Kustomize
//! secretGenerator, JSON with odd spacing, UTF-16 and BOMs, `v1.List`, anchors and aliases).
//! `leaks/` must yield exactly the findings listed in `expected.txt` (zero false
//! negatives); `clean/` yields the false-positive rate stated in docs/cli.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod check_support;
mod common;

use base64::Engine;
use check_support::{assert_no_values, check_in, errors_in};
use std::path::Path;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/check_corpus/real-world");

/// Files under `clean/` with an error finding: the rate docs/cli.md states.
const STATED_FALSE_POSITIVES: usize = 0;

type Finding = (String, String, Vec<String>);

fn expected() -> Vec<Finding> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("expected.txt")).unwrap();
    let mut out: Vec<Finding> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            let [file, rule, keys] = fields[..] else {
                panic!("expected.txt: bad line {l:?}")
            };
            let mut keys: Vec<String> = keys.split(',').map(str::to_owned).collect();
            keys.sort();
            (file.to_owned(), rule.to_owned(), keys)
        })
        .collect();
    out.sort();
    out
}

fn files_below(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = format!("{prefix}{}", entry.file_name().to_str().unwrap());
        if entry.file_type().unwrap().is_dir() {
            files_below(&entry.path(), &format!("{name}/"), out);
        } else {
            out.push(name);
        }
    }
}

#[test]
fn no_false_negatives_and_the_stated_false_positive_rate() {
    let root = Path::new(ROOT);
    // --strict: no opt-out may hide anything here.
    let got = errors_in(root, &["--strict"]);
    let expected = expected();

    let missed: Vec<&Finding> = expected.iter().filter(|e| !got.contains(e)).collect();
    assert!(
        missed.is_empty(),
        "false negatives: {missed:#?}\ngot: {got:#?}"
    );
    let unexpected: Vec<&Finding> = got
        .iter()
        .filter(|g| g.0.starts_with("leaks/") && !expected.contains(g))
        .collect();
    assert!(
        unexpected.is_empty(),
        "not in expected.txt: {unexpected:#?}"
    );
    assert_eq!(
        got.iter().filter(|g| g.0.starts_with("leaks/")).count(),
        expected.len(),
        "one finding per expected.txt line"
    );

    // Every leak file is marked with what it must yield.
    let mut leak_files = Vec::new();
    files_below(&root.join("leaks"), "leaks/", &mut leak_files);
    for file in &leak_files {
        assert!(
            expected.iter().any(|e| &e.0 == file),
            "{file} has no line in expected.txt"
        );
    }

    let mut clean_files = Vec::new();
    files_below(&root.join("clean"), "clean/", &mut clean_files);
    let mut flagged: Vec<&String> = got
        .iter()
        .filter(|g| g.0.starts_with("clean/"))
        .map(|g| &g.0)
        .collect();
    flagged.dedup();
    println!(
        "real-world corpus: {} findings expected in {} leak files, {} missed; false positives: \
         {} of {} clean files ({:.1} %)",
        expected.len(),
        leak_files.len(),
        missed.len(),
        flagged.len(),
        clean_files.len(),
        100.0 * flagged.len() as f64 / clean_files.len() as f64
    );
    // Exactly the stated figure: a change either way must update docs/cli.md.
    assert_eq!(
        flagged.len(),
        STATED_FALSE_POSITIVES,
        "false positives: {flagged:?}"
    );
    assert!(clean_files.len() >= 10, "the clean part is the denominator");
}

#[test]
fn no_value_of_the_corpus_is_ever_printed() {
    let values: Vec<String> = (80..=96).map(|i| format!("s3cr3t-{i}")).collect();
    let encoded: Vec<String> = values
        .iter()
        .map(|v| base64::engine::general_purpose::STANDARD.encode(v))
        .collect();
    let all: Vec<&str> = values.iter().chain(&encoded).map(String::as_str).collect();
    for args in [&[][..], &["--format", "json"], &["--strict"]] {
        let out = check_in(Path::new(ROOT), args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            common::stderr(&out)
        );
        assert_no_values(&out, &all);
    }
}
