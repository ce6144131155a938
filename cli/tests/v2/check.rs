//! `sealant check` on v2 objects: structure (headers parse, values name present headers, no
//! orphan header, mixed v1/v2) and recipients against the creation rule ("escrow key
//! missing"), naming key ids and files, never values.

use super::{
    repo::Repo,
    support::{assert_no_canary, escrow, run_in, stranger, xwing_key_id},
};
use crate::common::{stderr, stdout};

fn seal(repo: &Repo, extra: &[&str]) -> String {
    let mut args = vec!["seal", "-f", "clusters/prod/db.yaml"];
    args.extend(extra);
    let out = run_in(repo.root(), &args, None);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

fn check(repo: &Repo, file: &str, text: &str) -> std::process::Output {
    std::fs::write(repo.path(file), text).unwrap();
    let out = run_in(repo.root(), &["check", file], None);
    assert_no_canary(&out);
    out
}

/// The line of `text` holding the v2 header entry.
fn header_line(text: &str) -> String {
    text.lines()
        .find(|l| l.trim_start().starts_with("sealant.v2/"))
        .unwrap()
        .to_owned()
}

#[test]
fn broken_v2_structure_is_reported() {
    let repo = Repo::new();
    let good = seal(&repo, &[]);
    let out = check(&repo, "clusters/prod/good.yaml", &good);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );

    // Header removed: every value names a header the object does not hold.
    let headerless = good.replace(&format!("{}\n", header_line(&good)), "");
    let out = check(&repo, "clusters/prod/headerless.yaml", &headerless);
    assert_eq!(out.status.code(), Some(1));
    let report = stdout(&out);
    assert!(report.contains("sealed-v2-structure"), "{report}");
    assert!(
        report.contains("\"password\"") && report.contains("does not hold"),
        "{report}"
    );

    // Header truncated.
    let line = header_line(&good);
    let truncated = good.replace(&line, &line[..line.len() - 40]);
    let out = check(&repo, "clusters/prod/truncated.yaml", &truncated);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("malformed"), "{}", stdout(&out));

    // A second, orphan header (from another seal) no value names.
    let other = seal(&repo, &[]);
    let orphan = good.replace(&line, &format!("{line}\n{}", header_line(&other)));
    let out = check(&repo, "clusters/prod/orphan.yaml", &orphan);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("named by no value"),
        "{}",
        stdout(&out)
    );

    // A v1 value beside v2 ones: reported (a warning).
    let v1 = run_in(
        repo.root(),
        &[
            "seal",
            "-f",
            "clusters/prod/db.yaml",
            "--cert",
            "keys/cluster-a.pem",
        ],
        None,
    );
    let v1_text = stdout(&v1);
    let v1_user = v1_text
        .lines()
        .find(|l| l.trim_start().starts_with("user:"))
        .unwrap();
    let good_user = good
        .lines()
        .find(|l| l.trim_start().starts_with("user:"))
        .unwrap();
    let mixed = good.replace(good_user, v1_user);
    let out = check(&repo, "clusters/prod/mixed.yaml", &mixed);
    assert!(stdout(&out).contains("sealed-v2-mixed"), "{}", stdout(&out));
}

#[test]
fn recipients_that_differ_from_the_rule_are_named_by_key_id() {
    let repo = Repo::new();
    // Sealed before the escrow key was added to the rule.
    let without_escrow = seal(
        &repo,
        &[
            "--recipient",
            "keys/cluster-a.pem",
            "--recipient",
            "keys/cluster-b.pem",
        ],
    );
    let out = check(&repo, "clusters/prod/no-escrow.yaml", &without_escrow);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = stdout(&out);
    assert!(report.contains("sealed-v2-recipients"), "{report}");
    assert!(
        report.contains(&format!(
            "missing x-wing {}",
            xwing_key_id(&escrow().public)
        )),
        "{report}"
    );
    assert!(report.contains("keys/escrow.pem"), "{report}");

    // A stanza for a key the rule does not name.
    let stranger_public = stranger().public.to_str().unwrap().to_owned();
    let extra = seal(
        &repo,
        &[
            "--recipient",
            "keys/cluster-a.pem",
            "--recipient",
            "keys/cluster-b.pem",
            "--recipient",
            "keys/escrow.pem",
            "--recipient",
            &stranger_public,
        ],
    );
    let out = check(&repo, "clusters/prod/extra.yaml", &extra);
    assert_eq!(out.status.code(), Some(1));
    let report = stdout(&out);
    assert!(
        report.contains(&format!(
            "not in the rule x-wing {}",
            xwing_key_id(&stranger().public)
        )),
        "{report}"
    );
    assert!(!report.contains("missing"), "{report}");
}
