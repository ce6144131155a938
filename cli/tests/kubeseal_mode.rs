//! The binary run through a symlink named `kubeseal` must behave like kubeseal offline.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;

#[test]
fn default_output_is_json_like_kubeseal() {
    let cert = path_str(&keypair().cert);
    let out = kubeseal(&["--cert", cert], Some(SECRET_YAML.as_bytes()));
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("{\n"),
        "kubeseal prints indented JSON: {text}"
    );
    assert!(text.ends_with("}\n"));
    let doc = &documents(&text)[0];
    assert_eq!(doc["kind"], "SealedSecret");
    assert!(!text.contains(PASSWORD));
}

#[test]
fn env_cert_and_yaml_format() {
    let cert = path_str(&keypair().cert);
    let out = kubeseal_env(
        &["--format", "yaml"],
        Some(SECRET_YAML.as_bytes()),
        &[("SEALED_SECRETS_CERT", cert)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("kind: SealedSecret"), "{text}");
}

#[test]
fn raw_with_from_file_and_bool_equals_syntax() {
    let dir = tempfile::tempdir().unwrap();
    let cert = path_str(&keypair().cert);
    let value = write(dir.path(), "v", "kubeseal-raw");
    let spec = format!("mykey={}", path_str(&value));
    let out = kubeseal(
        &[
            "--cert",
            cert,
            "--raw=true",
            "--from-file",
            &spec,
            "--namespace",
            "ns",
            "--name",
            "n",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let sealed = stdout(&out);
    assert!(!sealed.ends_with('\n'));

    let opened = unseal_raw(&sealed, "ns", "n");
    assert_eq!(stdout(&opened), "kubeseal-raw", "{}", stderr(&opened));
}

#[test]
fn raw_needs_name_for_strict_scope_with_kubeseal_wording() {
    let cert = path_str(&keypair().cert);
    let out = kubeseal(&["--cert", cert, "--raw", "--namespace", "ns"], Some(b"x"));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("error: must provide the --name flag with --raw and --scope strict"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn merge_into_and_recovery_unseal() {
    let dir = tempfile::tempdir().unwrap();
    let cert = path_str(&keypair().cert);
    let key = path_str(&keypair().key);
    let target = dir.path().join("sealed.json");
    let out = kubeseal(
        &["--cert", cert, "-w", path_str(&target)],
        Some(SECRET_YAML.as_bytes()),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let before = documents(&std::fs::read_to_string(&target).unwrap())[0].clone();

    let update = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {extra: more}\n";
    let out = kubeseal(
        &["--cert", cert, "--merge-into", path_str(&target)],
        Some(update.as_bytes()),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&target).unwrap();
    assert!(text.trim_start().starts_with('{'), "JSON file stays JSON");
    let after = documents(&text)[0].clone();
    assert_eq!(
        after["spec"]["encryptedData"]["password"],
        before["spec"]["encryptedData"]["password"]
    );

    let keys_arg = format!("{key},{key}");
    let unsealed = kubeseal(
        &[
            "--recovery-unseal",
            "--recovery-private-key",
            &keys_arg,
            "-o",
            "yaml",
        ],
        Some(text.as_bytes()),
    );
    assert!(unsealed.status.success(), "{}", stderr(&unsealed));
    let secret = &documents(&stdout(&unsealed))[0];
    assert_eq!(secret["kind"], "Secret");
    assert!(secret["data"]["extra"].is_string());
    assert!(secret["data"]["password"].is_string());
}

#[test]
fn fetch_cert_with_local_cert_prints_it() {
    let cert = path_str(&keypair().cert);
    let out = kubeseal(&["--fetch-cert", "--cert", cert], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, std::fs::read(cert).unwrap());
}

#[test]
fn cluster_flags_without_a_cluster_explain_themselves() {
    // No kubeconfig anywhere (HOME is empty) and not in a cluster: exit 3, naming where
    // the configuration was looked for.
    let home = tempfile::tempdir().unwrap();
    let env = [
        ("HOME", path_str(home.path())),
        ("XDG_CACHE_HOME", path_str(home.path())),
        ("KUBERNETES_SERVICE_HOST", ""),
    ];
    for flag in ["--validate", "--fetch-cert", "--re-encrypt"] {
        let out = kubeseal_env(&[flag], Some(b"{}"), &env);
        assert_eq!(out.status.code(), Some(3), "{flag}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("cluster") && err.contains("kubeconfig"),
            "{flag}: {err}"
        );
    }
}

#[test]
fn kubectl_connection_flags_are_accepted() {
    let cert = path_str(&keypair().cert);
    let out = kubeseal(
        &[
            "--cert",
            cert,
            "--context",
            "c",
            "--kubeconfig",
            "/nonexistent",
            "-n",
            "prod",
            "--controller-name",
            "x",
            "--controller-namespace",
            "y",
        ],
        Some(SECRET_YAML.as_bytes()),
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn version_flag() {
    let out = kubeseal(&["--version"], None);
    assert!(out.status.success());
    assert!(stdout(&out).starts_with("kubeseal version: "));
}

/// As kubeseal, a Secret without a namespace is sealed for `-n`, else for the kubeconfig
/// context's namespace, else for `default`; a namespace in the manifest always wins.
#[test]
fn a_missing_namespace_comes_from_the_kubeconfig_context() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = write(
        dir.path(),
        "kubeconfig",
        "apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: 'https://127.0.0.1:1'}
users:
- name: u
  user: {token: t}
contexts:
- name: ctx
  context: {cluster: c, user: u, namespace: team-ctx}
current-context: ctx
",
    );
    let cert = path_str(&keypair().cert);
    let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  k: v\n";
    let sealed_namespace = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["--cert", cert];
        all.extend_from_slice(args);
        let out = kubeseal_env(&all, Some(secret.as_bytes()), env);
        assert!(out.status.success(), "{}", stderr(&out));
        documents(&stdout(&out))[0]["metadata"]["namespace"].clone()
    };
    let kc = path_str(&kubeconfig);
    assert_eq!(sealed_namespace(&["--kubeconfig", kc], &[]), "team-ctx");
    assert_eq!(sealed_namespace(&[], &[("KUBECONFIG", kc)]), "team-ctx");
    assert_eq!(
        sealed_namespace(&["--kubeconfig", kc, "-n", "flag-ns"], &[]),
        "flag-ns"
    );
    // No kubeconfig at all (HOME without one): kubeseal's "default".
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    assert_eq!(
        sealed_namespace(&[], &[("HOME", path_str(&home))]),
        "default"
    );
}
