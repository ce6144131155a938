//! `--cert` given as a URL: fetched over HTTP from a loopback server started by the test.
//! Redirects are followed hop by hop, and every hop must pass the same rule as the first
//! URL (https, or plain http to a loopback address); no traffic leaves the loopback range.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use std::{
    io::{BufRead, BufReader, Write},
    net::TcpListener,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

/// Serve `body` with `status` to exactly one request, on an ephemeral loopback port.
fn serve_once(status: &'static str, body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        // Read the request head up to the blank line.
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap() > 2 {
            line.clear();
        }
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .unwrap();
        stream.write_all(&body).unwrap();
    });
    format!("http://{addr}/v1/cert.pem")
}

#[test]
fn seals_with_a_certificate_fetched_from_a_url() {
    let url = serve_once("200 OK", std::fs::read(&keypair().cert).unwrap());
    let out = run(&["seal", "--cert", &url], Some(SECRET_YAML.as_bytes()));
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let plain = run(
        &[
            "unseal",
            "--private-key",
            path_str(&keypair().key),
            "-o",
            "json",
        ],
        Some(text.as_bytes()),
    );
    assert!(plain.status.success(), "{}", stderr(&plain));
}

#[test]
fn a_failing_url_names_the_url_and_status() {
    let url = serve_once("404 Not Found", b"nope".to_vec());
    let out = run(&["seal", "--cert", &url], Some(SECRET_YAML.as_bytes()));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains(&url) && err.contains("404"), "{err}");
}

/// A loopback server answering every request with `status`, extra `headers` and `body`,
/// counting the connections it accepted.
fn serve_all(
    status: &'static str,
    headers: String,
    body: Vec<u8>,
) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            count.fetch_add(1, Ordering::SeqCst);
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 2 {
                line.clear();
            }
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    (addr, accepted)
}

fn redirect_to(location: &str) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    serve_all("302 Found", format!("Location: {location}\r\n"), Vec::new())
}

#[test]
fn a_redirect_to_plain_http_off_loopback_is_refused_before_connecting() {
    // 0.0.0.0 is not a loopback address, but on this host a connection to it reaches the
    // listener on 127.0.0.1: had the redirect been followed, that listener would see it (and
    // serve a valid certificate), while no packet leaves the machine.
    let (decoy, decoy_hits) = serve_all(
        "200 OK",
        String::new(),
        std::fs::read(&keypair().cert).unwrap(),
    );
    let target = format!("http://0.0.0.0:{}/v1/cert.pem", decoy.port());
    let (first, first_hits) = redirect_to(&target);
    let url = format!("http://{first}/v1/cert.pem");

    let out = run(&["seal", "--cert", &url], Some(SECRET_YAML.as_bytes()));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "nothing is sealed");
    let err = stderr(&out);
    assert!(
        err.contains(&target) && err.contains("loopback") && err.contains("redirect"),
        "{err}"
    );
    assert_eq!(first_hits.load(Ordering::SeqCst), 1);
    assert_eq!(
        decoy_hits.load(Ordering::SeqCst),
        0,
        "the refused hop must not be connected to"
    );
}

#[test]
fn a_redirect_to_another_loopback_url_is_followed() {
    let (second, second_hits) = serve_all(
        "200 OK",
        String::new(),
        std::fs::read(&keypair().cert).unwrap(),
    );
    let (first, first_hits) = redirect_to(&format!("http://{second}/v1/cert.pem"));
    let url = format!("http://{first}/start");
    let out = run(&["seal", "--cert", &url], Some(SECRET_YAML.as_bytes()));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("kind: SealedSecret"));
    assert_eq!(first_hits.load(Ordering::SeqCst), 1);
    assert_eq!(second_hits.load(Ordering::SeqCst), 1);
}

#[test]
fn a_relative_redirect_is_resolved_against_the_url_it_came_from() {
    // A scheme-relative Location (`//host:port/path`) takes the scheme of the URL it came
    // from.
    let (cert_server, cert_hits) = serve_all(
        "200 OK",
        String::new(),
        std::fs::read(&keypair().cert).unwrap(),
    );
    let (first, _) = redirect_to(&format!("//{cert_server}/v1/cert.pem"));
    let out = run(
        &["seal", "--cert", &format!("http://{first}/start")],
        Some(SECRET_YAML.as_bytes()),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(cert_hits.load(Ordering::SeqCst), 1);
}

#[test]
fn a_redirect_loop_stops_and_says_so() {
    let (looping, hits) = redirect_to("/again");
    let url = format!("http://{looping}/start");
    let out = run(&["seal", "--cert", &url], Some(SECRET_YAML.as_bytes()));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&url) && err.contains("redirects"), "{err}");
    // The first request and five redirects followed, then it stops.
    assert_eq!(hits.load(Ordering::SeqCst), 6);
}
