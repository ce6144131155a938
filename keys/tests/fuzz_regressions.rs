//! Inputs the fuzzer (fuzz/, target `keyfiles`) found, kept as ordinary tests so the stable
//! suite guards them without the nightly toolchain.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sealant_keys::{parse_certificates, read_private_keys};

/// Key material glued onto the BEGIN line (a file whose newlines were lost) made the whole
/// line the "label", and every PEM error quoted the label: the error printed the key.
#[test]
fn pem_errors_do_not_quote_key_material_on_the_begin_line() {
    let body = "MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB";
    let inputs = [
        // no END line
        format!("-----BEGIN RSA PRIVATE KEY-----{body}-----\n"),
        // END with a different label
        format!("-----BEGIN RSA PRIVATE KEY-----{body}-----\n-----END RSA PRIVATE KEY-----\n"),
        // matching (garbage) label, body not base64
        format!("-----BEGIN X{body}-----\n!!\n-----END X{body}-----\n"),
    ];
    for input in &inputs {
        let key_error = read_private_keys(input.as_bytes()).unwrap_err();
        let cert_error = parse_certificates(input.as_bytes()).unwrap_err();
        for shown in [
            format!("{key_error} {key_error:?}"),
            format!("{cert_error} {cert_error:?}"),
        ] {
            assert!(!shown.contains(body), "error quotes key material: {shown}");
        }
    }
}
