#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn bin_prints_usable_kubeconfig() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fakekube"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut server = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(s) = line.trim().strip_prefix("server: ") {
            server = Some(s.to_string());
        }
        if line.starts_with("current-context") {
            break;
        }
    }
    let server = server.unwrap();
    let client = kube::Client::try_from(kube::Config::new(server.parse().unwrap())).unwrap();
    let v = client.apiserver_version().await;
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(v.unwrap().major, "1");
}
