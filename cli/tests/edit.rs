//! `sealant edit`, driven by a shell script standing in for `$EDITOR`.
//!
//! The script records the path it was given and keeps a hard link to the file, so the tests
//! can check that the plaintext file is gone afterwards *and* that its blocks were zeroed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use std::{
    collections::BTreeMap,
    os::unix::{fs::PermissionsExt, process::ExitStatusExt},
    path::{Path, PathBuf},
    process::Output,
};

const SECRET: &str = "\
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: prod
type: Opaque
data:
  bin: AAEC/w==
stringData:
  user: admin-user-plain
  password: s3cr3t-password
  token: tok-123-plain
";

const EDITOR: &str = r#"#!/bin/sh
# Stands in for $EDITOR: records what it was given, then acts as $EDIT_MODE says.
printf '%s' "$1" > "$EDIT_SIDE/path"
cp "$1" "$EDIT_SIDE/shown"
ln "$1" "$EDIT_SIDE/link"
case "$EDIT_MODE" in
  replace) cat "$EDIT_SIDE/replacement" > "$1" ;;
  keep) ;;
  fail) exit 3 ;;
  term)
    # Let go of the test's pipes, signal sealant, and wait for it to be gone.
    exec >/dev/null 2>&1
    kill -TERM "$PPID"
    i=0
    while kill -0 "$PPID" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.05; i=$((i+1)); done
    ;;
esac
"#;

struct Fixture {
    dir: tempfile::TempDir,
    sealed: PathBuf,
    side: PathBuf,
    tmp: PathBuf,
    script: PathBuf,
}

fn fixture(seal_args: &[&str]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let secret = write(dir.path(), "secret.yaml", SECRET);
    let sealed = dir.path().join("sealed.yaml");
    let mut args = vec![
        "seal",
        "--cert",
        path_str(&keypair().cert),
        "-f",
        path_str(&secret),
        "-w",
        path_str(&sealed),
    ];
    args.extend_from_slice(seal_args);
    let out = run(&args, None);
    assert!(out.status.success(), "{}", stderr(&out));
    let side = dir.path().join("side");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&side).unwrap();
    std::fs::create_dir(&tmp).unwrap();
    let script = write(dir.path(), "editor.sh", EDITOR);
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    Fixture {
        dir,
        sealed,
        side,
        tmp,
        script,
    }
}

impl Fixture {
    fn edit(&self, mode: &str, extra: &[&str]) -> Output {
        let mut args = vec!["edit", path_str(&self.sealed)];
        args.extend_from_slice(extra);
        run_env(
            &args,
            None,
            &[
                ("VISUAL", path_str(&self.script)),
                ("EDITOR", path_str(&self.script)),
                ("EDIT_SIDE", path_str(&self.side)),
                ("EDIT_MODE", mode),
                // The scratch directory lands here, on the same filesystem as the hard link.
                ("TMPDIR", path_str(&self.tmp)),
            ],
        )
    }

    fn edit_with_keys(&self, mode: &str) -> Output {
        self.edit(mode, &["--private-key", path_str(&keypair().key)])
    }

    fn replacement(&self, text: &str) {
        write(&self.side, "replacement", text);
    }

    fn shown(&self) -> String {
        std::fs::read_to_string(self.side.join("shown")).unwrap()
    }

    fn encrypted(&self) -> BTreeMap<String, String> {
        let text = std::fs::read_to_string(&self.sealed).unwrap();
        let doc = documents(&text).remove(0);
        serde_json::from_value(doc["spec"]["encryptedData"].clone()).unwrap()
    }

