//! `sealant edit`, driven by a shell script standing in for `$EDITOR` (and by the real vim).
//!
//! The script records the path it was given and keeps a hard link to the file, so the tests
//! can check that the plaintext file is gone afterwards *and* that its blocks were zeroed.
//! Each edit gets its own `$XDG_RUNTIME_DIR` (0700), where the scratch directory must land,
//! and a `$TMPDIR` that must stay empty.
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
printf '%s' "$PPID" > "$EDIT_SIDE/sealant_pid"
cp "$1" "$EDIT_SIDE/shown"
ln -f "$1" "$EDIT_SIDE/link"
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
  block)
    # Stay open until the test kills us; say so once everything above is recorded.
    exec >/dev/null 2>&1
    printf '%s' "$$" > "$EDIT_SIDE/editor_pid"
    : > "$EDIT_SIDE/ready"
    exec sleep 600
    ;;
esac
"#;

struct Fixture {
    dir: tempfile::TempDir,
    sealed: PathBuf,
    side: PathBuf,
    /// `$XDG_RUNTIME_DIR`: private (0700), so the scratch directory belongs here.
    tmp: PathBuf,
    /// `$TMPDIR`: the last resort, which must stay empty while a better place exists.
    tmpdir: PathBuf,
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
    let tmpdir = dir.path().join("tmpdir");
    for d in [&side, &tmp, &tmpdir] {
        std::fs::create_dir(d).unwrap();
    }
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o700)).unwrap();
    let script = write(dir.path(), "editor.sh", EDITOR);
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    Fixture {
        dir,
        sealed,
        side,
        tmp,
        tmpdir,
        script,
    }
}

impl Fixture {
    fn edit(&self, mode: &str, extra: &[&str]) -> Output {
        self.edit_recording_in(&self.side, mode, extra)
    }

    /// An edit whose editor records into `side` (so that two edits can run at once).
    fn edit_recording_in(&self, side: &Path, mode: &str, extra: &[&str]) -> Output {
        let mut args = vec!["edit", path_str(&self.sealed)];
        args.extend_from_slice(extra);
        run_env(&args, None, &self.env(side, mode, path_str(&self.script)))
    }

    fn env<'a>(
        &'a self,
        side: &'a Path,
        mode: &'a str,
        editor: &'a str,
    ) -> Vec<(&'a str, &'a str)> {
        vec![
            ("VISUAL", editor),
            ("EDITOR", editor),
            ("EDIT_SIDE", path_str(side)),
            ("EDIT_MODE", mode),
            // The scratch directory lands here, on the same filesystem as the hard link.
            ("XDG_RUNTIME_DIR", path_str(&self.tmp)),
            ("TMPDIR", path_str(&self.tmpdir)),
        ]
    }

    /// `sealant edit` of the fixture's file, opened with the test private key.
    fn edit_args_with_keys(&self) -> [&str; 4] {
        [
            "edit",
            path_str(&self.sealed),
            "--private-key",
            path_str(&keypair().key),
        ]
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
        let out = unseal_with(&keypair().key, &self.sealed);
        assert!(out.status.success(), "{}", stderr(&out));
        let doc = documents(&stdout(&out)).remove(0);
        let data: BTreeMap<String, String> = serde_json::from_value(doc["data"].clone()).unwrap();
        data.into_iter()
            .map(|(k, v)| (k, base64_decode(&v)))
            .collect()
    }

    /// The editor's file is gone, its private directory too, and its blocks were zeroed.
    fn assert_wiped(&self) {
        let recorded = scratch_dir_of(&self.side);
        assert!(
            recorded.starts_with(&self.tmp),
            "not in $XDG_RUNTIME_DIR: {}",
            recorded.display()
        );
        assert!(!recorded.exists(), "temp dir left behind");
        assert_eq!(std::fs::read_dir(&self.tmp).unwrap().count(), 0);
        assert_eq!(std::fs::read_dir(&self.tmpdir).unwrap().count(), 0);
        assert_zeroed(&self.side.join("link"));
    }
}

/// The scratch directory the editor recorded in `side`, checked to be named for the
/// sealant process that made it: `sealant-edit-<pid>-<random>`.
fn scratch_dir_of(side: &Path) -> PathBuf {
    let file = PathBuf::from(std::fs::read_to_string(side.join("path")).unwrap());
    let pid = std::fs::read_to_string(side.join("sealant_pid")).unwrap();
    let dir = file.parent().unwrap().to_path_buf();
    let name = dir.file_name().unwrap().to_str().unwrap();
    let prefix = format!("sealant-edit-{pid}-");
    assert!(
        name.starts_with(&prefix) && name.len() > prefix.len(),
        "{name} is not named for process {pid}"
    );
    dir
}

/// `link` (a hard link to the editor's file) still exists, with its blocks zeroed.
fn assert_zeroed(link: &Path) {
    let bytes = std::fs::read(link).unwrap();
    assert!(
        !bytes.is_empty() && bytes.iter().all(|b| *b == 0),
        "not zeroed"
    );
}

/// Every file under `dir` whose bytes contain `needle` (what `grep -rl` would list).
fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if meta.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                found.push(path);
            }
        }
    }
    found
}

/// The fixture's Secret as an editor saves it: `string_data` (indented lines) under
/// `stringData`, and the binary value kept as base64 `data`.
fn edited_secret(string_data: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\n\
         stringData:\n{string_data}data:\n  bin: AAEC/w==\n"
    )
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

