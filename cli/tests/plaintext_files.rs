//! Files that hold plaintext (`unseal -w`, kubeseal `--recovery-unseal -w`) are owner-only
//! (0600) whether new or replaced, and a symlink at the destination is refused: the link and
//! whatever it points to are left exactly as they were. Real binary, real files.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{files::*, *};
use std::{
    os::unix::fs::{PermissionsExt, symlink},
    path::Path,
};

fn unseal_to(sealed: &Path, output: &Path) -> std::process::Output {
    run(
        &[
            "unseal",
            "--private-key",
            path_str(&keypair().key),
            "-f",
            path_str(sealed),
            "-w",
            path_str(output),
        ],
        None,
    )
}

#[test]
fn unseal_over_a_world_readable_file_leaves_it_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let sealed = sealed_file(dir.path(), "sealed.yaml", SECRET_YAML);
    let output = write(dir.path(), "plain.yaml", "old: contents\n");
    std::fs::set_permissions(&output, std::fs::Permissions::from_mode(0o644)).unwrap();

    let out = unseal_to(&sealed, &output);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(&output)
            .unwrap()
            .contains("password")
    );
    assert_eq!(
        mode(&output),
        0o600,
        "plaintext must not stay world-readable"
    );
    assert!(strays(dir.path(), &["sealed.yaml", "plain.yaml"]).is_empty());
}

#[test]
fn unseal_to_a_new_file_is_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let sealed = sealed_file(dir.path(), "sealed.yaml", SECRET_YAML);
    let output = dir.path().join("new.yaml");
    let out = unseal_to(&sealed, &output);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&output), 0o600);
}

#[test]
fn kubeseal_recovery_unseal_over_a_world_readable_file_leaves_it_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let sealed = sealed_file(dir.path(), "sealed.yaml", SECRET_YAML);
    let output = write(dir.path(), "plain.json", "{}\n");
    std::fs::set_permissions(&output, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = kubeseal(
        &[
            "--recovery-unseal",
            "--recovery-private-key",
            path_str(&keypair().key),
            "-f",
            path_str(&sealed),
            "-w",
            path_str(&output),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(&output)
            .unwrap()
            .contains("password")
    );
    assert_eq!(mode(&output), 0o600);
}

#[test]
fn unseal_refuses_a_symlink_destination_and_leaves_its_target_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let sealed = sealed_file(dir.path(), "sealed.yaml", SECRET_YAML);
    let target = write(outside.path(), "shared.yaml", "someone else's file\n");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
    let link = dir.path().join("plain.yaml");
    symlink(&target, &link).unwrap();

    let out = unseal_to(&sealed, &link);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(path_str(&link)) && err.contains("symlink"),
        "{err}"
    );
    assert!(!err.contains(USER) && !err.contains(PASSWORD), "{err}");
    // The link is still a link to the same place, and its target is unchanged.
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_link(&link).unwrap(), target);
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "someone else's file\n"
    );
    assert_eq!(mode(&target), 0o644);
    assert!(strays(dir.path(), &["sealed.yaml", "plain.yaml"]).is_empty());
    assert!(strays(outside.path(), &["shared.yaml"]).is_empty());
}

#[test]
fn unseal_refuses_a_dangling_symlink_destination() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let sealed = sealed_file(dir.path(), "sealed.yaml", SECRET_YAML);
    let target = outside.path().join("not-yet.yaml");
    let link = dir.path().join("plain.yaml");
    symlink(&target, &link).unwrap();

    let out = unseal_to(&sealed, &link);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains(path_str(&link)), "{}", stderr(&out));
    assert!(!target.exists(), "nothing is created through the link");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(strays(outside.path(), &[]).is_empty());
}

#[test]
fn unseal_refuses_a_hard_linked_destination() {
    let dir = tempfile::tempdir().unwrap();
    let sealed = sealed_file(dir.path(), "sealed.yaml", SECRET_YAML);
    let output = write(dir.path(), "plain.yaml", "old: contents\n");
    let other_name = dir.path().join("other-name.yaml");
    std::fs::hard_link(&output, &other_name).unwrap();

    let out = unseal_to(&sealed, &output);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(path_str(&output)) && err.contains("hard link"),
        "{err}"
    );
    assert!(!err.contains(USER) && !err.contains(PASSWORD), "{err}");
    for name in [&output, &other_name] {
        assert_eq!(std::fs::read_to_string(name).unwrap(), "old: contents\n");
    }
    assert!(
        strays(
            dir.path(),
            &["sealed.yaml", "plain.yaml", "other-name.yaml"]
        )
        .is_empty()
    );
}

#[test]
fn unseal_over_another_users_file_keeps_its_owner() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let sealed = sealed_file(dir.path(), "sealed.yaml", SECRET_YAML);
    let output = write(dir.path(), "plain.yaml", "old: contents\n");
    // Only root can give a file away; otherwise the file is ours and stays ours.
    let _ = std::os::unix::fs::chown(&output, Some(4242), Some(4343));
    let before = std::fs::metadata(&output).unwrap();

    let out = unseal_to(&sealed, &output);
    assert!(out.status.success(), "{}", stderr(&out));
    let after = std::fs::metadata(&output).unwrap();
    assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
    assert_eq!(mode(&output), 0o600);
}
