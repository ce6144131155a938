//! `sealant check` black-box tests over the corpus in `tests/check_corpus/`, plus
//! SealedSecrets sealed at test time with a generated key pair.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod check_support;
mod common;

use check_support::check_in;

use base64::Engine;
use common::{BIN, keypair, kubeseal, other_keypair, path_str, run};
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::{Command, Output},
};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/check_corpus");

/// Every plaintext value in the corpus and in the Secrets sealed below is `s3cr3t-NN`.
fn known_values() -> Vec<String> {
    let plain: Vec<String> = (1..=99).map(|i| format!("s3cr3t-{i:02}")).collect();
    let encoded: Vec<String> = plain
        .iter()
        .map(|v| base64::engine::general_purpose::STANDARD.encode(v))
        .collect();
    plain.into_iter().chain(encoded).collect()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn secret(namespace: &str, name: &str, value: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: {namespace}\nstringData:\n  password: {value}\n"
    )
}

fn seal(input: &str, extra: &[&str]) -> String {
    let cert = path_str(&keypair().cert);
    let mut args = vec!["seal", "--cert", cert];
    args.extend_from_slice(extra);
    let out = run(&args, Some(input.as_bytes()));
    assert!(out.status.success(), "{}", common::stderr(&out));
    common::stdout(&out)
}

/// The corpus plus SealedSecrets sealed now: valid ones, and ones renamed or moved after
/// sealing, which only the sealed-for hint can catch offline.
fn corpus() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(Path::new(CORPUS), dir.path());
    let sealed = dir.path().join("sealed");
    std::fs::create_dir_all(&sealed).unwrap();
    let valid = seal(&secret("prod", "db", "s3cr3t-21"), &[]);
    let put = |name: &str, text: &str| std::fs::write(sealed.join(name), text).unwrap();
    put("valid.yaml", &valid);
    put(
        "valid-ns-wide.yaml",
        &seal(
            &secret("prod", "cache", "s3cr3t-22"),
            &["--scope", "namespace-wide"],
        ),
    );
    put(
        "valid-cluster.json",
        &seal(
            &secret("prod", "shared", "s3cr3t-23"),
            &["--scope", "cluster-wide", "-o", "json"],
        ),
    );
    put(
        "renamed.yaml",
        &valid.replace("name: db\n", "name: db-copy\n"),
    );
    put(
        "moved.yaml",
        &valid.replace("namespace: prod\n", "namespace: staging\n"),
    );
    // Bitnami v0.40 (#1871): a null template value drops a key; it is no finding.
    let mut nulled: serde_json::Value = serde_json::from_str(&seal(
        &secret("prod", "nulled", "s3cr3t-26"),
        &["-o", "json"],
    ))
    .unwrap();
    nulled["spec"]["template"]["data"] = serde_json::json!({"dropped": null});
    put("null-template.json", &nulled.to_string());
    // kubeseal mode writes no hint (byte-compatible output), and check accepts that.
    let cert = path_str(&keypair().cert);
    let out = kubeseal(
        &["--cert", cert, "-o", "yaml"],
        Some(secret("prod", "legacy", "s3cr3t-24").as_bytes()),
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    put("kubeseal.yaml", &common::stdout(&out));
    let overlay = seal(&secret("prod", "prod-db", "s3cr3t-25"), &[]);
    std::fs::write(
        dir.path().join("kustomize/overlays/prod/sealed-db.yaml"),
        overlay,
    )
    .unwrap();
    dir
}

fn findings(out: &Output) -> Vec<serde_json::Value> {
    serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", common::stdout(out)))
}

/// file → sorted rule ids, opt-out notes left out.
fn rules_by_file(findings: &[serde_json::Value]) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in findings.iter().filter(|f| f["severity"] != "notice") {
        map.entry(f["file"].as_str().unwrap().to_owned())
            .or_default()
            .push(f["rule"].as_str().unwrap().to_owned());
    }
    map.values_mut().for_each(|v| v.sort());
    map
}

