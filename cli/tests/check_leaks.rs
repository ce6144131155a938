//! `sealant check` false negatives (issue 14): shapes of real repositories in which a
//! plaintext value used to pass with exit 0. Each test runs the real binary on real files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod check_support;
mod common;

use check_support::{assert_no_values, check_in, errors_in};
use common::{keypair, path_str, run};
use sealant_test_support::text_files::utf16;
use std::path::Path;

type Expected<'a> = Vec<(&'a str, &'a str, Vec<&'a str>)>;

fn assert_errors(dir: &Path, paths: &[&str], expected: Expected) {
    let got = errors_in(dir, paths);
    let expected: Vec<(String, String, Vec<String>)> = expected
        .into_iter()
        .map(|(f, r, k)| {
            (
                f.to_owned(),
                r.to_owned(),
                k.into_iter().map(str::to_owned).collect(),
            )
        })
        .collect();
    assert_eq!(got, expected);
}

fn put(dir: &Path, name: &str, contents: impl AsRef<[u8]>) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

#[test]
fn a_value_is_a_template_only_when_made_of_template_actions() {
    let dir = tempfile::tempdir().unwrap();
    // Alertmanager's own config is Go-templated too: one `{{ template }}` line must not hide
    // the webhook URL above it.
    put(
        dir.path(),
        "alertmanager.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: alertmanager-main\n  namespace: monitoring\nstringData:\n  alertmanager.yaml: |\n    global:\n      slack_api_url: https://hooks.slack.com/services/T0/B0/s3cr3t-41\n    receivers:\n    - name: team\n      slack_configs:\n      - channel: '#alerts'\n        text: '{{ template \"slack.default.text\" . }}'\n",
    );
    put(
        dir.path(),
        "smtp.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: smtp, namespace: mail}\nstringData:\n  smtp-password: \"s3cr3t-42 {{\"\n  smtp-user: \"{{ .Values.user }}\"\n  both: \"{{ .Values.a }}{{- .Values.b -}}\"\n  spaced: \" {{ .Values.c }}\\n\"\n  prefixed: \"user-{{ .Values.d }}\"\n",
    );
    // Real values are never collections, but a collection is no template either.
    put(
        dir.path(),
        "collection.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: odd}\nstringData:\n  listed: [s3cr3t-43]\n  nested: {inner: s3cr3t-44}\n",
    );
    // Made only of actions: a Helm chart's Secret, not reported.
    put(
        dir.path(),
        "chart-secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: \"{{ .Release.Name }}\"\nstringData:\n  token: \"{{ .Values.token }}\"\n  other: '{{ .Values.other | b64enc }}'\n",
    );
    assert_errors(
        dir.path(),
        &[],
        vec![
            (
                "alertmanager.yaml",
                "plaintext-secret",
                vec!["alertmanager.yaml"],
            ),
            (
                "collection.yaml",
                "plaintext-secret",
                vec!["listed", "nested"],
            ),
            (
                "smtp.yaml",
                "plaintext-secret",
                vec!["prefixed", "smtp-password"],
            ),
        ],
    );
    let out = check_in(dir.path(), &[]);
    assert_no_values(&out, &["s3cr3t-41", "s3cr3t-42", "s3cr3t-43", "s3cr3t-44"]);
}

#[test]
fn one_broken_or_templated_document_hides_no_other() {
    let dir = tempfile::tempdir().unwrap();
    // First character `{`: once read as one JSON document, never split.
    put(
        dir.path(),
        "helm-first.yaml",
        "{{- $pw := \"x\" }}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: after-template}\nstringData:\n  password: s3cr3t-45\n",
    );
    put(
        dir.path(),
        "json-then-yaml.yaml",
        "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"c\"}}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: after-json}\nstringData:\n  password: s3cr3t-46\n",
    );
    put(
        dir.path(),
        "broken-first.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: broken}\ndata: [unclosed\n---\n{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"after-broken\"},\"stringData\":{\"password\":\"s3cr3t-47\"}}\n",
    );
    // Helm control lines inside the Secret's own document: the literal value still counts.
    put(
        dir.path(),
        "templates/secret.yaml",
        "{{- if .Values.enabled }}\napiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-db\n  labels:\n    {{- include \"chart.labels\" . | nindent 4 }}\nstringData:\n  password: s3cr3t-48\n  user: {{ .Values.user | quote }}\n{{- end }}\n",
    );
    assert_errors(
        dir.path(),
        &[],
        vec![
            ("broken-first.yaml", "plaintext-secret", vec!["password"]),
            ("helm-first.yaml", "plaintext-secret", vec!["password"]),
            ("json-then-yaml.yaml", "plaintext-secret", vec!["password"]),
            (
                "templates/secret.yaml",
                "plaintext-secret",
                vec!["password"],
            ),
        ],
    );
    let out = check_in(dir.path(), &["--format", "json", "helm-first.yaml"]);
    let all = check_support::with_severity(&out, "error");
    assert_eq!(all[0]["line"], 3, "{all:?}");
    assert_eq!(all[0]["object"], "after-template");
    // The broken document itself is still a warning.
    let out = check_in(dir.path(), &["--format", "json", "broken-first.yaml"]);
    let warnings = check_support::with_severity(&out, "warning");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0]["rule"], "unparsable");
}

