//! What `sealant check` says (issue 14): every opt-out is counted and listed, `--strict`
//! turns them all off, and names from manifests cannot rewrite the terminal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod check_support;
mod common;

use check_support::{check_in, entries, errors_in, with_severity};
use common::{keypair, path_str, run};
use std::path::Path;

fn put(dir: &Path, name: &str, contents: impl AsRef<[u8]>) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

const ALLOWED: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: dummy\n  namespace: test\n  annotations:\n    sealant.dev/allow-plaintext: \"true\"\nstringData:\n  password: s3cr3t-70\n";

fn plain(name: &str, value: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\nstringData:\n  password: {value}\n"
    )
}

/// A tree whose only plaintext is opted out, in every way there is.
fn opted_out_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    put(d, "app/allowed.yaml", ALLOWED);
    put(
        d,
        ".sealant.yaml",
        "ignore:\n  - \"fixtures/**\"\n  - vendor\n",
    );
    put(d, "fixtures/a.yaml", plain("fixture", "s3cr3t-71"));
    // The glob names the directory only: everything below it is skipped, and listed.
    put(d, "vendor/x/b.yaml", plain("vendored", "s3cr3t-72"));
    put(d, "vendor/x/c.json", "{}");
    put(
        d,
        "gen/kustomization.yaml",
        "generatorOptions:\n  annotations:\n    sealant.dev/allow-plaintext: \"true\"\nsecretGenerator:\n- name: dev\n  literals: [PASSWORD=s3cr3t-73]\n",
    );
    let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\nstringData:\n  password: s3cr3t-74\n";
    let out = run(
        &["seal", "--cert", path_str(&keypair().cert), "-o", "json"],
        Some(secret.as_bytes()),
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let mut sealed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    sealed["metadata"]["annotations"]["sealant.dev/allow-plaintext"] = "true".into();
    sealed["spec"]["template"]["data"] = serde_json::json!({"region": "eu-west-1"});
    put(d, "app/sealed.json", sealed.to_string());
    dir
}

