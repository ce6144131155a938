//! `sealant reencrypt` offline (two generated key pairs) and online (the fake API server with
//! the real controller behind its services proxy, keys old and new), and kubeseal's
//! `--re-encrypt` against the same. Results are checked by decrypting them with the new key
//! and by comparing the file text line by line with the original.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::controller::{
    CONTROLLER_NS, FakeCluster, NEW_KEY_FILE, OLD_KEY_FILE, fake_cluster, start_controller,
    store_old_and_new_keys, test_only_key_path,
};

use common::files::{masked, reencrypt_offline, secret_manifest};
use common::{
    BIN, assert_contains, keypair, kubeseal_path, other_keypair, path_str, run, run_command,
    stderr, stdout, write,
};
use sealant_controller::Running;
use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
    time::{Duration, Instant},
};

const SEALED_FOR: &str = "sealant.dev/sealed-for";

/// `sealant seal --cert CERT -o FORMAT` of a Secret manifest.
fn seal(cert: &Path, manifest: &str, format: &str) -> String {
    let out = run(
        &["seal", "--cert", path_str(cert), "-o", format],
        Some(manifest.as_bytes()),
    );
    assert!(out.status.success(), "seal: {}", stderr(&out));
    stdout(&out)
}

/// The SealedSecret documents of `file`, unsealed with `key` (each as `{name: {key: value}}`
/// data, base64), or the first failure.
fn unseal_file(file: &Path, key: &Path) -> Result<Vec<Value>, String> {
    let text = std::fs::read_to_string(file).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    for (i, doc) in common::documents(&text)
        .into_iter()
        .filter(|d| d["kind"] == "SealedSecret")
        .enumerate()
    {
        let one = write(dir.path(), &format!("{i}.json"), &doc.to_string());
        let result = run(
            &[
                "unseal",
                "--private-key",
                path_str(key),
                "-f",
                path_str(&one),
                "-o",
                "json",
            ],
            None,
        );
        if !result.status.success() {
            return Err(stderr(&result));
        }
        let secret: Value = serde_json::from_str(&stdout(&result)).unwrap();
        out.push(serde_json::json!({ doc["metadata"]["name"].as_str().unwrap(): secret["data"] }));
    }
    Ok(out)
}

