//! Every flag of Bitnami's kubeseal v0.40 (tests/data/kubeseal-v0.40-flags.tsv, derived from
//! its main.go, client-go's kubectl flags and klog's) given to the real binary under the name
//! `kubeseal`: none is refused, and each does what the row expects. Then the flags and
//! `SEALED_SECRETS_*` variables whose meaning can be observed offline.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use std::path::Path;

const FLAGS: &str = include_str!("data/kubeseal-v0.40-flags.tsv");

struct Row {
    origin: String,
    flag: String,
    args: String,
    expect: String,
}

fn rows() -> Vec<Row> {
    FLAGS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 4, "four tab-separated columns: {l:?}");
            Row {
                origin: cols[0].to_owned(),
                flag: cols[1].to_owned(),
                args: cols[2].to_owned(),
                expect: cols[3].to_owned(),
            }
        })
        .collect()
}

/// What clap says when it refuses a command line; none may appear for a kubeseal flag.
const PARSER_REFUSALS: [&str; 6] = [
    "unexpected argument",
    "invalid value",
    "unexpected value",
    "a value is required",
    "cannot be used multiple times",
    "unrecognized",
];

/// No kubeconfig, not in a cluster: a row that needs the cluster exits 3.
fn offline_env(home: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("HOME", path_str(home).to_owned()),
        ("XDG_CACHE_HOME", path_str(home).to_owned()),
        ("KUBERNETES_SERVICE_HOST", String::new()),
    ]
}

fn kubeseal_in(
    home: &Path,
    args: &[&str],
    stdin: &[u8],
    extra_env: &[(&str, &str)],
) -> std::process::Output {
    let env = offline_env(home);
    let mut all: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    all.extend_from_slice(extra_env);
    kubeseal_env(args, Some(stdin), &all)
}

