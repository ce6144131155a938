//! `sealant reencrypt --update-recipients` without a private key: the controller re-wraps
//! through `POST /v1/recipients` (the real controller, in-process, on the fake API server,
//! reached through the fake's services proxy). It wraps only for its own keys and those its
//! administrator listed with `--allowed-recipients`; a key the rule names beyond those is
//! refused with nothing written.

use super::{
    repo::Repo,
    support::{assert_no_canary, escrow, run_in, seal_prod, stanza_key_ids, xwing_key_id},
};
use crate::common::controller::{FakeCluster, fake_cluster, start_on, store_key_secret};
use crate::common::{documents, keypair, other_keypair, path_str, stderr, unseal_with};
use std::process::Output;

/// The fake cluster, its controller holding cluster A's key (the rule's first recipient),
/// started with `extra` flags.
fn cluster_a(extra: &[&str]) -> (FakeCluster, sealant_controller::Running) {
    let cluster = fake_cluster();
    let material = sealant_keys::read_private_keys(&std::fs::read(&keypair().key).unwrap())
        .unwrap()
        .remove(0);
    let certificate =
        sealant_keys::parse_certificates(&std::fs::read(&keypair().cert).unwrap()).unwrap();
    cluster.rt.block_on(store_key_secret(
        &cluster.client,
        "sealed-secrets-key",
        &material.key,
        &certificate[0],
    ));
    let running = start_on(&cluster, extra);
    (cluster, running)
}

fn update_online(repo: &Repo, cluster: &FakeCluster) -> Output {
    run_in(
        repo.root(),
        &[
            "reencrypt",
            "--update-recipients",
            "--kubeconfig",
            path_str(&cluster.kubeconfig),
            "clusters/prod/db.sealed.yaml",
        ],
        None,
    )
}

fn values(text: &str) -> Vec<(String, serde_json::Value)> {
    documents(text)[0]["spec"]["encryptedData"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| !k.starts_with("sealant.v2/"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[test]
fn the_controller_wraps_only_for_keys_its_administrator_allowed() {
    let repo = Repo::new();
    // Sealed for clusters A and B; the rule also names the escrow key.
    let out = seal_prod(
        &repo,
        &[
            "--recipient",
            "keys/cluster-a.pem",
            "--recipient",
            "keys/cluster-b.pem",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let file = repo.path("clusters/prod/db.sealed.yaml");
    let before = std::fs::read_to_string(&file).unwrap();

    // Hostile first: cluster B is allowed, the escrow key is not. Nothing is written.
    let cluster_b = repo.path("keys/cluster-b.pem");
    let (cluster, running) =
        cluster_a(&[&format!("--allowed-recipients={}", path_str(&cluster_b))]);
    let out = update_online(&repo, &cluster);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("may not wrap for"), "{said}");
    // Described from the rule: kind, key id and where the key came from.
    let escrow_id = xwing_key_id(&escrow().public);
    assert!(said.contains(&format!("x-wing {escrow_id}")), "{said}");
    assert!(said.contains("keys/escrow.pem"), "{said}");
    assert_no_canary(&out);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
    cluster.rt.block_on(running.shutdown());
    drop(cluster);

    // The administrator allows the escrow key too (a directory, as a mounted ConfigMap).
    let allowed = tempfile::tempdir().unwrap();
    std::fs::copy(&cluster_b, allowed.path().join("cluster-b.pem")).unwrap();
    std::fs::copy(&escrow().public, allowed.path().join("escrow.pem")).unwrap();
    let (cluster, _running) = cluster_a(&[&format!(
        "--allowed-recipients={}",
        path_str(allowed.path())
    )]);
    let out = update_online(&repo, &cluster);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_no_canary(&out);
    let after = std::fs::read_to_string(&file).unwrap();
    assert_eq!(stanza_key_ids(&after), super::support::prod_rule_key_ids());
    assert_eq!(values(&before), values(&after), "values stay byte for byte");
    // The escrow key now opens it offline, and so does cluster B's.
    for key in [&escrow().key, &other_keypair().key] {
        let out = unseal_with(key, &file);
        assert!(out.status.success(), "{}", stderr(&out));
    }
}

/// A stand-in for whatever answers behind the services proxy: every request gets `status`
/// with a JSON `Status` body, as the API server's own refusals look.
fn stand_in(status: &'static str) -> std::net::SocketAddr {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut length = 0usize;
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let reply = format!(
                r#"{{"kind":"Status","apiVersion":"v1","status":"Failure","message":"{status} from the stand-in","code":{}}}"#,
                &status[..3]
            );
            let _ = write!(
                reader.get_mut(),
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            );
        }
    });
    addr
}

#[test]
fn an_api_server_403_or_a_controller_without_the_route_is_not_a_refusal_of_recipients() {
    let repo = Repo::new();
    let out = seal_prod(
        &repo,
        &[
            "--recipient",
            "keys/cluster-a.pem",
            "--recipient",
            "keys/cluster-b.pem",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let file = repo.path("clusters/prod/db.sealed.yaml");
    let before = std::fs::read_to_string(&file).unwrap();
    for (status, says) in [
        ("403 Forbidden", "403 Forbidden from the stand-in"),
        ("404 Not Found", "give --private-key"),
    ] {
        let cluster = fake_cluster();
        let _running = cluster
            .rt
            .block_on(crate::common::controller::start_controller(
                &cluster.fake,
                cluster.client.clone(),
                Some(stand_in(status)),
            ));
        let out = update_online(&repo, &cluster);
        // Not reaching the controller's answer: exit 3, as for any proxy failure.
        assert_eq!(out.status.code(), Some(3), "{status}: {}", stderr(&out));
        let said = stderr(&out);
        assert!(said.contains(says), "{status}: {said}");
        assert!(!said.contains("may not wrap for"), "{status}: {said}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
    }
}
