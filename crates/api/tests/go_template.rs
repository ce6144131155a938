//! Differential test: our `text/template` against Go's own (Go 1.19's standard library,
//! built from `tests/go_oracle/main.go`). Identical bytes where Go renders, failure exactly
//! where Go fails: over a hand-written corpus, and over generated templates.
//!
//! Skips (saying so on stderr) only when `go` is not installed; CI installs `golang-go`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod go_oracle;

use go_oracle::{Oracle, data, differences};

/// The corpus: cases separated by lines `#---`; a case is the text between, without the
/// newline before the separator.
fn corpus() -> Vec<String> {
    let text = include_str!("go_template_corpus.txt");
    text.split("\n#---\n")
        .map(str::to_owned)
        .filter(|c| !c.is_empty())
        .collect()
}

fn report(diffs: &[String], total: usize) {
    sealant_test_support::go_program::assert_no_differences(diffs, total, "templates");
}

#[test]
fn corpus_matches_go() {
    let Some(oracle) = Oracle::build() else {
        return;
    };
    let cases = corpus();
    assert!(cases.len() >= 300, "the corpus shrank to {}", cases.len());
    report(&differences(&oracle, "k", &cases, &data()), cases.len());
}

#[test]
fn unicode_tables_are_gos() {
    let Some(oracle) = Oracle::build() else {
        return;
    };
    assert!(
        go_oracle::unicode_tables_match(&oracle),
        "src/template/unicode_tables.rs differs from the local Go's tables: regenerate it with \
         `go run crates/api/tests/go_oracle/unicode_tables.go`"
    );
}

#[test]
fn generated_templates_match_go() {
    let Some(oracle) = Oracle::build() else {
        return;
    };
    let cases = go_oracle::generate::templates(10_000);
    report(&differences(&oracle, "k", &cases, &data()), cases.len());
}
