//! In-place rewrites of files people commit (`reencrypt`, `merge-into`, `seal -w`) and links,
//! permissions and owners: a symlink is written through to the file it names (the link
//! stays), a hard-linked or read-only file is refused and left alone, and a replaced file
//! keeps its owner, group and mode. Real binary, real files.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{files::*, *};
use std::{
    os::unix::fs::{MetadataExt, PermissionsExt, symlink},
    path::{Path, PathBuf},
};

/// A SealedSecret `prod/name` holding one password, sealed with the test key (key A) into
/// `dir/file`.
fn sealed_password(dir: &Path, file: &str, name: &str) -> PathBuf {
    sealed_file(
        dir,
        file,
        &secret_manifest("prod", name, &[("password", "hunter2")]),
    )
}

/// `reencrypt` of `tree`, which must succeed rewriting one file with one value; its stderr.
fn reencrypt_one_value(tree: &Path) -> String {
    let out = reencrypt_offline(&[], &[tree]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("1 file(s) rewritten, 0 unchanged, 0 failed; 1 value(s)"),
        "{err}"
    );
    err
}

/// Whether `key` opens every value of the SealedSecret in `file`.
fn opens_with(file: &Path, key: &Path) -> bool {
    unseal_with(key, file).status.success()
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path)
        .unwrap()
        .file_type()
        .is_symlink()
}

#[test]
fn reencrypt_writes_through_a_symlink_to_a_file_outside_the_tree() {
    let tree = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let real = sealed_password(outside.path(), "shared.yaml", "db");
    let link = tree.path().join("db.yaml");
    symlink(&real, &link).unwrap();

    let err = reencrypt_one_value(tree.path());
    // The run says where the bytes went.
    assert!(
        err.contains(path_str(&link)) && err.contains(path_str(&real)),
        "{err}"
    );
    assert!(is_symlink(&link), "the link is still a link");
    assert_eq!(std::fs::read_link(&link).unwrap(), real);
    assert!(
        opens_with(&real, &other_keypair().key),
        "the real file is under key B"
    );
    assert!(!opens_with(&real, &keypair().key));
    assert!(strays(tree.path(), &["db.yaml"]).is_empty());
    assert!(strays(outside.path(), &["shared.yaml"]).is_empty());
}

#[test]
fn a_link_inside_the_tree_and_its_target_are_one_file() {
    let tree = tempfile::tempdir().unwrap();
    let real = sealed_password(tree.path(), "db.yaml", "db");
    let link = tree.path().join("alias.yaml");
    symlink("db.yaml", &link).unwrap();

    reencrypt_one_value(tree.path());
    assert!(is_symlink(&link));
    assert!(opens_with(&real, &other_keypair().key));
}

#[test]
fn reencrypt_refuses_a_hard_linked_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = sealed_password(dir.path(), "db.yaml", "db");
    let other_name = dir.path().join("copy.txt");
    std::fs::hard_link(&file, &other_name).unwrap();
    let before = std::fs::read(&file).unwrap();
    let ino = std::fs::metadata(&file).unwrap().ino();
    let fine = sealed_password(dir.path(), "fine.yaml", "fine");

    let out = reencrypt_offline(&[], &[&file, &fine]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(path_str(&file)) && err.contains("hard link"),
        "{err}"
    );
    assert!(
        err.contains("1 file(s) rewritten, 0 unchanged, 1 failed"),
        "{err}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), before);
    assert_eq!(std::fs::metadata(&file).unwrap().ino(), ino, "not split");
    assert_eq!(std::fs::metadata(&other_name).unwrap().ino(), ino);
    assert!(opens_with(&fine, &other_keypair().key), "other files go on");
    assert!(strays(dir.path(), &["db.yaml", "copy.txt", "fine.yaml"]).is_empty());
}

#[test]
fn reencrypt_refuses_a_read_only_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = sealed_password(dir.path(), "db.yaml", "db");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = std::fs::read(&file).unwrap();

    let out = reencrypt_offline(&[], &[&file]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(path_str(&file)) && err.contains("read-only"),
        "{err}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), before);
    assert_eq!(mode(&file), 0o444);
    assert!(strays(dir.path(), &["db.yaml"]).is_empty());
}

/// Whether this process may give files away (root): then the test hands the file to another
/// owner first, as a checkout owned by a user and rewritten by root would be.
fn give_away(path: &Path) -> Option<(u32, u32)> {
    let (uid, gid) = (4242, 4343);
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .ok()
        .map(|()| (uid, gid))
}

#[test]
fn reencrypt_keeps_owner_group_and_mode() {
    let dir = tempfile::tempdir().unwrap();
    let file = sealed_password(dir.path(), "db.yaml", "db");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let owner = give_away(&file);
    let before = std::fs::metadata(&file).unwrap();

    let out = reencrypt_offline(&[], &[&file]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(opens_with(&file, &other_keypair().key));
    let after = std::fs::metadata(&file).unwrap();
    assert_eq!(
        (after.uid(), after.gid()),
        (before.uid(), before.gid()),
        "owner kept (given away first: {owner:?})"
    );
    assert_eq!(mode(&file), 0o640);
}

#[test]
fn merge_into_writes_through_a_symlink_and_keeps_the_owner() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let real = sealed_password(outside.path(), "db.yaml", "db");
    let owner = give_away(&real);
    let link = dir.path().join("db.yaml");
    symlink(&real, &link).unwrap();

    let out = run(
        &[
            "merge-into",
            path_str(&link),
            "--cert",
            path_str(&keypair().cert),
        ],
        Some(secret_manifest("prod", "db", &[("token", "t0ken")]).as_bytes()),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(is_symlink(&link));
    assert_eq!(std::fs::read_link(&link).unwrap(), real);
    let doc = documents(&std::fs::read_to_string(&real).unwrap()).remove(0);
    let keys: Vec<_> = doc["spec"]["encryptedData"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, ["password", "token"]);
    if let Some(owner) = owner {
        let meta = std::fs::metadata(&real).unwrap();
        assert_eq!((meta.uid(), meta.gid()), owner);
    }
    assert!(strays(dir.path(), &["db.yaml"]).is_empty());
    assert!(strays(outside.path(), &["db.yaml"]).is_empty());
}

#[test]
fn seal_to_a_symlink_writes_the_file_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let real = write(outside.path(), "db.yaml", "old\n");
    let link = dir.path().join("db.yaml");
    symlink(&real, &link).unwrap();

    let out = run(
        &[
            "seal",
            "--cert",
            path_str(&keypair().cert),
            "-w",
            path_str(&link),
        ],
        Some(secret_manifest("prod", "db", &[("password", "hunter2")]).as_bytes()),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(is_symlink(&link));
    assert!(opens_with(&real, &keypair().key));
}
