//! The fake Kubernetes API server (`sealant-fakekube`) as the CLI and controller tests and
//! benchmarks start it, and the local ports they need.

/// Start the fake API server on a free port of 127.0.0.1, and a client for it (must be
/// called inside a tokio runtime, as every kube client).
pub async fn start_fake() -> (fakekube::Running, kube::Client) {
    let fake = fakekube::FakeKube::start(0)
        .await
        .expect("the fake API server starts on a free port");
    let client = client(&fake);
    (fake, client)
}

/// A plain client for the fake at `fake` (no credentials, as the fake wants none); inside a
/// tokio runtime.
pub fn client(fake: &fakekube::Running) -> kube::Client {
    kube::Client::try_from(kube::Config::new(
        fake.url().parse().expect("the fake's URL is a URI"),
    ))
    .expect("a client for the fake")
}

/// A port of 127.0.0.1 that was free a moment ago: for a program that binds it next, or for
/// an address where nothing listens.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}