fn assert_no_values(out: &Output, context: &str) {
    let text = format!("{}{}", common::stdout(out), common::stderr(out));
    for value in known_values() {
        assert!(
            !text.contains(&value),
            "{context}: output leaks a known value: {text}"
        );
    }
}

#[test]
fn corpus_findings_name_file_line_and_rule() {
    let dir = corpus();
    let out = check_in(dir.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    let all = findings(&out);
    let expected: BTreeMap<&str, Vec<&str>> = [
        ("helm/chart/templates/broken.yaml", vec!["unparsable"]),
        ("kustomize/base/db-secret.yaml", vec!["plaintext-secret"]),
        (
            "kustomize/overlays/prod/secret-patch.yaml",
            vec!["plaintext-secret"],
        ),
        ("plaintext/allow-false.yaml", vec!["plaintext-secret"]),
        ("plaintext/array.json", vec!["plaintext-secret"]),
        ("plaintext/data.yaml", vec!["plaintext-secret"]),
        ("plaintext/flow.yaml", vec!["plaintext-secret"]),
        ("plaintext/list.yaml", vec!["plaintext-secret"]),
        ("plaintext/multi.yaml", vec!["plaintext-secret"; 2]),
        ("plaintext/no-api-version.yaml", vec!["plaintext-secret"]),
        ("plaintext/secret-list.yaml", vec!["plaintext-secret"; 2]),
        ("plaintext/single.yaml", vec!["plaintext-secret"]),
        ("plaintext/stream.json", vec!["plaintext-secret"; 2]),
        ("sealed-broken/bad-base64.yaml", vec!["sealed-base64"]),
        ("sealed-broken/bad-template.yaml", vec!["sealed-template"]),
        ("sealed-broken/empty-value.yaml", vec!["sealed-empty-value"]),
        (
            "sealed-broken/hint-garbage.yaml",
            vec!["sealed-for-invalid"],
        ),
        (
            "sealed-broken/missing-namespace.yaml",
            vec!["sealed-missing-target"],
        ),
        ("sealed-broken/mixed-sizes.yaml", vec!["sealed-key-size"]),
        ("sealed-broken/not-a-string.json", vec!["sealed-invalid"]),
        (
            "sealed-broken/scope-mismatch.yaml",
            vec!["sealed-scope-mismatch"],
        ),
        ("sealed-broken/truncated.yaml", vec!["sealed-envelope"]),
        (
            "sealed-broken/wrong-api-version.yaml",
            vec!["sealed-invalid"],
        ),
        ("sealed/moved.yaml", vec!["sealed-for-mismatch"]),
        ("sealed/renamed.yaml", vec!["sealed-for-mismatch"]),
    ]
    .into_iter()
    .collect();
    let got = rules_by_file(&all);
    // real-world/ has its own test and expectations (check_real_world.rs).
    let got: BTreeMap<&str, Vec<&str>> = got
        .iter()
        .filter(|(k, _)| !k.starts_with("real-world/"))
        .map(|(k, v)| (k.as_str(), v.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(got, expected);

    for f in all
        .iter()
        .filter(|f| !f["file"].as_str().unwrap().starts_with("real-world/"))
    {
        let file = f["file"].as_str().unwrap();
        let line = f["line"].as_u64().unwrap();
        let lines = std::fs::read_to_string(dir.path().join(file))
            .unwrap()
            .lines()
            .count() as u64;
        assert!((1..=lines).contains(&line), "{f}");
        assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()), "{f}");
        assert!(f.get("object").is_some() && f["keys"].is_array(), "{f}");
    }
    // Key names are reported, values never (asserted in full below).
    let data = all
        .iter()
        .find(|f| f["file"] == "plaintext/data.yaml")
        .unwrap();
    assert_eq!(data["keys"], serde_json::json!(["token", "user"]));
    assert_eq!(data["object"], "prod/api");
    assert_eq!(data["line"], 2);
    // A List item points at its own lines, not at the List's first line.
    let listed = all
        .iter()
        .find(|f| f["file"] == "plaintext/list.yaml")
        .unwrap();
    assert_eq!(listed["line"], 13);
    // A per-key finding points at the key.
    let b64 = all.iter().find(|f| f["rule"] == "sealed-base64").unwrap();
    let text = std::fs::read_to_string(dir.path().join("sealed-broken/bad-base64.yaml")).unwrap();
    let line = text
        .lines()
        .nth(b64["line"].as_u64().unwrap() as usize - 1)
        .unwrap();
    assert!(line.trim_start().starts_with("broken:"), "{line}");
}

#[test]
fn human_format_is_one_line_per_finding_with_summary_on_stderr() {
    let dir = corpus();
    let out = check_in(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = common::stdout(&out);
    let json = findings(&check_in(dir.path(), &["--format", "json"]));
    assert_eq!(stdout.lines().count(), json.len());
    for line in stdout.lines() {
        // path:line: [rule-id] ns/name: message
        let (path, rest) = line.split_once(':').unwrap();
        assert!(dir.path().join(path).is_file(), "{line}");
        let (number, rest) = rest.split_once(':').unwrap();
        assert!(number.parse::<u64>().unwrap() >= 1, "{line}");
        assert!(rest.starts_with(" ["), "{line}");
    }
    assert!(
        stdout.contains("plaintext/single.yaml:1: [plaintext-secret] prod/db: "),
        "{stdout}"
    );
    let stderr = common::stderr(&out);
    assert!(
        stderr.contains("findings") && stderr.contains("1 warning"),
        "{stderr}"
    );
}

#[test]
fn no_output_ever_contains_a_secret_value() {
    let dir = corpus();
    let cert = path_str(&keypair().cert);
    let other = path_str(&other_keypair().cert);
    for args in [
        vec![],
        vec!["--format", "json"],
        vec!["--cert", cert],
        vec!["--format", "json", "--cert", other],
        vec!["plaintext", "kustomize", "ignored", "optout"],
        vec!["--config", "/dev/null", "--format", "json"],
    ] {
        let out = check_in(dir.path(), &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_no_values(&out, &format!("{args:?}"));
    }
    // Errors name files, never contents.
    let out = check_in(dir.path(), &["--cert", "plaintext/single.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert_no_values(&out, "bad cert");
    assert!(common::stderr(&out).contains("plaintext/single.yaml"));
}

#[test]
fn opt_outs_annotation_and_config_globs() {
    let dir = corpus();
    let files: Vec<String> = rules_by_file(&findings(&check_in(dir.path(), &["--format", "json"])))
        .into_keys()
        .collect();
    for skipped in [
        "optout/annotated.yaml",
        "optout/local.fixture.yaml",
        "ignored/plain.yaml",
        "ignored/deep/plain.json",
    ] {
        assert!(!files.iter().any(|f| f == skipped), "{skipped}: {files:?}");
    }
    // Without the config file the globbed files are reported; the annotation still holds.
    let out = check_in(
        dir.path(),
        &[
            "--config",
            "/dev/null",
            "--format",
            "json",
            "optout",
            "ignored",
        ],
    );
    let files = rules_by_file(&findings(&out));
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "ignored/deep/plain.json",
            "ignored/plain.yaml",
            "optout/local.fixture.yaml"
        ]
    );
    // A config file elsewhere: globs are relative to its own directory.
    let conf_dir = tempfile::tempdir().unwrap();
    let conf = conf_dir.path().join("sealant.yaml");
    std::fs::write(&conf, "ignore: [\"**\"]\n").unwrap();
    let out = check_in(dir.path(), &["--config", path_str(&conf), "plaintext"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "outside the config's dir: not ignored"
    );
    std::fs::write(
        dir.path().join("other.yaml"),
        format!("ignore:\n  - \"plaintext/**\"\n  - \"{}\"\n", "sealed*/**"),
    )
    .unwrap();
    let out = check_in(
        dir.path(),
        &[
            "--config",
            "other.yaml",
            "plaintext",
            "sealed",
            "sealed-broken",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));
}

#[test]
fn known_certificates_check_fingerprints_and_key_sizes() {
    let dir = corpus();
    let cert = path_str(&keypair().cert);
    let other = path_str(&other_keypair().cert);
    let rules = |args: &[&str]| {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        rules_by_file(&findings(&check_in(dir.path(), &all)))
    };
    // The right certificate: valid SealedSecrets are clean, renamed ones still reported.
    let with_right = rules(&["--cert", cert, "sealed"]);
    assert_eq!(
        with_right.keys().map(String::as_str).collect::<Vec<_>>(),
        ["sealed/moved.yaml", "sealed/renamed.yaml"]
    );
    let certs = tempfile::tempdir().unwrap();
    std::fs::copy(cert, certs.path().join("prod.crt")).unwrap();
    std::fs::write(certs.path().join("README"), "not a cert").unwrap();
    let out = check_in(
        dir.path(),
        &["--cert-dir", path_str(certs.path()), "sealed/valid.yaml"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));

    // A certificate the files were not sealed for: every hinted file is reported; the
    // kubeseal-mode file has no hint and passes.
    let with_other = rules(&["--cert", other, "sealed"]);
    for file in ["valid.yaml", "valid-ns-wide.yaml", "valid-cluster.json"] {
        assert_eq!(
            with_other[&format!("sealed/{file}")],
            ["sealed-for-unknown-key"],
            "{file}"
        );
    }
    assert!(!with_other.contains_key("sealed/kubeseal.yaml"));

    // Key size against a 2048-bit certificate: only the 4096-bit value is reported.
    let out = check_in(
        dir.path(),
        &[
            "--format",
            "json",
            "--cert",
            cert,
            "sealed-broken/mixed-sizes.yaml",
        ],
    );
    let all = findings(&out);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["rule"], "sealed-key-size");
    assert_eq!(all[0]["keys"], serde_json::json!(["b"]));
}

#[test]
fn exit_codes_clean_findings_and_errors() {
    let dir = corpus();
    let clean = check_in(
        dir.path(),
        &["clean", "optout/annotated.yaml", "sealed/valid.yaml"],
    );
    assert_eq!(clean.status.code(), Some(0), "{}", common::stdout(&clean));
    // Clean, but the opt-out is listed.
    assert!(
        common::stdout(&clean)
            .starts_with("optout/annotated.yaml:1: [opt-out-annotation] test/dummy: note: "),
        "{}",
        common::stdout(&clean)
    );
    assert_eq!(common::stdout(&clean).lines().count(), 1);
    assert_eq!(check_in(dir.path(), &["plaintext"]).status.code(), Some(1));
    // Warnings alone (an unparsable Helm template) do not fail the run.
    let warn = check_in(dir.path(), &["helm"]);
    assert_eq!(warn.status.code(), Some(0));
    assert!(common::stdout(&warn).contains("[unparsable]"));

    let errors: [(&[&str], &str); 4] = [
        (&["does-not-exist"], "does-not-exist"),
        (&["--cert", "clean/configmap.yaml"], "clean/configmap.yaml"),
        (&["--cert-dir", "clean"], "clean"),
        (&["--config", "missing.yaml"], "missing.yaml"),
    ];
    for (args, named) in errors {
        let out = check_in(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            common::stderr(&out).contains(named),
            "{args:?}: {}",
            common::stderr(&out)
        );
    }
    std::fs::write(dir.path().join("bad.yaml"), "ignores: [x]\n").unwrap();
    let out = check_in(dir.path(), &["--config", "bad.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("bad.yaml"));
}

fn git(dir: &Path, args: &[&str]) {
    common::git::git_ok(dir, args);
}

#[test]
fn staged_scans_the_index_not_the_working_tree() {
    let repo = tempfile::tempdir().unwrap();
    let root: PathBuf = repo.path().to_path_buf();
    git(&root, &["init", "-q"]);
    let plaintext = secret("prod", "db", "s3cr3t-30");
    let sealed = seal(&secret("prod", "db", "s3cr3t-31"), &[]);
    std::fs::create_dir_all(root.join("deploy")).unwrap();

    // Staged: plaintext. Working tree: sealed since. The commit would leak.
    std::fs::write(root.join("deploy/db.yaml"), &plaintext).unwrap();
    git(&root, &["add", "deploy/db.yaml"]);
    std::fs::write(root.join("deploy/db.yaml"), &sealed).unwrap();
    // Untracked plaintext is not part of the commit.
    std::fs::write(root.join("untracked.yaml"), secret("a", "b", "s3cr3t-32")).unwrap();

    let staged = check_in(&root, &["--staged", "--format", "json"]);
    assert_eq!(staged.status.code(), Some(1), "{}", common::stderr(&staged));
    assert_no_values(&staged, "staged");
    let all = findings(&staged);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["file"], "deploy/db.yaml");
    assert_eq!(all[0]["rule"], "plaintext-secret");
    // From a subdirectory the paths stay repository-relative.
    let sub = check_in(&root.join("deploy"), &["--staged"]);
    assert!(common::stdout(&sub).starts_with("deploy/db.yaml:1: [plaintext-secret]"));
    let tree = check_in(&root, &["deploy"]);
    assert_eq!(tree.status.code(), Some(0), "{}", common::stdout(&tree));

    // The reverse: sealed in the index, plaintext only in the working tree.
    git(&root, &["add", "deploy/db.yaml"]);
    std::fs::write(root.join("deploy/db.yaml"), &plaintext).unwrap();
    let staged = check_in(&root, &["--staged"]);
    assert_eq!(staged.status.code(), Some(0), "{}", common::stdout(&staged));

    // The config staged at the repository top applies to staged paths.
    std::fs::write(root.join("fixture.yaml"), secret("t", "f", "s3cr3t-33")).unwrap();
    git(&root, &["add", "fixture.yaml"]);
    assert_eq!(check_in(&root, &["--staged"]).status.code(), Some(1));
    std::fs::write(root.join(".sealant.yaml"), "ignore: [fixture.yaml]\n").unwrap();
    git(&root, &["add", ".sealant.yaml"]);
    assert_eq!(check_in(&root, &["--staged"]).status.code(), Some(0));

    // Outside a repository --staged cannot work: exit 2.
    let outside = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["check", "--staged"])
        .current_dir(outside.path())
        .env("GIT_CEILING_DIRECTORIES", outside.path().parent().unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
}

#[test]
fn seal_and_merge_record_the_hint_and_kubeseal_mode_does_not() {
    let sealed = seal(&secret("prod", "db", "s3cr3t-34"), &[]);
    let docs = common::documents(&sealed);
    let hint = docs[0]["metadata"]["annotations"]["sealant.dev/sealed-for"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(hint.starts_with("fingerprint=") && hint.ends_with("; scope=strict; target=prod/db"));
    assert!(
        docs[0]["spec"]["template"]["metadata"]["annotations"]
            .get("sealant.dev/sealed-for")
            .is_none()
    );

    // merge-into with another key refreshes the fingerprint.
    let dir = tempfile::tempdir().unwrap();
    let target = common::write(dir.path(), "db.yaml", &sealed);
    let out = run(
        &[
            "merge-into",
            path_str(&target),
            "--cert",
            path_str(&other_keypair().cert),
        ],
        Some(secret("prod", "db", "s3cr3t-35").as_bytes()),
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let merged = common::documents(&std::fs::read_to_string(&target).unwrap());
    let new_hint = merged[0]["metadata"]["annotations"]["sealant.dev/sealed-for"]
        .as_str()
        .unwrap();
    assert_ne!(new_hint, hint);
    assert!(new_hint.ends_with("target=prod/db"));

    let out = kubeseal(
        &["--cert", path_str(&keypair().cert)],
        Some(secret("prod", "db", "s3cr3t-36").as_bytes()),
    );
    assert!(!common::stdout(&out).contains("sealant.dev/"));
}
