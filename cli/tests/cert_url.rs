//! `--cert` given as a URL: fetched over HTTP from a loopback server started by the test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use std::{
    io::{BufRead, BufReader, Write},
    net::TcpListener,
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
