//! `sealant edit` on a v2 object with one recipient's private key (here the escrow X-Wing
//! key): changed values resealed for all the object's recipients, removed keys dropped with
//! the header no value names any more.

use super::{
    repo::Repo,
    support::{CANARY, assert_no_canary, escrow, seal_prod, stanza_key_ids, stranger},
};
use crate::common::{documents, keypair, path_str, run_env, stderr, stdout, unseal_with};
use std::os::unix::fs::PermissionsExt;

const EDITOR: &str = "#!/bin/sh\n: > \"$EDIT_SIDE/ran\"\n\
sed -i -e \"s/$CANARY_TEXT-pw/$CANARY_TEXT-changed/\" -e \"/$CANARY_TEXT-user/d\" \"$1\"\n";

#[test]
fn edit_with_the_escrow_key_reseals_for_every_recipient() {
    let repo = Repo::new();
    let out = seal_prod(&repo, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let file = repo.path("clusters/prod/db.sealed.yaml");
    let before = std::fs::read_to_string(&file).unwrap();

    let side = tempfile::tempdir().unwrap();
    let runtime = tempfile::tempdir().unwrap();
    std::fs::set_permissions(runtime.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let script = side.path().join("editor.sh");
    std::fs::write(&script, EDITOR).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let env = [
        ("VISUAL", path_str(&script)),
        ("EDITOR", path_str(&script)),
        ("EDIT_SIDE", path_str(side.path())),
        ("CANARY_TEXT", CANARY),
        ("XDG_RUNTIME_DIR", path_str(runtime.path())),
    ];

    // Hostile first: a key that is no recipient opens nothing; the editor never runs.
    let edit_with = |key: &std::path::Path| {
        run_env(
            &["edit", path_str(&file), "--private-key", path_str(key)],
            None,
            &env,
        )
    };
    let out = edit_with(&stranger().key);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_no_canary(&out);
    assert!(!side.path().join("ran").exists());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);

    let out = edit_with(&escrow().key);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_no_canary(&out);
    assert!(side.path().join("ran").exists());
    let after = std::fs::read_to_string(&file).unwrap();
    assert!(!after.contains(CANARY));
    assert_eq!(stanza_key_ids(&after), stanza_key_ids(&before));
    let data = documents(&after)[0]["spec"]["encryptedData"].clone();
    let data = data.as_object().unwrap();
    assert_eq!(
        data.keys().filter(|k| k.starts_with("sealant.v2/")).count(),
        1
    );
    assert!(!data.contains_key("user"));

    // A cluster's key opens the edited object.
    let out = unseal_with(&keypair().key, &file);
    assert!(out.status.success(), "{}", stderr(&out));
    let secret = &documents(&stdout(&out))[0];
    use base64::Engine;
    let password = base64::engine::general_purpose::STANDARD
        .decode(secret["data"]["password"].as_str().unwrap())
        .unwrap();
    assert_eq!(password, format!("{CANARY}-changed").as_bytes());
}