/// Every encryptedData value of the SealedSecrets in `text`.
fn ciphertexts(text: &str) -> Vec<String> {
    common::documents(text)
        .into_iter()
        .filter(|d| d["kind"] == "SealedSecret")
        .flat_map(|d| {
            d["spec"]["encryptedData"]
                .as_object()
                .unwrap()
                .values()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `after` equals `before` except on lines holding an old ciphertext or the hint; returns
/// how many lines changed.
fn assert_only_ciphertexts_changed(before: &str, after: &str) -> usize {
    let old = ciphertexts(before);
    let (b, a): (Vec<_>, Vec<_>) = (before.lines().collect(), after.lines().collect());
    assert_eq!(b.len(), a.len(), "line count changed:\n{after}");
    let mut changed = 0;
    for (x, y) in b.iter().zip(&a) {
        if x != y {
            changed += 1;
            assert!(
                x.contains(SEALED_FOR) || old.iter().any(|c| x.contains(c.as_str())),
                "a line other than a ciphertext or hint changed:\n- {x}\n+ {y}"
            );
        }
    }
    assert!(before.ends_with('\n') == after.ends_with('\n'));
    changed
}

/// A tree sealed with key A: a multi-document YAML file (comments, a ConfigMap, two
/// SealedSecrets) and a JSON file two directories down.
fn sealed_tree(root: &Path) -> (PathBuf, PathBuf) {
    let a = &keypair().cert;
    let first = seal(
        a,
        &secret_manifest("prod", "db", &[("password", "hunter2"), ("user", "admin")]),
        "yaml",
    );
    let second = seal(
        a,
        &secret_manifest("prod", "cache", &[("token", "t0ken")]),
        "yaml",
    );
    let yaml = format!(
        "# Managed by hand; keep this comment.\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings   # trailing comment\ndata:\n  mode: \"fast\"\n---\n# The database credentials\n{}---\n{}# end of file\n",
        first.trim_start_matches("---\n"),
        second.trim_start_matches("---\n"),
    );
    std::fs::create_dir_all(root.join("apps/nested/deep")).unwrap();
    let yaml_file = write(&root.join("apps"), "secrets.yaml", &yaml);
    let json = seal(
        a,
        &secret_manifest("staging", "api", &[("key", "k3y")]),
        "json",
    );
    let json_file = write(&root.join("apps/nested/deep"), "api.json", &json);
    write(root, "README.md", "not a manifest\n");
    (yaml_file, json_file)
}

#[test]
fn offline_reencrypts_a_tree_preserving_every_other_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (yaml, json) = sealed_tree(dir.path());
    let (yaml_before, json_before) = (
        std::fs::read_to_string(&yaml).unwrap(),
        std::fs::read_to_string(&json).unwrap(),
    );
    let values_before = [
        unseal_file(&yaml, &keypair().key).unwrap(),
        unseal_file(&json, &keypair().key).unwrap(),
    ];

    let out = reencrypt_offline(&[], &[dir.path()]);
    assert!(out.status.success(), "reencrypt: {}", stderr(&out));
    assert!(
        stderr(&out).contains("2 file(s) rewritten, 0 unchanged, 0 failed; 4 value(s)"),
        "{}",
        stderr(&out)
    );

    let (yaml_after, json_after) = (
        std::fs::read_to_string(&yaml).unwrap(),
        std::fs::read_to_string(&json).unwrap(),
    );
    // 3 values + 2 hints in YAML; 1 value + 1 hint in JSON.
    assert_eq!(
        assert_only_ciphertexts_changed(&yaml_before, &yaml_after),
        5
    );
    assert_eq!(
        assert_only_ciphertexts_changed(&json_before, &json_after),
        2
    );
    assert!(
        yaml_after.contains("# The database credentials\n")
            && yaml_after.contains("# end of file\n")
    );
    let values_after = [
        unseal_file(&yaml, &other_keypair().key).unwrap(),
        unseal_file(&json, &other_keypair().key).unwrap(),
    ];
    assert_eq!(values_before, values_after);
    assert!(
        unseal_file(&yaml, &keypair().key).is_err(),
        "key A no longer opens them"
    );
    assert!(unseal_file(&json, &keypair().key).is_err());

    // Again: nothing opens with A any more, so every object is reported, nothing written.
    let again = reencrypt_offline(&[], &[dir.path()]);
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert!(stderr(&again).contains("prod/db"), "{}", stderr(&again));
    assert_eq!(std::fs::read_to_string(&yaml).unwrap(), yaml_after);

    // With B's key too, objects already under the newest key are left as they are.
    let current = run(
        &[
            "reencrypt",
            "--private-key",
            &format!(
                "{},{}",
                path_str(&keypair().key),
                path_str(&other_keypair().key)
            ),
            "--cert",
            path_str(&other_keypair().cert),
            path_str(dir.path()),
        ],
        None,
    );
    assert!(current.status.success(), "{}", stderr(&current));
    assert!(
        stderr(&current).contains("0 file(s) rewritten, 2 unchanged"),
        "{}",
        stderr(&current)
    );
    assert_eq!(std::fs::read_to_string(&yaml).unwrap(), yaml_after);
    assert_eq!(std::fs::read_to_string(&json).unwrap(), json_after);
}

#[test]
fn dry_run_lists_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (yaml, json) = sealed_tree(dir.path());
    let before = [std::fs::read(&yaml).unwrap(), std::fs::read(&json).unwrap()];
    let out = reencrypt_offline(&["--dry-run"], &[dir.path()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let listed = stdout(&out);
    assert_contains(
        &listed,
        &format!("would rewrite {}: 3 value(s)", yaml.display()),
    );
    assert_contains(&listed, "prod/db, prod/cache");
    assert_contains(
        &listed,
        &format!("would rewrite {}: 1 value(s)", json.display()),
    );
    assert_eq!(
        [std::fs::read(&yaml).unwrap(), std::fs::read(&json).unwrap()],
        before
    );
}

#[test]
fn a_folded_value_is_reported_and_the_file_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let sealed = seal(
        &keypair().cert,
        &secret_manifest("prod", "db", &[("password", "hunter2")]),
        "yaml",
    );
    let value = ciphertexts(&sealed).remove(0);
    // The same value as a double-quoted scalar continued over two lines (`\` + newline).
    let (head, tail) = value.split_at(40);
    let folded = sealed.replace(&value, &format!("\"{head}\\\n      {tail}\""));
    assert_ne!(folded, sealed);
    let file = write(dir.path(), "folded.yaml", &folded);
    assert!(
        unseal_file(&file, &keypair().key).is_ok(),
        "the folded file is valid"
    );
    let other = write(
        dir.path(),
        "plain.yaml",
        &seal(
            &keypair().cert,
            &secret_manifest("prod", "x", &[("a", "b")]),
            "yaml",
        ),
    );

    let out = reencrypt_offline(&[], &[&file, &other]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert_contains(
        &err,
        &format!("{}: cannot be preserved exactly", file.display()),
    );
    assert_contains(&err, "prod/db key \"password\"");
    assert!(!err.contains(head), "never a value in errors: {err}");
    assert_contains(&err, "1 file(s) rewritten, 0 unchanged, 1 failed");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), folded);
    assert!(unseal_file(&other, &other_keypair().key).is_ok());
}

/// The ciphertext of `password` also sits in a comment, and the real value is a quoted
/// scalar continued over two lines: the only plain occurrence of the old string is the
/// comment. Rewriting it would report success while the value stays under the old key.
#[test]
fn a_value_left_under_the_old_key_refuses_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let sealed = seal(
        &keypair().cert,
        &secret_manifest("prod", "db", &[("password", "hunter2"), ("user", "admin")]),
        "yaml",
    );
    assert!(
        sealed.contains(SEALED_FOR),
        "the hint is there to be refreshed"
    );
    let doc = common::documents(&sealed).remove(0);
    let password = doc["spec"]["encryptedData"]["password"]
        .as_str()
        .unwrap()
        .to_owned();
    let (head, tail) = password.split_at(40);
    let tricky = format!(
        "# previous password value: {password}\n{}",
        sealed.replace(&password, &format!("\"{head}\\\n      {tail}\""))
    );
    let file = write(dir.path(), "tricky.yaml", &tricky);
    assert!(
        unseal_file(&file, &keypair().key).is_ok(),
        "the file is valid"
    );

    let out = reencrypt_offline(&[], &[&file]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_contains(&err, path_str(&file));
    assert_contains(&err, "prod/db key \"password\"");
    assert_contains(&err, "0 file(s) rewritten, 0 unchanged, 1 failed");
    assert!(
        !err.contains(head) && !err.contains(tail),
        "never a value: {err}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), tricky, "untouched");

    // --dry-run says the same, and writes nothing either.
    let dry = reencrypt_offline(&["--dry-run"], &[&file]);
    assert_eq!(dry.status.code(), Some(1), "{}", stderr(&dry));
    assert!(!stdout(&dry).contains("would rewrite"), "{}", stdout(&dry));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), tricky);
}

