//! The committed CRD must be what the Rust types generate (regenerate with
//! `cargo run -p sealant-controller --bin crdgen > deploy/crd.yaml`).
#![allow(clippy::unwrap_used)]

#[test]
fn committed_crd_matches_the_types() {
    let committed = include_str!("../../deploy/crd.yaml");
    let generated = sealant_api::crd_yaml().unwrap();
    assert!(
        committed == generated,
        "deploy/crd.yaml is stale; run `cargo run -p sealant-controller --bin crdgen > deploy/crd.yaml`"
    );
}

#[test]
fn crdgen_check_mode_detects_drift() {
    let bin = env!("CARGO_BIN_EXE_crdgen");
    let dir = tempfile::tempdir().unwrap();
    let stale = dir.path().join("crd.yaml");
    std::fs::write(&stale, "---\nkind: Stale\n").unwrap();
    let status = std::process::Command::new(bin)
        .arg("--check")
        .arg(&stale)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let fresh = dir.path().join("fresh.yaml");
    std::fs::write(&fresh, sealant_api::crd_yaml().unwrap()).unwrap();
    let status = std::process::Command::new(bin)
        .arg("--check")
        .arg(&fresh)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
}
