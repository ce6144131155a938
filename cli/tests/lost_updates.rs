//! Lost updates: a rewrite never replaces a file that changed after sealant read it.
//! `merge-into` reads its Secret before the file, so two concurrent runs both land; `edit`
//! refuses to write back over a change made while the editor was open, keeps the change, and
//! keeps the user's edit only in sealed form. Real binary, real files, real processes.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use std::{
    io::Write,
    os::unix::fs::PermissionsExt,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

fn secret(pairs: &[(&str, &str)]) -> String {
    let mut text =
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\nstringData:\n"
            .to_owned();
    for (k, v) in pairs {
        text.push_str(&format!("  {k}: {v}\n"));
    }
    text
}

/// The decrypted `stringData`-style view of the SealedSecret in `file`: key → value.
fn opened(file: &Path) -> std::collections::BTreeMap<String, String> {
    let out = run(
        &[
            "unseal",
            "--private-key",
            path_str(&keypair().key),
            "-f",
            path_str(file),
            "-o",
            "json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    doc["data"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(v.as_str().unwrap())
                .unwrap();
            (k.clone(), String::from_utf8(bytes).unwrap())
        })
        .collect()
}

fn sealed_file(dir: &Path, pairs: &[(&str, &str)]) -> std::path::PathBuf {
    let out = run(
        &["seal", "--cert", path_str(&keypair().cert)],
        Some(secret(pairs).as_bytes()),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    write(dir, "sealed.yaml", &stdout(&out))
}

/// Whether process `pid` is blocked in `read(0, …)`: waiting for its stdin. On x86_64 and
/// aarch64 `/proc/PID/syscall` starts with the syscall number and the first argument.
fn reading_stdin(pid: u32) -> bool {
    #[cfg(target_arch = "x86_64")]
    const READ: &str = "0";
    #[cfg(target_arch = "aarch64")]
    const READ: &str = "63";
    let Ok(line) = std::fs::read_to_string(format!("/proc/{pid}/syscall")) else {
        return false;
    };
    let mut fields = line.split_whitespace();
    fields.next() == Some(READ) && fields.next() == Some("0x0")
}

fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::yield_now();
    }
}

#[test]
fn concurrent_merge_into_runs_lose_no_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = sealed_file(dir.path(), &[("password", "hunter2")]);
    let merge_args = [
        "merge-into",
        path_str(&file),
        "--cert",
        path_str(&keypair().cert),
    ];

    // Run A starts first and is held at its stdin until run B has finished.
    let mut first = Command::new(BIN)
        .args(merge_args)
        .env_remove("SEALANT_CERT")
        .env_remove("KUBECONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = first.id();
    wait_until("run A to wait for its stdin", || reading_stdin(pid));

    let second = run(&merge_args, Some(secret(&[("token", "t0ken")]).as_bytes()));
    assert!(second.status.success(), "run B: {}", stderr(&second));

    let mut stdin = first.stdin.take().unwrap();
    stdin
        .write_all(secret(&[("user", "admin")]).as_bytes())
        .unwrap();
    drop(stdin);
    let first = first.wait_with_output().unwrap();
    assert!(first.status.success(), "run A: {}", stderr(&first));

    let values = opened(&file);
    assert_eq!(
        values.keys().map(String::as_str).collect::<Vec<_>>(),
        ["password", "token", "user"],
        "every key lands"
    );
    assert_eq!(values["token"], "t0ken");
    assert_eq!(values["user"], "admin");
}

/// Stands in for `$EDITOR`: changes the password in the buffer (in place, so its temporary
/// file stays in the private directory), and meanwhile another `merge-into` adds a key to the
/// file being edited.
const EDITOR: &str = r#"#!/bin/sh
sed -i 's/s3cr3t-password/n3w-password/' "$1" || exit 9
"$SEALANT" merge-into "$TARGET" --cert "$CERT" < "$MERGED" || exit 9
"#;

#[test]
fn edit_refuses_to_overwrite_a_change_made_while_the_editor_was_open() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&work).unwrap();
    std::fs::create_dir(&tmp).unwrap();
    // Private, so that edit accepts it as its runtime directory as well as its TMPDIR.
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o700)).unwrap();
    let file = sealed_file(&work, &[("password", "s3cr3t-password"), ("user", "admin")]);
    let script = write(dir.path(), "editor.sh", EDITOR);
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let merged = write(dir.path(), "merged.yaml", &secret(&[("token", "t0ken")]));

    let out = run_env(
        &[
            "edit",
            path_str(&file),
            "--private-key",
            path_str(&keypair().key),
        ],
        None,
        &[
            ("VISUAL", path_str(&script)),
            ("EDITOR", path_str(&script)),
            ("TMPDIR", path_str(&tmp)),
            ("XDG_RUNTIME_DIR", path_str(&tmp)),
            ("SEALANT", BIN),
            ("TARGET", path_str(&file)),
            ("CERT", path_str(&keypair().cert)),
            ("MERGED", path_str(&merged)),
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(path_str(&file)) && err.contains("changed"),
        "{err}"
    );
    assert!(
        !err.contains("n3w-password") && !err.contains("s3cr3t"),
        "{err}"
    );

    // The concurrent change survives, and the file still holds the old password.
    let now = opened(&file);
    assert_eq!(now["token"], "t0ken");
    assert_eq!(now["password"], "s3cr3t-password");

    // The edit is not silently lost: sealed, in a file the error names.
    let kept: Vec<_> = std::fs::read_dir(&work)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p != &file)
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(err.contains(path_str(&kept[0])), "{err}");
    let edited = opened(&kept[0]);
    assert_eq!(edited["password"], "n3w-password");
    assert_eq!(edited["user"], "admin");

    // No plaintext anywhere: not in the kept file, not in a scratch file.
    for path in [&file, &kept[0]] {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(
            !text.contains("n3w-password") && !text.contains("s3cr3t-password"),
            "{}",
            path.display()
        );
    }
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0, "scratch wiped");
}