    /// The decrypted data of the file, through `sealant unseal`.
    fn plaintext(&self) -> BTreeMap<String, Vec<u8>> {
        let out = run(
            &[
                "unseal",
                "--private-key",
                path_str(&keypair().key),
                "-f",
                path_str(&self.sealed),
            ],
            None,
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let doc = documents(&stdout(&out)).remove(0);
        let data: BTreeMap<String, String> = serde_json::from_value(doc["data"].clone()).unwrap();
        data.into_iter()
            .map(|(k, v)| (k, base64_decode(&v)))
            .collect()
    }

    /// The editor's file is gone, its private directory too, and its blocks were zeroed.
    fn assert_wiped(&self) {
        let recorded = std::fs::read_to_string(self.side.join("path")).unwrap();
        let recorded = Path::new(&recorded);
        assert!(recorded.starts_with(&self.tmp), "{}", recorded.display());
        assert!(!recorded.exists(), "temp file left behind");
        assert!(!recorded.parent().unwrap().exists(), "temp dir left behind");
        assert_eq!(std::fs::read_dir(&self.tmp).unwrap().count(), 0);
        let link = std::fs::read(self.side.join("link")).unwrap();
        assert!(
            !link.is_empty() && link.iter().all(|b| *b == 0),
            "not zeroed"
        );
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

#[test]
fn changed_added_and_removed_keys_reseal_only_what_changed() {
    let fx = fixture(&[]);
    let before = fx.encrypted();
    fx.replacement(
        "apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: prod
stringData:
  user: admin-user-plain
  password: n3w-password
  added: brand-new
data:
  bin: AAEC/w==
",
    );
    let out = fx.edit_with_keys("replace");
    assert!(out.status.success(), "{}", stderr(&out));

    // The buffer showed text as stringData and the binary value as base64 data.
    let shown = fx.shown();
    assert!(shown.contains("user: admin-user-plain"), "{shown}");
    assert!(shown.contains("password: s3cr3t-password"), "{shown}");
    assert!(shown.contains("bin: AAEC/w=="), "{shown}");

    let after = fx.encrypted();
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        ["added", "bin", "password", "user"]
    );
    assert_eq!(
        after["user"], before["user"],
        "unchanged must stay byte-identical"
    );
    assert_eq!(after["bin"], before["bin"]);
    assert_ne!(after["password"], before["password"]);
    let plain = fx.plaintext();
    assert_eq!(plain["password"], b"n3w-password");
    assert_eq!(plain["added"], b"brand-new");
    assert_eq!(plain["user"], b"admin-user-plain");
    assert_eq!(plain["bin"], [0, 1, 2, 0xff]);

    let err = stderr(&out);
    assert!(err.contains("resealed added, password") && err.contains("removed token"));
    assert!(
        !err.contains("n3w-password") && !err.contains("brand-new"),
        "{err}"
    );
    fx.assert_wiped();
}

#[test]
fn no_change_leaves_the_file_alone() {
    let fx = fixture(&[]);
    let bytes = std::fs::read(&fx.sealed).unwrap();
    let mtime = std::fs::metadata(&fx.sealed).unwrap().modified().unwrap();
    let out = fx.edit_with_keys("keep");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("no changes"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&fx.sealed).unwrap(), bytes);
    assert_eq!(
        std::fs::metadata(&fx.sealed).unwrap().modified().unwrap(),
        mtime
    );
    fx.assert_wiped();
}

#[test]
fn editor_failure_aborts_and_wipes() {
    let fx = fixture(&[]);
    let bytes = std::fs::read(&fx.sealed).unwrap();
    let out = fx.edit_with_keys("fail");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("status 3"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&fx.sealed).unwrap(), bytes);
    fx.assert_wiped();
}

#[test]
fn unparsable_edit_names_the_line_and_keeps_nothing() {
    let fx = fixture(&[]);
    let bytes = std::fs::read(&fx.sealed).unwrap();
    fx.replacement(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: prod}\nstringData:\n  password: \"n3w-password\n",
    );
    let out = fx.edit_with_keys("replace");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("line"), "{err}");
    for value in ["n3w-password", "s3cr3t-password", "admin-user-plain"] {
        assert!(!err.contains(value), "{err}");
    }
    assert_eq!(std::fs::read(&fx.sealed).unwrap(), bytes);
    fx.assert_wiped();
}

#[test]
fn sigterm_wipes_and_exits_130() {
    let fx = fixture(&[]);
    let bytes = std::fs::read(&fx.sealed).unwrap();
    let out = fx.edit_with_keys("term");
    assert_eq!(
        out.status.code(),
        Some(130),
        "signal {:?}: {}",
        out.status.signal(),
        stderr(&out)
    );
    assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&fx.sealed).unwrap(), bytes);
    fx.assert_wiped();
}

#[test]
fn placeholders_without_keys_keep_hidden_values() {
    let fx = fixture(&["--scope", "namespace-wide"]);
    let before = fx.encrypted();
    fx.replacement(
        "apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: prod
stringData:
  user: '<sealed: unchanged>'
  bin: '<sealed: unchanged>'
  password: n3w-password
  added: brand-new
",
    );
    let out = fx.edit("replace", &["--cert", path_str(&keypair().cert)]);
    assert!(out.status.success(), "{}", stderr(&out));

    let shown = fx.shown();
    assert!(shown.contains("<sealed: unchanged>"), "{shown}");
    for value in ["s3cr3t-password", "admin-user-plain", "tok-123-plain"] {
        assert!(!shown.contains(value), "{shown}");
    }
    let after = fx.encrypted();
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        ["added", "bin", "password", "user"]
    );
    assert_eq!(after["user"], before["user"]);
    assert_eq!(after["bin"], before["bin"]);
    // Resealed with the file's own (namespace-wide) scope: the whole file still opens.
    let plain = fx.plaintext();
    assert_eq!(plain["password"], b"n3w-password");
    assert_eq!(plain["added"], b"brand-new");
    assert_eq!(plain["user"], b"admin-user-plain");
    fx.assert_wiped();
}

