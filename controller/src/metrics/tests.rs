use std::time::Duration;

use time::OffsetDateTime;

use super::*;

// 2026-04-01T12:00:00Z; any fixed instant will do.
fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_775_044_800).unwrap()
}

fn lines_with(text: &str, prefix: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

#[test]
fn one_eof_at_the_end() {
    let m = Metrics::new("1.2.3");
    let text = m.encode_at(&KeySnapshot::default(), now()).unwrap();
    assert!(text.ends_with("# EOF\n"));
    assert_eq!(text.matches("# EOF").count(), 1);
}

#[test]
fn active_key_age_is_measured_from_not_before() {
    let m = Metrics::new("1.2.3");
    let snapshot = KeySnapshot {
        active_not_before: Some(now() - time::Duration::seconds(90)),
        key_count: 3,
        usage: vec![],
        rsa_operations: 0,
        leader: true,
    };
    let text = m.encode_at(&snapshot, now()).unwrap();
    assert_eq!(lines_with(&text, "sealant_leader "), ["sealant_leader 1"]);
    assert_eq!(
        lines_with(&text, "sealant_active_key_age_seconds "),
        ["sealant_active_key_age_seconds 90.0"]
    );
    assert!(text.contains("sealant_keys{state=\"active\"} 1\n"));
    assert!(text.contains("sealant_keys{state=\"decrypt_only\"} 2\n"));
}

#[test]
fn without_keys_age_is_absent_and_counts_are_zero() {
    let m = Metrics::new("1.2.3");
    // A stale NotBefore with no keys must not produce an age.
    let snapshot = KeySnapshot {
        active_not_before: Some(now()),
        ..KeySnapshot::default()
    };
    let text = m.encode_at(&snapshot, now()).unwrap();
    assert!(!text.contains("sealant_active_key_age_seconds "));
    assert!(text.contains("sealant_keys{state=\"active\"} 0\n"));
    assert!(text.contains("sealant_keys{state=\"decrypt_only\"} 0\n"));
}

#[test]
fn label_text_is_escaped() {
    let m = Metrics::new("1.2.3");
    m.unseal_error(ErrorReason::Unseal, "a\"b\\c\nd");
    let text = m.encode_at(&KeySnapshot::default(), now()).unwrap();
    assert!(
        text.contains(r#"{reason="unseal",namespace="a\"b\\c\nd"} 1"#),
        "{text}"
    );
}

#[test]
fn changed_instance_replaces_the_series() {
    let m = Metrics::new("1.2.3");
    m.conditions().set(
        "ns",
        "s",
        "old",
        ConditionType::Synced,
        ConditionStatus::True,
    );
    m.conditions().set(
        "ns",
        "s",
        "new",
        ConditionType::Synced,
        ConditionStatus::False,
    );
    let text = m.encode_at(&KeySnapshot::default(), now()).unwrap();
    let rows = lines_with(&text, "sealed_secrets_controller_condition_info{");
    assert_eq!(
        rows,
        [
            "sealed_secrets_controller_condition_info{namespace=\"ns\",name=\"s\",condition=\"Synced\",ss_app_kubernetes_io_instance=\"new\"} -1"
        ]
    );
}

#[test]
fn reconcile_outcomes_start_at_zero() {
    let m = Metrics::new("1.2.3");
    m.reconcile_finished(ReconcileOutcome::Written, Duration::from_millis(20));
    let text = m.encode_at(&KeySnapshot::default(), now()).unwrap();
    assert!(text.contains("sealant_reconciles_total{outcome=\"unchanged\"} 0\n"));
    assert!(text.contains("sealant_reconciles_total{outcome=\"written\"} 1\n"));
    assert!(text.contains("sealant_reconciles_total{outcome=\"failed\"} 0\n"));
}

#[test]
fn certificate_repairs_start_at_zero_and_count_by_change() {
    let m = Metrics::new("1.2.3");
    let series = |change: &str| {
        format!("sealant_certificate_configmap_repairs_total{{change=\"{change}\"}}")
    };
    let text = m.encode_at(&KeySnapshot::default(), now()).unwrap();
    assert!(
        text.contains(&format!("{} 0\n", series("modified"))),
        "{text}"
    );
    assert!(
        text.contains(&format!("{} 0\n", series("deleted"))),
        "{text}"
    );
    m.certificate_configmap_repaired(ConfigMapChange::Deleted);
    m.certificate_configmap_repaired(ConfigMapChange::Deleted);
    let text = m.encode_at(&KeySnapshot::default(), now()).unwrap();
    assert!(
        text.contains(&format!("{} 0\n", series("modified"))),
        "{text}"
    );
    assert!(
        text.contains(&format!("{} 2\n", series("deleted"))),
        "{text}"
    );
}
