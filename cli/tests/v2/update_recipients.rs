//! `sealant reencrypt --update-recipients` and `merge-into` on v2 objects: recipients follow
//! the creation rule; values stay byte for byte; a recipient set that is not the object's is
//! refused with nothing written.

use super::{
    repo::Repo,
    support::{
        CANARY, assert_no_canary, escrow, run_in, seal_prod, stanza_key_ids, stranger, xwing_key_id,
    },
};
use crate::common::{documents, keypair, other_keypair, path_str, stderr, stdout, unseal_with};

fn encrypted(text: &str) -> serde_json::Map<String, serde_json::Value> {
    documents(text)[0]["spec"]["encryptedData"]
        .as_object()
        .unwrap()
        .clone()
}

fn seal_without_escrow(repo: &Repo) -> std::path::PathBuf {
    let out = seal_prod(
        repo,
        &[
            "--recipient",
            "keys/cluster-a.pem",
            "--recipient",
            "keys/cluster-b.pem",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    repo.path("clusters/prod/db.sealed.yaml")
}

#[test]
fn update_recipients_adds_the_escrow_key_and_leaves_values_alone() {
    let repo = Repo::new();
    let file = seal_without_escrow(&repo);
    let before = std::fs::read_to_string(&file).unwrap();

    // Hostile first: a key that is no recipient cannot re-wrap; the file is not touched.
    let out = run_in(
        repo.root(),
        &[
            "reencrypt",
            "--update-recipients",
            "--private-key",
            path_str(&stranger().key),
            "clusters/prod/db.sealed.yaml",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_no_canary(&out);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);

    // With cluster B's key (one current recipient).
    let out = run_in(
        repo.root(),
        &[
            "reencrypt",
            "--update-recipients",
            "--private-key",
            path_str(&other_keypair().key),
            "clusters/prod/db.sealed.yaml",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_no_canary(&out);
    let after = std::fs::read_to_string(&file).unwrap();
    assert_eq!(stanza_key_ids(&after), super::support::prod_rule_key_ids());
    let (old, new) = (encrypted(&before), encrypted(&after));
    for key in ["password", "user"] {
        assert_eq!(old[key], new[key], "value {key} untouched");
    }
    // The escrow key now opens it offline.
    let out = unseal_with(&escrow().key, &file);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains(CANARY));
    // And `check` is content.
    let out = run_in(
        repo.root(),
        &["check", "clusters/prod/db.sealed.yaml"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    // Already right: nothing to do, file unchanged.
    let out = run_in(
        repo.root(),
        &[
            "reencrypt",
            "--update-recipients",
            "--private-key",
            path_str(&escrow().key),
            "clusters/prod/db.sealed.yaml",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), after);
}

#[test]
fn merge_into_keeps_the_object_recipients_or_refuses() {
    let repo = Repo::new();
    let file = seal_without_escrow(&repo);
    let before = std::fs::read_to_string(&file).unwrap();
    let addition = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\nstringData:\n  token: {CANARY}-token\n"
    );

    // Hostile: the rule now names the escrow key too, which the object is not sealed for.
    let out = run_in(
        repo.root(),
        &["merge-into", "clusters/prod/db.sealed.yaml"],
        Some(addition.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&xwing_key_id(&escrow().public)), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert_no_canary(&out);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);

    // The object's own recipients, named on the command line: merged under a new header.
    let out = run_in(
        repo.root(),
        &[
            "merge-into",
            "clusters/prod/db.sealed.yaml",
            "--recipient",
            "keys/cluster-b.pem",
            "--recipient",
            "keys/cluster-a.pem",
        ],
        Some(addition.as_bytes()),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let after = std::fs::read_to_string(&file).unwrap();
    let data = encrypted(&after);
    assert_eq!(
        data.keys().filter(|k| k.starts_with("sealant.v2/")).count(),
        2
    );
    assert_eq!(encrypted(&before)["password"], data["password"]);
    let out = unseal_with(&keypair().key, &file);
    assert!(out.status.success(), "{}", stderr(&out));
    let secret = &documents(&stdout(&out))[0];
    assert!(secret["data"]["token"].is_string());
}