#[test]
fn every_opt_out_is_counted_and_listed() {
    let dir = opted_out_tree();
    let out = check_in(dir.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));
    let notices = with_severity(&out, "notice");
    let mut listed: Vec<(String, String)> = notices
        .iter()
        .map(|n| {
            (
                n["file"].as_str().unwrap().to_owned(),
                n["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    listed.sort();
    let expect = |f: &str, r: &str| (f.to_owned(), r.to_owned());
    assert_eq!(
        listed,
        [
            expect("app/allowed.yaml", "opt-out-annotation"),
            expect("app/sealed.json", "opt-out-annotation"),
            expect("fixtures/a.yaml", "opt-out-ignore"),
            expect("gen/kustomization.yaml", "opt-out-annotation"),
            expect("vendor/x/b.yaml", "opt-out-ignore"),
            expect("vendor/x/c.json", "opt-out-ignore"),
        ]
    );
    assert_eq!(entries(&out).len(), notices.len(), "nothing but notices");
    let allowed = notices
        .iter()
        .find(|n| n["file"] == "app/allowed.yaml")
        .unwrap();
    assert_eq!(allowed["object"], "test/dummy");
    assert_eq!(allowed["line"], 1);
    let ignored = notices
        .iter()
        .find(|n| n["file"] == "vendor/x/b.yaml")
        .unwrap();
    assert!(
        ignored["message"].as_str().unwrap().contains("\"vendor\""),
        "names the glob: {ignored}"
    );

    // Human: one line per opt-out, and the count in the summary.
    let out = check_in(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = common::stdout(&out);
    assert_eq!(stdout.lines().count(), 6, "{stdout}");
    assert!(
        stdout.contains("app/allowed.yaml:1: [opt-out-annotation] test/dummy: "),
        "{stdout}"
    );
    assert!(
        stdout.contains("vendor/x/b.yaml:1: [opt-out-ignore]"),
        "{stdout}"
    );
    let stderr = common::stderr(&out);
    assert!(stderr.contains("6 opt-outs"), "{stderr}");
    check_support::assert_no_values(
        &out,
        &[
            "s3cr3t-70",
            "s3cr3t-71",
            "s3cr3t-72",
            "s3cr3t-73",
            "s3cr3t-74",
        ],
    );
}

#[test]
fn strict_disables_every_opt_out() {
    let dir = opted_out_tree();
    let out = check_in(dir.path(), &["--strict", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    assert!(with_severity(&out, "notice").is_empty());
    let strict = errors_in(dir.path(), &["--strict"]);
    let files: Vec<(&str, &str)> = strict
        .iter()
        .map(|(f, r, _)| (f.as_str(), r.as_str()))
        .collect();
    assert_eq!(
        files,
        [
            ("app/allowed.yaml", "plaintext-secret"),
            ("app/sealed.json", "sealed-template-plaintext"),
            ("fixtures/a.yaml", "plaintext-secret"),
            ("gen/kustomization.yaml", "plaintext-secret"),
            ("vendor/x/b.yaml", "plaintext-secret"),
        ]
    );
    // `ignore: ["**"]` cannot silence a strict run either.
    put(dir.path(), ".sealant.yaml", "ignore: [\"**\"]\n");
    let lax = check_in(dir.path(), &["--format", "json"]);
    assert_eq!(lax.status.code(), Some(0));
    // Every manifest is listed, the config file itself included.
    assert_eq!(with_severity(&lax, "notice").len(), 7);
    let strict = check_in(dir.path(), &["--strict"]);
    assert_eq!(strict.status.code(), Some(1));
}

/// Bytes a terminal acts on: C0 controls other than newline, DEL, C1 controls, and the
/// bidirectional overrides that reorder what is shown.
fn terminal_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| {
            (c.is_control() && *c != '\n')
                || matches!(*c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect()
}

#[test]
fn control_characters_from_manifests_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    // ESC [2K erases the line, CR returns to its start: the finding would erase itself.
    let name = "db\u{1b}[2K\rall clean\u{9b}\u{202e}";
    let key = "pass\u{7}word\u{7f}";
    let doc = serde_json::json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": name, "namespace": "prod"},
        "stringData": {key: "s3cr3t-75"}
    });
    let file = "evil\u{1b}]0;title\u{7}\r.json";
    put(dir.path(), file, doc.to_string());

    let out = check_in(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = common::stdout(&out);
    let stderr = common::stderr(&out);
    assert_eq!(terminal_controls(&stdout), [], "{stdout:?}");
    assert_eq!(terminal_controls(&stderr), [], "{stderr:?}");
    assert!(stdout.contains("db\\x1b[2K\\rall clean"), "{stdout:?}");
    assert!(stdout.contains("\\u{202e}"), "{stdout:?}");
    // File names are shown quoted and escaped (source.rs), in both formats.
    let shown = "\"evil\\x1b]0;title\\x07\\r.json\"";
    assert!(stdout.starts_with(&format!("{shown}:1:")), "{stdout:?}");

    // JSON escapes them by itself; the values round-trip exactly.
    let out = check_in(dir.path(), &["--format", "json"]);
    let raw = common::stdout(&out);
    assert_eq!(terminal_controls(&raw), [], "{raw:?}");
    let all = entries(&out);
    assert_eq!(all[0]["object"], format!("prod/{name}"));
    assert_eq!(all[0]["keys"], serde_json::json!([key]));
    assert_eq!(all[0]["file"], shown);
}

#[test]
fn staged_opt_outs_are_listed_too() {
    let repo = tempfile::tempdir().unwrap();
    let d = repo.path();
    let git = |args: &[&str]| common::git::git_ok(d, args);
    git(&["init", "-q"]);
    put(d, ".sealant.yaml", "ignore: [\"fixtures/**\"]\n");
    put(d, "fixtures/f.yaml", plain("fixture", "s3cr3t-76"));
    put(d, "app/allowed.yaml", ALLOWED);
    git(&["add", "."]);
    let out = check_in(&d.join("app"), &["--staged", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));
    let mut notes: Vec<(String, String)> = with_severity(&out, "notice")
        .iter()
        .map(|n| {
            (
                n["file"].as_str().unwrap().to_owned(),
                n["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    notes.sort();
    assert_eq!(
        notes,
        [
            (
                "app/allowed.yaml".to_owned(),
                "opt-out-annotation".to_owned()
            ),
            ("fixtures/f.yaml".to_owned(), "opt-out-ignore".to_owned()),
        ]
    );
    let strict = check_in(d, &["--staged", "--strict"]);
    assert_eq!(strict.status.code(), Some(1));
    let stdout = common::stdout(&strict);
    assert!(stdout.contains("fixtures/f.yaml:"), "{stdout}");
    assert!(stdout.contains("app/allowed.yaml:"), "{stdout}");
}