#[test]
fn placeholder_mode_needs_a_certificate_before_the_editor_opens() {
    let fx = fixture(&[]);
    let out = fx.edit("keep", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--cert"), "{}", stderr(&out));
    assert!(
        !fx.side.join("path").exists(),
        "the editor must not have run"
    );
    drop(fx.dir);
}

/// `edit --from-cluster`: plaintext from the live Secret in a fake API server (over real
/// HTTP, through a kubeconfig), used only when its digest shows it was made from the file.
mod from_cluster {
    use super::*;
    use k8s_openapi::{ByteString, api::core::v1::Secret};
    use kube::api::{ObjectMeta, PostParams};
    use sealant_api::digest::{SEALED_DIGEST, sealed_digest};

    /// The fake API server (kept running on its runtime) and a kubeconfig pointing at it.
    struct Cluster {
        _runtime: tokio::runtime::Runtime,
        client: kube::Client,
        kubeconfig: PathBuf,
        runtime: tokio::runtime::Handle,
    }

    fn cluster(dir: &Path) -> Cluster {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let fake = runtime.block_on(fakekube::FakeKube::start(0)).unwrap();
        let kubeconfig = dir.join("kubeconfig");
        std::fs::write(&kubeconfig, fakekube::kubeconfig(&fake.url())).unwrap();
        let client = runtime.block_on(async {
            kube::Client::try_from(kube::Config::new(fake.url().parse().unwrap())).unwrap()
        });
        // The server task lives on the runtime; leak the handle so it is never dropped.
        std::mem::forget(fake);
        Cluster {
            client,
            kubeconfig,
            runtime: runtime.handle().clone(),
            _runtime: runtime,
        }
    }

    /// Store the Secret a controller would have made from the fixture's file: its values,
    /// and `digest` (the file's own unless a test says otherwise).
    fn deploy(c: &Cluster, fx: &Fixture, digest: Option<String>) {
        let text = std::fs::read_to_string(&fx.sealed).unwrap();
        let sealed = sealant_api::parse_documents(&text).unwrap()[0]
            .to_sealed_secret()
            .unwrap();
        let digest = digest.unwrap_or_else(|| sealed_digest(&sealed));
        let data = fx
            .plaintext()
            .into_iter()
            .map(|(k, v)| (k, ByteString(v)))
            .collect();
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some("db".into()),
                namespace: Some("prod".into()),
                annotations: Some([(SEALED_DIGEST.to_owned(), digest)].into()),
                ..ObjectMeta::default()
            },
            data: Some(data),
            ..Secret::default()
        };
        let api: kube::Api<Secret> = kube::Api::namespaced(c.client.clone(), "prod");
        c.runtime
            .block_on(api.create(&PostParams::default(), &secret))
            .unwrap();
    }

    fn edit_from_cluster(c: &Cluster, fx: &Fixture, mode: &str) -> Output {
        fx.edit(
            mode,
            &[
                "--from-cluster",
                "--kubeconfig",
                path_str(&c.kubeconfig),
                "--cert",
                path_str(&keypair().cert),
            ],
        )
    }

    #[test]
    fn shows_live_values_and_reseals_only_what_changed() {
        let fx = fixture(&[]);
        let c = cluster(fx.dir.path());
        deploy(&c, &fx, None);
        let before = fx.encrypted();
        fx.replacement(
            "apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: prod
stringData:
  user: admin-user-plain
  password: from-cluster-new
  token: tok-123-plain
data:
  bin: AAEC/w==
",
        );
        let out = edit_from_cluster(&c, &fx, "replace");
        assert!(out.status.success(), "{}", stderr(&out));
        let shown = fx.shown();
        assert!(shown.contains("password: s3cr3t-password"), "{shown}");
        assert!(shown.contains("bin: AAEC/w=="), "{shown}");
        let after = fx.encrypted();
        for unchanged in ["user", "token", "bin"] {
            assert_eq!(after[unchanged], before[unchanged], "{unchanged}");
        }
        assert_ne!(after["password"], before["password"]);
        assert_eq!(fx.plaintext()["password"], b"from-cluster-new");
        assert!(
            !fx.side.join("link").exists()
                || std::fs::read(fx.side.join("link"))
                    .unwrap()
                    .iter()
                    .all(|b| *b == 0)
        );
    }

    #[test]
    fn a_secret_from_another_version_is_refused_and_the_file_kept() {
        let fx = fixture(&[]);
        let c = cluster(fx.dir.path());
        deploy(&c, &fx, Some("sha256:0000".into()));
        let before = std::fs::read(&fx.sealed).unwrap();
        let out = edit_from_cluster(&c, &fx, "keep");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains("Secret prod/db") && err.contains("different version"),
            "{err}"
        );
        for value in ["s3cr3t-password", "admin-user-plain", "tok-123-plain"] {
            assert!(!err.contains(value), "{err}");
        }
        assert!(
            !fx.side.join("path").exists(),
            "the editor must not have opened"
        );
        assert_eq!(std::fs::read(&fx.sealed).unwrap(), before);
    }

    #[test]
    fn a_missing_secret_names_the_object() {
        let fx = fixture(&[]);
        let c = cluster(fx.dir.path());
        let out = edit_from_cluster(&c, &fx, "keep");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert!(err.contains("Secret prod/db does not exist"), "{err}");
    }
}