#[test]
fn offline_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &[
            "reencrypt",
            "--cert",
            path_str(&keypair().cert),
            path_str(dir.path()),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "--cert needs --private-key");
    let missing = dir.path().join("missing.yaml");
    let out = reencrypt_offline(&[], &[&missing]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("missing.yaml"), "{}", stderr(&out));
}

// ---- online: the fake API server and the real controller (set-up as in keys_cluster.rs) ----

struct Cluster {
    base: FakeCluster,
    /// Certificates of the old (A) and newest (B) key, and B's private key file.
    old_cert: PathBuf,
    new_key: PathBuf,
    old_key: PathBuf,
    _running: Running,
}

common::controller::reads_as_fake_cluster!(Cluster);

impl Cluster {
    fn start() -> Self {
        let base = fake_cluster();
        let (old, running) = base.rt.block_on(async {
            let (old, _new) = store_old_and_new_keys(&base.client).await;
            (
                old,
                start_controller(&base.fake, base.client.clone(), None).await,
            )
        });
        let old_cert = write(base.dir.path(), "old-cert.pem", &old.to_pem());
        let c = Self {
            base,
            old_cert,
            new_key: test_only_key_path(NEW_KEY_FILE),
            old_key: test_only_key_path(OLD_KEY_FILE),
            _running: running,
        };
        // Ready: the controller's key inventory lists both keys.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = c.sealant(&["keys", "list", "-o", "json"], None);
            let listed: Option<Value> = serde_json::from_str(&stdout(&out)).ok();
            if listed.is_some_and(|v| v["keys"].as_array().is_some_and(|k| k.len() == 2)) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "controller never listed both keys: {}",
                stderr(&out)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        c
    }

