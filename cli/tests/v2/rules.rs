//! `.sealant.yaml` creation rules picked by `sealant seal`: hostile files first.

use super::{
    repo::{RULES, Repo},
    support::{
        CANARY, assert_no_canary, cert_key_id, escrow, run_in, stanza_key_ids, xwing_key_id,
    },
};
use crate::common::{keypair, other_keypair, path_str, stderr, stdout};

fn seal_prod(repo: &Repo) -> std::process::Output {
    run_in(repo.root(), &["seal", "-f", "clusters/prod/db.yaml"], None)
}

#[test]
fn hostile_rules_files_are_refused_naming_the_file_and_the_rule() {
    let cases: Vec<(String, &str)> = vec![
        (
            format!("{RULES}  - path: 'x/**'\n    recipients: [keys/cluster-a.pem]\n    recipent: [typo]\n"),
            "creation_rules[2]",
        ),
        ("creation_rule:\n  - recipients: [keys/cluster-a.pem]\n".into(), "creation_rule"),
        (format!("# {}\n{RULES}", "x".repeat(70 * 1024)), "larger than"),
        (
            "creation_rules:\n  - recipients: [keys/cluster-a.pem, keys/escrow.pem]\n".into(),
            "creation_rules[0]",
        ),
        (
            "creation_rules:\n  - recipients: [keys/escrow.pem]\n    format: v3\n".into(),
            "v3",
        ),
        (
            "creation_rules:\n  - path: 'clusters/[x'\n    recipients: [keys/escrow.pem]\n".into(),
            "creation_rules[0]",
        ),
        (
            // A private key named as a recipient: refused, and never echoed.
            "creation_rules:\n  - recipients: [keys/escrow-private.pem]\n    format: v2\n".into(),
            "private key",
        ),
        (
            // Recipient files are repository content too: bounded, regular files only.
            "creation_rules:\n  - recipients: [keys/huge.pem]\n    format: v2\n".into(),
            "larger than",
        ),
        (
            "creation_rules:\n  - recipients: [/dev/null]\n    format: v2\n".into(),
            "not a regular file",
        ),
        (
            "creation_rules:\n  - path: 'elsewhere/**'\n    recipients: [keys/escrow.pem]\n    format: v2\n".into(),
            "no creation rule matches",
        ),
    ];
    for (rules, expected) in cases {
        let repo = Repo::with_rules(&rules);
        std::fs::copy(&escrow().key, repo.path("keys/escrow-private.pem")).unwrap();
        std::fs::write(repo.path("keys/huge.pem"), vec![b'A'; 2 << 20]).unwrap();
        let out = seal_prod(&repo);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{expected}: {err}");
        assert!(
            err.contains(".sealant.yaml") || expected == "private key",
            "{err}"
        );
        assert!(err.contains(expected), "wanted {expected:?} in {err}");
        assert!(out.stdout.is_empty(), "nothing sealed: {}", stdout(&out));
        assert!(!err.contains("BEGIN SEALANT XWING PRIVATE KEY"), "{err}");
        let private = std::fs::read_to_string(&escrow().key).unwrap();
        let seed_line = private.lines().nth(1).unwrap();
        assert!(!err.contains(seed_line), "private key echoed: {err}");
        assert_no_canary(&out);
    }
}

#[test]
fn seal_in_a_repository_picks_the_rule_recipients_without_flags() {
    let repo = Repo::new();
    let a = cert_key_id(&keypair().cert);
    let b = cert_key_id(&other_keypair().cert);
    let e = xwing_key_id(&escrow().public);
    let mut all = vec![a.clone(), b.clone(), e.clone()];
    all.sort();

    // From the repository root, from a subdirectory, and from outside it: the rule found by
    // walking up from the input file decides, not the working directory.
    for (cwd, file) in [
        (
            repo.root().to_path_buf(),
            "clusters/prod/db.yaml".to_owned(),
        ),
        (repo.path("clusters/prod"), "db.yaml".to_owned()),
        (
            std::env::temp_dir(),
            path_str(&repo.path("clusters/prod/db.yaml")).to_owned(),
        ),
    ] {
        let out = run_in(&cwd, &["seal", "-f", &file], None);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_no_canary(&out);
        assert_eq!(stanza_key_ids(&stdout(&out)), all, "from {}", cwd.display());
        assert!(
            stderr(&out).contains("creation_rules[0]"),
            "{}",
            stderr(&out)
        );
    }

    // stdin matches the -w output file.
    let secret = std::fs::read(repo.path("clusters/prod/db.yaml")).unwrap();
    let out = run_in(
        repo.root(),
        &["seal", "-w", "clusters/prod/db.sealed.yaml"],
        Some(&secret),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let written = std::fs::read_to_string(repo.path("clusters/prod/db.sealed.yaml")).unwrap();
    assert_eq!(stanza_key_ids(&written), all);
    assert!(!written.contains(CANARY));

    // A v1 rule: kubeseal's format for its one certificate.
    let out = run_in(repo.root(), &["seal", "-f", "dev/app.yaml"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("sealant:v2:"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains(&a[..16]),
        "sealed-for hint names cluster A"
    );

    // Flags override the rule.
    let out = run_in(
        repo.root(),
        &[
            "seal",
            "-f",
            "clusters/prod/db.yaml",
            "--cert",
            "keys/cluster-b.pem",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("sealant:v2:"));
    let out = run_in(
        repo.root(),
        &[
            "seal",
            "-f",
            "clusters/prod/db.yaml",
            "--recipient",
            "keys/escrow.pem",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stanza_key_ids(&stdout(&out)), vec![e]);
    let out = run_in(
        repo.root(),
        &[
            "seal",
            "-f",
            "clusters/prod/db.yaml",
            "--no-rules",
            "--cert",
            "keys/cluster-a.pem",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("sealant:v2:"));
    let _ = b;
}

#[test]
fn kubeseal_mode_never_reads_rules() {
    // A catch-all rule, which stdin would match.
    let repo = Repo::with_rules(&format!(
        "{RULES}  - recipients: [keys/escrow.pem]\n    format: v2\n"
    ));
    let link = crate::common::kubeseal_path();
    let mut cmd = std::process::Command::new(link);
    cmd.current_dir(repo.root());
    let secret = std::fs::read(repo.path("clusters/prod/db.yaml")).unwrap();
    // No --cert: kubeseal goes to the cluster (there is none here), never to the rules,
    // which would have sealed v2 for the repository's recipients.
    let out = crate::common::run_command(
        cmd,
        &["-o", "yaml", "--kubeconfig", "/nonexistent/kubeconfig"],
        Some(&secret),
        &[],
    );
    assert!(!out.status.success(), "{}", stdout(&out));
    assert!(!stdout(&out).contains("sealant:v2:"));
    assert!(!stderr(&out).contains(".sealant.yaml"), "{}", stderr(&out));
}