/// A SealedSecret sealed now, with `template` set to `template`.
fn sealed_with_template(template: serde_json::Value) -> String {
    let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\nstringData:\n  password: s3cr3t-49\n";
    let out = run(
        &["seal", "--cert", path_str(&keypair().cert), "-o", "json"],
        Some(secret.as_bytes()),
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let mut sealed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    sealed["spec"]["template"] = template;
    serde_json::to_string_pretty(&sealed).unwrap()
}

#[test]
fn plaintext_in_a_sealed_secrets_template_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let applied = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "prod"},
        "stringData": {"api-key": "s3cr3t-51"}
    })
    .to_string();
    put(
        dir.path(),
        "literal.json",
        sealed_with_template(serde_json::json!({
            "metadata": {"name": "db", "namespace": "prod"},
            "data": {
                "literal": "s3cr3t-50",
                "rendered": "{{ index . \"password\" }}",
                "dsn": "postgres://app:{{ index . \"password\" }}@db:5432/app"
            }
        })),
    );
    put(
        dir.path(),
        "applied.json",
        sealed_with_template(serde_json::json!({
            "metadata": {
                "name": "db",
                "namespace": "prod",
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": applied}
            }
        })),
    );
    // Only actions and values mixing actions with configuration text: clean.
    put(
        dir.path(),
        "clean.json",
        sealed_with_template(serde_json::json!({
            "metadata": {"name": "db", "namespace": "prod"},
            "data": {"dsn": "postgres://app:{{ index . \"password\" }}@db/app"}
        })),
    );
    assert_errors(
        dir.path(),
        &[],
        vec![
            ("applied.json", "sealed-template-plaintext", vec!["api-key"]),
            ("literal.json", "sealed-template-plaintext", vec!["literal"]),
        ],
    );
    let out = check_in(dir.path(), &[]);
    assert_no_values(&out, &["s3cr3t-50", "s3cr3t-51"]);
}

#[test]
fn kustomize_secret_generators_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    put(
        d,
        "base/kustomization.yaml",
        "namespace: prod\nresources: []\nsecretGenerator:\n- name: db\n  literals:\n  - DB_USER=app\n  - DB_PASSWORD=s3cr3t-52\n  envs:\n  - db.env\n  files:\n  - tls.key\n  - ca.crt=certs/ca.pem\n- name: from-ci\n  envs: [generated-by-ci.env]\n",
    );
    put(
        d,
        "base/db.env",
        "# written by hand\n\nAPI_TOKEN=s3cr3t-53\nEMPTY=\nFROM_ENVIRONMENT\n",
    );
    put(
        d,
        "base/tls.key",
        "-----BEGIN PRIVATE KEY-----\ns3cr3t-54\n-----END PRIVATE KEY-----\n",
    );
    // A certificate is public: not a finding.
    put(
        d,
        "base/certs/ca.pem",
        "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n",
    );
    // The file name without an extension, and the legacy singular `env`.
    put(
        d,
        "overlay/Kustomization",
        "resources: [../base]\nsecretGenerator:\n- name: db\n  behavior: merge\n  env: legacy.env\n",
    );
    put(d, "overlay/legacy.env", "LEGACY=s3cr3t-55\n");
    assert_errors(
        d,
        &[],
        vec![
            ("base/db.env", "plaintext-secret", vec!["API_TOKEN"]),
            (
                "base/kustomization.yaml",
                "plaintext-secret",
                vec!["DB_PASSWORD", "DB_USER"],
            ),
            ("base/tls.key", "plaintext-secret", vec!["tls.key"]),
            ("overlay/legacy.env", "plaintext-secret", vec!["LEGACY"]),
        ],
    );
    // Named explicitly, a kustomization still pulls in the files it references.
    assert_errors(
        d,
        &["overlay/Kustomization"],
        vec![("overlay/legacy.env", "plaintext-secret", vec!["LEGACY"])],
    );
    let out = check_in(d, &["--format", "json", "base"]);
    let env = check_support::with_severity(&out, "error")
        .into_iter()
        .find(|f| f["file"] == "base/db.env")
        .unwrap();
    assert_eq!(env["line"], 3);
    assert_eq!(env["object"], "prod/db");
    let out = check_in(d, &[]);
    assert_no_values(&out, &["s3cr3t-52", "s3cr3t-53", "s3cr3t-54", "s3cr3t-55"]);
}

