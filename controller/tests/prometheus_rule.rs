//! The PrometheusRule sample (deploy/components/prometheus-rule) against a running
//! controller: every metric an alert's expression names, and every label value it selects
//! with `=`, must be one the controller's /metrics really serves. Renaming a metric or a
//! label value without updating the rule fails here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use serde_json::Value;
use std::path::Path;

const RULE_FILE: &str = "deploy/components/prometheus-rule/prometheusrule.yaml";
/// Our metric names start with one of these (Bitnami's, then sealant's own).
const PREFIXES: [&str; 2] = ["sealed_secrets_controller_", "sealant_"];

/// One metric selector in an expression: the name and its `label="value"` equality matchers.
#[derive(Debug)]
struct Selector {
    name: String,
    equals: Vec<(String, String)>,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// Every selector of one of our metrics in `expr`. Names are found by prefix at a word
/// start; a following `{...}` is read for `label="value"` matchers (`!=`, `=~`, `!~` are
/// not equalities and are skipped).
fn selectors(expr: &str) -> Vec<Selector> {
    let mut found = Vec::new();
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let at_word_start = i == 0 || !is_name_char(chars[i - 1]);
        let rest: String = chars[i..].iter().collect();
        if at_word_start && PREFIXES.iter().any(|p| rest.starts_with(p)) {
            let name: String = rest.chars().take_while(|c| is_name_char(*c)).collect();
            i += name.chars().count();
            let mut equals = Vec::new();
            if chars.get(i) == Some(&'{') {
                let close = chars[i..].iter().position(|c| *c == '}').unwrap() + i;
                let body: String = chars[i + 1..close].iter().collect();
                for matcher in body.split(',').map(str::trim).filter(|m| !m.is_empty()) {
                    if let Some((label, value)) = matcher.split_once('=')
                        && !label.ends_with('!')
                        && !value.starts_with('~')
                    {
                        equals.push((
                            label.trim().to_owned(),
                            value.trim().trim_matches('"').to_owned(),
                        ));
                    }
                }
                i = close + 1;
            }
            found.push(Selector { name, equals });
        } else {
            i += 1;
        }
    }
    found
}

/// The sample lines of an exposition, as (series name, label text).
fn samples(body: &str) -> Vec<(String, String)> {
    body.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let end = l.find(['{', ' ']).unwrap_or(l.len());
            let labels = match l[end..].strip_prefix('{') {
                Some(rest) => rest[..rest.find('}').unwrap_or(0)].to_owned(),
                None => String::new(),
            };
            (l[..end].to_owned(), labels)
        })
        .collect()
}

fn rules() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join(RULE_FILE);
    let rule: Value = serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(rule["apiVersion"], "monitoring.coreos.com/v1");
    assert_eq!(rule["kind"], "PrometheusRule");
    rule["spec"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_array().unwrap().clone())
        .collect()
}

#[test]
fn the_expression_reader_finds_names_and_equalities() {
    let found = selectors(
        "sum without (outcome) (increase(sealant_reconciles_total{outcome=\"stalled\", x!=\"y\"}[30m])) > 0 and sealant_leader",
    );
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].name, "sealant_reconciles_total");
    assert_eq!(
        found[0].equals,
        [("outcome".to_owned(), "stalled".to_owned())]
    );
    assert_eq!(found[1].name, "sealant_leader");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_an_alert_uses_is_served() {
    let rules = rules();
    let alerts: Vec<&str> = rules.iter().filter_map(|r| r["alert"].as_str()).collect();
    for wanted in [
        "SealedSecretNotSynced",
        "SealantSealingKeyTooOld",
        "SealedSecretsStalled",
    ] {
        assert!(alerts.contains(&wanted), "{wanted} in {alerts:?}");
    }

    // A running controller with a key and one unsealed SealedSecret, so that every family
    // that exists only once there is something to report has series.
    let h = common::Harness::with_key('a').await;
    let (running, servers) = h.start_with_servers(&[]).await;
    common::wait_until_leading(&running).await;
    let key = common::test_key('a');
    h.create_sealed(&common::seal(
        &key,
        "team",
        "db",
        sealant_crypto::Scope::Strict,
        &[("password", "x")],
    ))
    .await;
    common::eventually(&running, "Synced", || h.all_synced("team", 1)).await;
    let url = format!("http://{}/metrics", servers.metrics_addr.unwrap());
    let body = tokio::task::spawn_blocking(move || {
        ureq::get(&url)
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap()
    })
    .await
    .unwrap();
    let served = samples(&body);

    for rule in &rules {
        let alert = rule["alert"].as_str().unwrap();
        let expr = rule["expr"].as_str().unwrap();
        let used = selectors(expr);
        assert!(
            !used.is_empty(),
            "{alert}: names none of our metrics: {expr}"
        );
        for selector in used {
            let series: Vec<&String> = served
                .iter()
                .filter(|(name, _)| *name == selector.name)
                .map(|(_, labels)| labels)
                .collect();
            assert!(
                !series.is_empty(),
                "{alert}: {} is not served by /metrics:\n{body}",
                selector.name
            );
            for (label, value) in &selector.equals {
                let wanted = format!("{label}=\"{value}\"");
                assert!(
                    series.iter().any(|labels| labels.contains(&wanted)),
                    "{alert}: no {}{{{wanted}}} series in /metrics:\n{body}",
                    selector.name
                );
            }
        }
    }
    servers.shutdown().await;
    running.shutdown().await;
}
