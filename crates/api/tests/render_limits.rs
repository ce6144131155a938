//! Template output is bounded (issue 12, section 3): the caps of the default limits stop a
//! hostile template before it allocates, and leave Secrets the API server would accept alone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{opener, sealed_with};
use sealant_api::{ApiError, SealedSecret, unseal};
use std::time::{Duration, Instant};

const MIB: usize = 1024 * 1024;

fn with_template(values: &[(&str, &[u8])], templates: &[(&str, String)]) -> SealedSecret {
    let mut ss = sealed_with(values);
    for (key, text) in templates {
        ss.spec
            .template
            .data
            .insert((*key).to_owned(), Some(text.clone()));
    }
    ss
}

fn template_error(ss: &SealedSecret) -> String {
    match unseal(ss, &mut opener()) {
        Ok(secret) => panic!(
            "rendered {} bytes (expected a cap error)",
            secret.data.values().map(|v| v.len()).sum::<usize>()
        ),
        Err(e @ ApiError::Template { .. }) => e.to_string(),
        Err(other) => panic!("expected a template error, got: {other}"),
    }
}

/// The reproduction from the issue: a 106 KB object whose template repeats `{{.v}}` 4,000
/// times against a 50 KB value rendered about 200 MB.
#[test]
fn repeated_value_stops_at_the_cap() {
    let value = vec![b'v'; 50 * 1024];
    let template = "{{.v}}".repeat(4_000);
    let ss = with_template(&[("v", &value)], &[("leak", template)]);
    let started = Instant::now();
    let shown = template_error(&ss);
    // Generous: the cap stops it after about 20 copies of the value.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        shown.contains("\"leak\"") && shown.contains("cap"),
        "names the key and the cap: {shown}"
    );
    assert!(!shown.contains("vvvv"), "{shown}");
}

#[test]
fn growing_pipeline_stops_at_the_cap() {
    // Each `quote` doubles a run of backslashes: 12 of them make 4 MiB of 1 KiB.
    let value = vec![b'\\'; 1024];
    let template = format!("{{{{ .v{} }}}}", " | quote".repeat(12));
    let ss = with_template(&[("v", &value)], &[("leak", template)]);
    let shown = template_error(&ss);
    assert!(shown.contains("cap"), "{shown}");
}

#[test]
fn all_templates_together_stop_at_the_secret_cap() {
    // Each key alone is well under the per-key cap; together they pass 1 MiB.
    let value = vec![b'x'; 200 * 1024];
    let templates: Vec<(&str, String)> = ["a", "b", "c", "d", "e", "f"]
        .into_iter()
        .map(|k| (k, "{{ .v }}".to_owned()))
        .collect();
    let ss = with_template(&[("v", &value)], &templates);
    let shown = template_error(&ss);
    assert!(shown.contains("cap") && shown.contains("Secret"), "{shown}");
}

#[test]
fn too_many_actions_is_refused() {
    let ss = with_template(&[("v", b"x")], &[("k", "{{ .v }}".repeat(1_001))]);
    let shown = template_error(&ss);
    assert!(
        shown.contains("actions") && shown.contains("1000"),
        "{shown}"
    );
}

#[test]
fn secrets_within_the_caps_still_render() {
    // 600 KB rendered into the key it replaces: the Secret stays under 1 MiB.
    let value = vec![b'x'; 600 * 1024];
    let ss = with_template(&[("v", &value)], &[("v", "{{ .v }}".to_owned())]);
    let secret = unseal(&ss, &mut opener()).unwrap();
    assert_eq!(secret.data["v"].len(), value.len());

    // 1,000 actions is allowed.
    let ss = with_template(&[("v", b"x")], &[("k", "{{ .v }}".repeat(1_000))]);
    let secret = unseal(&ss, &mut opener()).unwrap();
    assert_eq!(secret.data["k"].len(), 1_000);

    // Exactly 1 MiB of Secret data in total.
    let half = vec![b'y'; MIB / 2];
    let ss = with_template(&[("v", &half)], &[("w", "{{ .v }}".to_owned())]);
    let secret = unseal(&ss, &mut opener()).unwrap();
    assert_eq!(secret.data["w"].len() + secret.data["v"].len(), MIB);
}