#[test]
fn utf16_and_bom_files_are_decoded_and_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let secret = |n: u32| {
        format!(
            "# saved by a Windows editor\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s{n}\nstringData:\n  password: s3cr3t-{n}\n"
        )
    };
    put(dir.path(), "le.yaml", utf16(&secret(56), false, true));
    put(dir.path(), "be.yaml", utf16(&secret(57), true, true));
    put(
        dir.path(),
        "le-no-bom.yaml",
        utf16(&secret(58), false, false),
    );
    let mut bom = vec![0xef, 0xbb, 0xbf];
    bom.extend_from_slice(secret(59).as_bytes());
    put(dir.path(), "utf8-bom.yaml", bom);
    let json = serde_json::json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "j"},
        "stringData": {"password": "s3cr3t-60"}
    })
    .to_string();
    put(dir.path(), "le.json", utf16(&json, false, true));
    assert_errors(
        dir.path(),
        &[],
        vec![
            ("be.yaml", "plaintext-secret", vec!["password"]),
            ("le-no-bom.yaml", "plaintext-secret", vec!["password"]),
            ("le.json", "plaintext-secret", vec!["password"]),
            ("le.yaml", "plaintext-secret", vec!["password"]),
            ("utf8-bom.yaml", "plaintext-secret", vec!["password"]),
        ],
    );
    let out = check_in(dir.path(), &["--format", "json", "le.yaml"]);
    assert_eq!(check_support::with_severity(&out, "error")[0]["line"], 2);
    // Bytes that are no text at all, but mention a Secret: a warning, never silence.
    let mut latin1 =
        b"apiVersion: v1\nkind: Secret\nmetadata: {name: l}\nstringData:\n  password: s3cr3t-61-"
            .to_vec();
    latin1.extend_from_slice(&[0xe9, b'\n']);
    put(dir.path(), "latin1/s.yaml", latin1);
    assert_errors(
        dir.path(),
        &["latin1"],
        vec![("latin1/s.yaml", "plaintext-secret", vec!["password"])],
    );
}

#[test]
fn aliases_merge_keys_and_lists_are_resolved() {
    let dir = tempfile::tempdir().unwrap();
    put(
        dir.path(),
        "aliases.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: aliased}\nstringData:\n  <<: &shared\n    password: s3cr3t-62\n  copy: *shared\n",
    );
    put(
        dir.path(),
        "list.json",
        "{ \"apiVersion\" : \"v1\" ,\n\t\"kind\"\t:\t\"List\",\r\n  \"items\" : [ {\"kind\" :\"Secret\",\"apiVersion\":\"v1\",\n \"metadata\":{ \"name\" : \"in-list\" },\"data\" : { \"token\" : \"czNjcjN0LTYz\" } } ] }\r\n",
    );
    put(
        dir.path(),
        "escaped.json",
        "{\"apiVersion\":\"v1\",\"kind\":\"\\u0053ecret\",\"metadata\":{\"name\":\"escaped\"},\"stringData\":{\"password\":\"s3cr3t-64\"}}",
    );
    assert_errors(
        dir.path(),
        &[],
        vec![
            ("aliases.yaml", "plaintext-secret", vec!["copy", "password"]),
            ("escaped.json", "plaintext-secret", vec!["password"]),
            ("list.json", "plaintext-secret", vec!["token"]),
        ],
    );
}

fn git(dir: &Path, args: &[&str]) {
    common::git::git_ok(dir, args);
}

#[test]
fn staged_kustomizations_read_their_files_from_the_index() {
    let repo = tempfile::tempdir().unwrap();
    let d = repo.path();
    git(d, &["init", "-q"]);
    put(
        d,
        "app/kustomization.yaml",
        "secretGenerator:\n- name: app\n  envs: [\"0:odd.env\", ../shared/db.env, missing.env]\n",
    );
    put(d, "app/0:odd.env", "ODD=s3cr3t-65\n");
    put(d, "shared/db.env", "DB_PASSWORD=s3cr3t-66\n");
    git(d, &["add", "."]);
    // The working tree no longer holds the values; the commit would.
    put(d, "app/0:odd.env", "ODD=\n");
    put(d, "shared/db.env", "# moved to the vault\n");
    let out = check_in(d, &["--staged", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    let mut found: Vec<(String, String)> = check_support::with_severity(&out, "error")
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_owned(),
                f["keys"][0].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("app/0:odd.env".to_owned(), "ODD".to_owned()),
            ("shared/db.env".to_owned(), "DB_PASSWORD".to_owned()),
        ]
    );
    assert_no_values(&out, &["s3cr3t-65", "s3cr3t-66"]);
    // The working tree is clean.
    assert_eq!(check_in(d, &["app"]).status.code(), Some(0));
}