#[test]
fn changed_added_and_removed_keys_reseal_only_what_changed() {
    let fx = fixture(&[]);
    let before = fx.encrypted();
    fx.replacement(&edited_secret(
        "  user: admin-user-plain\n  password: n3w-password\n  added: brand-new\n",
    ));
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

#[test]
fn a_runtime_dir_others_can_enter_is_passed_over_for_memory() {
    let fx = fixture(&[]);
    std::fs::set_permissions(&fx.tmp, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = fx.edit_with_keys("keep");
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = scratch_dir_of(&fx.side);
    // /dev/shm is memory-backed: nothing reaches a disk. Without it, $TMPDIR.
    let expected = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        fx.tmpdir.clone()
    };
    assert_eq!(dir.parent().unwrap(), expected, "{}", dir.display());
    assert!(!dir.exists(), "temp dir left behind");
    assert_eq!(std::fs::read_dir(&fx.tmp).unwrap().count(), 0);
}

/// The real vim, as a user's `$EDITOR`, with a vimrc that keeps registers in viminfo and
/// undo, backup and swap files in `$HOME`: the deleted line must reach none of them.
#[test]
fn vim_keeps_deleted_lines_out_of_home() {
    const VIM: &str = "/usr/bin/vim";
    assert!(Path::new(VIM).is_file(), "this test needs the real {VIM}");
    let fx = fixture(&[]);
    let home = fx.dir.path().join("home");
    for d in ["undo", "backup", "swap"] {
        std::fs::create_dir_all(home.join(".vim").join(d)).unwrap();
    }
    let vimrc = write(
        &home,
        ".vimrc",
        "set nocompatible\n\
         set viminfo='100,<50,s10,h\n\
         set undofile undodir=~/.vim/undo//\n\
         set backup writebackup backupdir=~/.vim/backup//\n\
         set directory=~/.vim/swap//\n",
    );
    // Named `vim` so that sealant recognises it; records its arguments, then runs vim in
    // silent Ex mode to delete the password line and save.
    let bin = fx.dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let wrapper = write(
        &bin,
        "vim",
        &format!(
            "#!/bin/sh\n\
             printf '%s\\n' \"$@\" > \"$EDIT_SIDE/argv\"\n\
             exec {VIM} -es \"$@\" -c 'g/^  password:/d' -c wq </dev/null\n"
        ),
    );
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    // The user's own arguments (here: which vimrc) must survive.
    let editor = format!("{} -u {}", path_str(&wrapper), path_str(&vimrc));

    let mut env = fx.env(&fx.side, "vim", &editor);
    env.push(("HOME", path_str(&home)));
    let out = run_env(&fx.edit_args_with_keys(), None, &env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("removed password"),
        "{}",
        stderr(&out)
    );
    assert!(!fx.plaintext().contains_key("password"), "vim did not edit");

    for place in [&home, &fx.tmp, &fx.tmpdir] {
        let leaks = files_containing(place, PASSWORD);
        assert!(leaks.is_empty(), "plaintext left in {leaks:?}");
    }
    let argv = std::fs::read_to_string(fx.side.join("argv")).unwrap();
    let argv: Vec<&str> = argv.lines().collect();
    assert_eq!(argv[..2], ["-u", path_str(&vimrc)], "{argv:?}");
    for flag in ["-n", "-i", "NONE", "--cmd", "-c"] {
        assert!(argv.contains(&flag), "{flag} missing: {argv:?}");
    }
    let scratch_file = Path::new(argv.last().unwrap());
    assert!(scratch_file.starts_with(&fx.tmp), "{argv:?}");
}

/// `kill -9` cannot be caught: the scratch directory stays. The next `sealant edit` finds it
/// (its process is dead), zeroes it and removes it, while it leaves a live edit's alone.
#[test]
fn a_killed_edit_is_wiped_by_the_next_one() {
    let fx = fixture(&[]);
    let killed_side = fx.dir.path().join("killed");
    std::fs::create_dir(&killed_side).unwrap();
    let mut cmd = std::process::Command::new(BIN);
    cmd.args(fx.edit_args_with_keys())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    for (k, v) in fx.env(&killed_side, "block", path_str(&fx.script)) {
        cmd.env(k, v);
    }
    let mut sealant = cmd.spawn().unwrap();
    wait_for(&killed_side.join("ready"));
    let stale = scratch_dir_of(&killed_side);
    assert!(stale.starts_with(&fx.tmp), "{}", stale.display());

    // While that edit lives, another one must leave its directory alone.
    let out = fx.edit_with_keys("keep");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stale.is_dir(), "a live edit's directory was removed");

    sealant.kill().unwrap();
    sealant.wait().unwrap();
    let editor_pid = std::fs::read_to_string(killed_side.join("editor_pid")).unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-9", &editor_pid])
        .status()
        .unwrap();
    assert!(killed.success());
    // The weakness itself: nothing ran to clean up.
    assert!(
        !files_containing(&stale, PASSWORD).is_empty(),
        "the killed edit left no plaintext?"
    );

    let out = fx.edit_with_keys("keep");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stale.exists(), "stale scratch directory left behind");
    assert!(
        stderr(&out).contains("wiped 1 scratch directory"),
        "{}",
        stderr(&out)
    );
    assert!(files_containing(&fx.tmp, PASSWORD).is_empty());
    assert_zeroed(&killed_side.join("link"));
    fx.assert_wiped();
}

/// Poll for `path` (a marker the editor script writes when it is ready).
fn wait_for(path: &Path) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !path.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
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
        let (fake, client) = runtime.block_on(sealant_test_support::cluster::start_fake());
        let kubeconfig = dir.join("kubeconfig");
        std::fs::write(&kubeconfig, fakekube::kubeconfig(&fake.url())).unwrap();
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
        fx.replacement(&edited_secret(
            "  user: admin-user-plain\n  password: from-cluster-new\n  token: tok-123-plain\n",
        ));
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