/// A SealedSecret of SECRET_YAML sealed with the test certificate, as JSON.
fn sealed_json(home: &Path) -> String {
    let out = kubeseal_in(
        home,
        &["--cert", path_str(&keypair().cert)],
        SECRET_YAML.as_bytes(),
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn every_bitnami_kubeseal_flag_is_accepted_with_its_meaning() {
    let rows = rows();
    // The data names each origin's flags; an empty origin would mean a broken file.
    for origin in ["kubeseal", "clientcmd", "klog"] {
        assert!(rows.iter().any(|r| r.origin == origin), "{origin} rows");
    }
    for row in &rows {
        let dir = tempfile::tempdir().unwrap();
        let sealed = write(dir.path(), "sealed.json", &sealed_json(dir.path()));
        let secret = write(dir.path(), "secret.yaml", SECRET_YAML);
        let value = write(dir.path(), "value", "raw-value");
        let filled = row
            .args
            .replace("{cert}", path_str(&keypair().cert))
            .replace("{key}", path_str(&keypair().key))
            .replace("{secret}", path_str(&secret))
            .replace("{sealed}", path_str(&sealed))
            .replace("{value}", path_str(&value))
            .replace("{dir}", path_str(dir.path()));
        let mut args = vec!["--cert", path_str(&keypair().cert)];
        args.extend(filled.split(' '));
        let out = kubeseal_in(dir.path(), &args, SECRET_YAML.as_bytes(), &[]);
        let err = stderr(&out);
        let what = format!(
            "{} --{} ({}): kubeseal {}",
            row.origin,
            row.flag,
            row.expect,
            args.join(" ")
        );
        for refusal in PARSER_REFUSALS {
            assert!(!err.contains(refusal), "{what}: refused: {err}");
        }
        match row.expect.as_str() {
            "seal" => {
                assert!(out.status.success(), "{what}: {err}");
                let docs = documents(&stdout(&out));
                assert_eq!(docs[0]["kind"], "SealedSecret", "{what}");
                assert!(!stdout(&out).contains(PASSWORD), "{what}");
            }
            "ok" => assert!(out.status.success(), "{what}: {err}"),
            "cluster" => assert_eq!(out.status.code(), Some(3), "{what}: {err}"),
            other => panic!("unknown expectation {other:?} in the data file"),
        }
    }
}

/// The SealedSecret kubeseal mode prints for `args` (must succeed).
fn sealed_doc(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> serde_json::Value {
    let home = tempfile::tempdir().unwrap();
    let mut all = vec!["--cert", path_str(&keypair().cert)];
    all.extend_from_slice(args);
    let out = kubeseal_in(home.path(), &all, stdin.as_bytes(), env);
    assert!(out.status.success(), "{args:?} {env:?}: {}", stderr(&out));
    documents(&stdout(&out)).remove(0)
}

const NAMESPACELESS: &str =
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  k: v\n";
const NAMESPACE_WIDE: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\n  annotations:\n    sealedsecrets.bitnami.com/namespace-wide: \"true\"\nstringData:\n  k: v\n";
const SCOPE_NAMESPACE_WIDE: &str = "sealedsecrets.bitnami.com/namespace-wide";
const SCOPE_CLUSTER_WIDE: &str = "sealedsecrets.bitnami.com/cluster-wide";

#[test]
fn kubectl_namespace_prefixes_and_go_booleans() {
    for spelling in ["ns/team", "namespace/team", "namespaces/team", "team"] {
        let doc = sealed_doc(&["-n", spelling], NAMESPACELESS, &[]);
        assert_eq!(doc["metadata"]["namespace"], "team", "-n {spelling}");
    }
    // --allow-empty-data=1: strconv.ParseBool's spelling of true.
    let empty = "apiVersion: v1\nkind: Secret\nmetadata: {name: e, namespace: prod}\n";
    let doc = sealed_doc(&["--allow-empty-data=1"], empty, &[]);
    assert_eq!(doc["metadata"]["name"], "e");
}

#[test]
fn scope_strict_is_kubeseals_default_and_keeps_the_annotation() {
    // kubeseal: --scope strict equals "not given"; the Secret's annotation decides.
    let doc = sealed_doc(&["--scope", "strict"], NAMESPACE_WIDE, &[]);
    assert_eq!(doc["metadata"]["annotations"][SCOPE_NAMESPACE_WIDE], "true");
    let doc = sealed_doc(&["--scope", "cluster-wide"], NAMESPACE_WIDE, &[]);
    assert_eq!(doc["metadata"]["annotations"][SCOPE_CLUSTER_WIDE], "true");
}

#[test]
fn a_repeated_flag_takes_the_last_value_as_pflag_does() {
    let other = path_str(&other_keypair().cert);
    let home = tempfile::tempdir().unwrap();
    let out = kubeseal_in(
        home.path(),
        &[
            "--cert",
            other,
            "--cert",
            path_str(&keypair().cert),
            "-o",
            "json",
            "-o",
            "yaml",
        ],
        SECRET_YAML.as_bytes(),
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("---\n"), "the last -o (yaml): {text}");
    // Sealed for the last --cert: the test key opens it.
    let file = write(home.path(), "s.yaml", &text);
    let opened = unseal_with(&keypair().key, &file);
    assert!(opened.status.success(), "{}", stderr(&opened));
}

#[test]
fn sealed_secrets_variables_act_like_their_flags() {
    // Scope from the environment; the command line wins over it.
    let doc = sealed_doc(
        &[],
        SECRET_YAML,
        &[("SEALED_SECRETS_SCOPE", "cluster-wide")],
    );
    assert_eq!(doc["metadata"]["annotations"][SCOPE_CLUSTER_WIDE], "true");
    let doc = sealed_doc(
        &["--scope", "namespace-wide"],
        SECRET_YAML,
        &[("SEALED_SECRETS_SCOPE", "cluster-wide")],
    );
    assert_eq!(doc["metadata"]["annotations"][SCOPE_NAMESPACE_WIDE], "true");
    // kubectl's flags too: the namespace, with kubectl's prefix rule.
    let doc = sealed_doc(
        &[],
        NAMESPACELESS,
        &[("SEALED_SECRETS_NAMESPACE", "ns/team")],
    );
    assert_eq!(doc["metadata"]["namespace"], "team");
    // A value the flag cannot parse is ignored, as pflagenv ignores it.
    let doc = sealed_doc(
        &[],
        SECRET_YAML,
        &[("SEALED_SECRETS_ALLOW_EMPTY_DATA", "maybe")],
    );
    assert_eq!(doc["kind"], "SealedSecret");
    let home = tempfile::tempdir().unwrap();
    let empty = "apiVersion: v1\nkind: Secret\nmetadata: {name: e, namespace: prod}\n";
    let out = kubeseal_in(
        home.path(),
        &["--cert", path_str(&keypair().cert)],
        empty.as_bytes(),
        &[("SEALED_SECRETS_ALLOW_EMPTY_DATA", "maybe")],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "empty data still refused: {}",
        stderr(&out)
    );
    let doc = sealed_doc(&[], empty, &[("SEALED_SECRETS_ALLOW_EMPTY_DATA", "T")]);
    assert_eq!(doc["metadata"]["name"], "e");
    // The output file, whose .yaml extension switches the format.
    let target = home.path().join("out.yaml");
    let out = kubeseal_in(
        home.path(),
        &["--cert", path_str(&keypair().cert)],
        SECRET_YAML.as_bytes(),
        &[("SEALED_SECRETS_SEALED_SECRET_FILE", path_str(&target))],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .starts_with("---\n")
    );
    // List flags: the command line adds to the variable's values (pflag's StringSlice).
    let value = write(home.path(), "v", "x");
    let out = kubeseal_in(
        home.path(),
        &[
            "--cert",
            path_str(&keypair().cert),
            "--raw",
            "--name",
            "n",
            "-n",
            "ns",
            "--from-file",
            path_str(&value),
        ],
        b"",
        &[("SEALED_SECRETS_FROM_FILE", path_str(&value))],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("must provide only one --from-file"),
        "{}",
        stderr(&out)
    );
    // klog's flags are not read from the environment (kubeseal registers them later).
    let doc = sealed_doc(&[], SECRET_YAML, &[("SEALED_SECRETS_V", "not-a-number")]);
    assert_eq!(doc["kind"], "SealedSecret");
}

#[test]
fn rotate_is_announced_as_deprecated_on_stderr_only() {
    let home = tempfile::tempdir().unwrap();
    let out = kubeseal_in(
        home.path(),
        &["--cert", path_str(&keypair().cert), "--rotate=false"],
        SECRET_YAML.as_bytes(),
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Flag --rotate has been deprecated, please use --re-encrypt instead"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).starts_with("{\n"), "stdout is the JSON only");
}

#[test]
fn a_proxy_is_refused_rather_than_bypassed() {
    let home = tempfile::tempdir().unwrap();
    let kubeconfig = write(
        home.path(),
        "kubeconfig",
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'http://127.0.0.1:1'}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n",
    );
    let out = kubeseal_in(
        home.path(),
        &[
            "--fetch-cert",
            "--kubeconfig",
            path_str(&kubeconfig),
            "--proxy-url",
            "http://127.0.0.1:3128",
        ],
        b"",
        &[],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("proxy"), "{}", stderr(&out));
}