    fn env(&self) -> Vec<(&str, String)> {
        vec![
            ("HOME", path_str(self.dir.path()).to_owned()),
            (
                "XDG_CACHE_HOME",
                path_str(&self.dir.path().join("cache")).to_owned(),
            ),
        ]
    }

    fn program(&self, program: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let mut all = args.to_vec();
        all.extend(["--kubeconfig", path_str(&self.kubeconfig)]);
        let mut cmd = Command::new(program);
        cmd.env_remove("SEALED_SECRETS_CONTROLLER_NAME")
            .env_remove("SEALED_SECRETS_CONTROLLER_NAMESPACE");
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run_command(cmd, &all, stdin, &env)
    }

    fn sealant(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        self.program(Path::new(BIN), args, stdin)
    }
}

/// A SealedSecret for team/db sealed with the old key, and the same object renamed to
/// team/renamed (so the label no longer matches: the controller answers 409).
fn old_sealed(c: &Cluster, format: &str) -> (String, String) {
    let good = seal(
        &c.old_cert,
        &secret_manifest("team", "db", &[("password", "hunter2"), ("user", "admin")]),
        format,
    );
    let wrong = good.replace("db", "renamed");
    (good, wrong)
}

#[test]
fn online_reencrypt_and_kubeseal_re_encrypt_through_the_controller() {
    let c = Cluster::start();
    let tree = c.dir.path().join("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    let (good, wrong) = old_sealed(&c, "yaml");
    let good_text = format!("# comment kept\n{good}");
    let good_file = write(&tree, "db.yaml", &good_text);
    let wrong_file = write(&tree.join("sub"), "wrong.yaml", &wrong);
    let values_before = unseal_file(&good_file, &c.old_key).unwrap();

    let out = c.sealant(&["reencrypt", path_str(&tree)], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert_contains(&err, &format!("{}: team/renamed", wrong_file.display()));
    assert_contains(
        &err,
        "1 file(s) rewritten, 0 unchanged, 1 failed; 2 value(s)",
    );
    assert_eq!(
        std::fs::read_to_string(&wrong_file).unwrap(),
        wrong,
        "untouched"
    );
    let after = std::fs::read_to_string(&good_file).unwrap();
    assert_eq!(
        assert_only_ciphertexts_changed(&good_text, &after),
        3,
        "2 values + hint"
    );
    assert_eq!(unseal_file(&good_file, &c.new_key).unwrap(), values_before);
    assert!(unseal_file(&good_file, &c.old_key).is_err());

    // Already under the newest key: the controller gives it back unchanged; left alone.
    let again = c.sealant(&["reencrypt", path_str(&good_file)], None);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("0 file(s) rewritten, 1 unchanged"),
        "{}",
        stderr(&again)
    );
    assert_eq!(std::fs::read_to_string(&good_file).unwrap(), after);

    // kubeseal --re-encrypt: stdin to stdout, JSON by default.
    let (good_json, wrong_json) = old_sealed(&c, "json");
    let out = c.program(
        kubeseal_path(),
        &["--re-encrypt", "--controller-namespace", CONTROLLER_NS],
        Some(good_json.as_bytes()),
    );
    assert!(
        out.status.success(),
        "kubeseal --re-encrypt: {}",
        stderr(&out)
    );
    let rotated: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(rotated["metadata"]["name"], "db");
    let rotated_file = write(c.dir.path(), "rotated.json", &stdout(&out));
    assert_eq!(
        unseal_file(&rotated_file, &c.new_key).unwrap(),
        values_before
    );
    assert!(unseal_file(&rotated_file, &c.old_key).is_err());

    // -f / -w with a .yaml output file switches to YAML, as kubeseal does.
    let input = write(c.dir.path(), "in.json", &good_json);
    let output = c.dir.path().join("out.yaml");
    let out = c.program(
        kubeseal_path(),
        &[
            "--re-encrypt",
            "-f",
            path_str(&input),
            "-w",
            path_str(&output),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let written = std::fs::read_to_string(&output).unwrap();
    assert_contains(&written, "kind: SealedSecret");
    assert_eq!(unseal_file(&output, &c.new_key).unwrap(), values_before);

    // A wrong name: the controller refuses; nothing on stdout, exit 1.
    let out = c.program(
        kubeseal_path(),
        &["--re-encrypt"],
        Some(wrong_json.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("unable to rotate secret") && err.contains("team/renamed"),
        "kubeseal's words, then the object: {err}"
    );
}

/// kubeseal's deprecated `--rotate` is `--re-encrypt`: the same request to the controller,
/// the same output byte for byte but for the (random) ciphertexts, the same in-place rewrite
/// of `-f` without `-w` (kubeseal #405); only a deprecation notice on stderr differs.
#[test]
fn kubeseal_rotate_is_re_encrypt() {
    let c = Cluster::start();
    let (good_json, _) = old_sealed(&c, "json");
    let input = write(c.dir.path(), "in.json", &good_json);
    let values_before = unseal_file(&input, &c.old_key).unwrap();
    let mut outputs = Vec::new();
    for flag in [
        "--re-encrypt",
        "--rotate",
        "--rotate=true",
        "--re-encrypt=1",
    ] {
        let out = c.program(kubeseal_path(), &[flag], Some(good_json.as_bytes()));
        assert!(out.status.success(), "{flag}: {}", stderr(&out));
        assert_eq!(
            stderr(&out).contains("Flag --rotate has been deprecated"),
            flag.starts_with("--rotate"),
            "{flag}: {}",
            stderr(&out)
        );
        let file = write(c.dir.path(), "out.json", &stdout(&out));
        assert_eq!(
            unseal_file(&file, &c.new_key).unwrap(),
            values_before,
            "{flag}"
        );
        assert!(
            unseal_file(&file, &c.old_key).is_err(),
            "{flag}: still the old key"
        );
        outputs.push((flag, stdout(&out)));
    }
    let (_, first) = &outputs[0];
    for (flag, text) in &outputs[1..] {
        assert_eq!(
            masked(text),
            masked(first),
            "{flag} writes what --re-encrypt writes"
        );
        assert_ne!(text, first, "{flag}: new ciphertexts");
    }
    // -f alone: the input file is rewritten in place, for both spellings.
    for flag in ["--re-encrypt", "--rotate"] {
        let file = write(c.dir.path(), "in-place.json", &good_json);
        let out = c.program(kubeseal_path(), &[flag, "-f", path_str(&file)], None);
        assert!(out.status.success(), "{flag}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{flag}: nothing on stdout");
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(masked(&text), masked(first), "{flag} -f");
        assert_eq!(unseal_file(&file, &c.new_key).unwrap(), values_before);
    }
}

#[test]
fn online_without_a_controller_is_exit_3_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sealed = seal(
        &keypair().cert,
        &secret_manifest("prod", "db", &[("a", "b")]),
        "yaml",
    );
    let file = write(dir.path(), "db.yaml", &sealed);
    // A kubeconfig pointing at a closed port.
    let port = sealant_test_support::cluster::free_port();
    let kubeconfig = write(
        dir.path(),
        "kubeconfig",
        &fakekube::kubeconfig(&format!("http://127.0.0.1:{port}")),
    );
    let out = run(
        &[
            "reencrypt",
            path_str(&file),
            "--kubeconfig",
            path_str(&kubeconfig),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), sealed);
}
