//! Issue 17 "done when", at the command line: a repository sealed for two clusters plus an
//! escrow key opens with each cluster's key and offline with the escrow key; a tampered
//! `template.data` never opens, with the same message as a wrong key.

use super::{
    repo::Repo,
    support::{CANARY, assert_no_canary, escrow, seal_prod, stranger},
};
use crate::common::{documents, keypair, other_keypair, stderr, stdout, unseal_with};

fn sealed_prod(repo: &Repo) -> std::path::PathBuf {
    let out = seal_prod(repo, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_no_canary(&out);
    repo.path("clusters/prod/db.sealed.yaml")
}

#[test]
fn tampered_template_data_never_opens_and_fails_like_a_wrong_key() {
    let repo = Repo::new();
    let sealed = sealed_prod(&repo);
    let text = std::fs::read_to_string(&sealed).unwrap();

    // Hostile: route the password into a new key through template.data.
    let tampered_text = text.replacen(
        "  template:\n",
        "  template:\n    data:\n      stolen: '{{ .password }}'\n",
        1,
    );
    assert_ne!(
        tampered_text, text,
        "the fixture has a template to tamper with"
    );
    // Same path for both cases, so that only the failure itself can differ.
    let case = repo.path("clusters/prod/case.yaml");
    std::fs::write(&case, &text).unwrap();
    let with_wrong_key = unseal_with(&stranger().key, &case);
    std::fs::write(&case, &tampered_text).unwrap();
    let with_tamper = unseal_with(&escrow().key, &case);
    for out in [&with_tamper, &with_wrong_key] {
        assert_eq!(out.status.code(), Some(1), "{}", stderr(out));
        assert!(out.stdout.is_empty());
        assert_no_canary(out);
    }
    // The whole message is the same either way: nothing says which check failed.
    assert_eq!(stderr(&with_tamper), stderr(&with_wrong_key));
    let tampered = case;

    // Also with each cluster's RSA key.
    for key in [&keypair().key, &other_keypair().key] {
        let out = unseal_with(key, &tampered);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert_no_canary(&out);
    }
}

#[test]
fn sealed_for_two_clusters_and_escrow_opens_with_each_key() {
    let repo = Repo::new();
    let sealed = sealed_prod(&repo);
    let text = std::fs::read_to_string(&sealed).unwrap();
    assert!(!text.contains(CANARY));
    for key in [&keypair().key, &other_keypair().key, &escrow().key] {
        let out = unseal_with(key, &sealed);
        assert!(out.status.success(), "{}: {}", key.display(), stderr(&out));
        let secret = &documents(&stdout(&out))[0];
        let password = secret["data"]["password"].as_str().unwrap();
        use base64::Engine;
        let password = base64::engine::general_purpose::STANDARD
            .decode(password)
            .unwrap();
        assert_eq!(password, format!("{CANARY}-pw").as_bytes());
        assert!(!stderr(&out).contains(CANARY));
    }
}
