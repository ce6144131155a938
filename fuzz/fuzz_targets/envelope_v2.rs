//! Envelope v2 parsing and opening, structure-aware, with a TEST-ONLY X-Wing key.
//!
//! * arbitrary bytes as a header never panic and never open (a forged header needs the data
//!   key, which only the recipients' private keys give);
//! * seal → open under the same binding returns the plaintext;
//! * a different binding (scope, namespace, name, key name, template meaning) never opens;
//! * any change to the header or value bytes (flip, truncate, extend) never opens.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sealant_crypto::{
    Backend, Scope, XWingPrivateKey, encode_base64,
    v2::{Binding, OpenedHeader, Recipient, RecipientKey, Sealer, TemplateMeaning, parse_header},
};
use sealant_fuzz::{Tamper, key_a};
use std::sync::OnceLock;

fn xwing() -> &'static XWingPrivateKey {
    static KEY: OnceLock<XWingPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| match XWingPrivateKey::from_seed(&[7u8; 32]) {
        Ok(key) => key,
        Err(e) => panic!("TEST-ONLY X-Wing key: {e}"),
    })
}

/// Which part of the sealed object the fuzzer changes.
#[derive(Arbitrary, Debug)]
enum Tampered {
    Header(Tamper),
    Value(Tamper),
}

#[derive(Arbitrary, Debug, PartialEq)]
struct Target {
    scope: u8,
    namespace: String,
    name: String,
    key: String,
    secret_type: Option<String>,
    data: Vec<(String, Option<String>)>,
}

impl Target {
    fn binding(&self) -> Option<Binding> {
        let scope = Scope::ALL[usize::from(self.scope) % Scope::ALL.len()];
        let meaning = TemplateMeaning {
            secret_type: self.secret_type.as_deref(),
            data: self.data.iter().map(|(k, v)| (k.as_str(), v.as_deref())).collect(),
            scope_annotations: vec![],
        };
        Binding::new(scope, &self.namespace, &self.name, meaning.digest()).ok()
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    sealed_for: Target,
    opened_as: Target,
    plaintext: Vec<u8>,
    tamper: Tampered,
    raw_header: Vec<u8>,
}

fn v2(bytes: &[u8]) -> String {
    format!("sealant:v2:{}", encode_base64(bytes))
}

fuzz_target!(|input: Input| {
    let key = RecipientKey::XWing(xwing());
    if let Ok(header) = parse_header("sealant.v2/0000000000000000", &v2(&input.raw_header)) {
        assert!(
            !matches!(OpenedHeader::unwrap(Backend::preferred(), &header, key), Ok(Some(_))),
            "fuzzer bytes opened as a header"
        );
    }

    let (Some(binding), Some(other)) = (input.sealed_for.binding(), input.opened_as.binding())
    else {
        return;
    };
    let recipients = [Recipient::XWing(xwing().public_key()), Recipient::Rsa(key_a().public_key())];
    let Ok(sealer) = Sealer::new(Backend::preferred(), &recipients) else {
        panic!("sealing for two distinct recipients failed");
    };
    let Ok(value) = sealer.seal(&binding, &input.sealed_for.key, &input.plaintext) else {
        panic!("sealing a value failed");
    };
    let mut header = sealer.header().to_bytes();
    let mut value_bytes = match sealant_crypto::v2::from_v2_string(&value) {
        Ok(bytes) => bytes,
        Err(e) => panic!("own value does not decode: {e}"),
    };
    let tampered = match &input.tamper {
        Tampered::Header(tamper) => tamper.apply(&mut header),
        Tampered::Value(tamper) => tamper.apply(&mut value_bytes),
    };
    let opened = parse_header(&sealer.header_key(), &v2(&header))
        .ok()
        .and_then(|h| OpenedHeader::unwrap(Backend::preferred(), &h, key).ok().flatten())
        .and_then(|h| h.open(&binding, &input.sealed_for.key, &v2(&value_bytes)).ok());
    if tampered {
        assert!(opened.is_none(), "tampered header or value opened");
        return;
    }
    match opened {
        Some(p) => assert_eq!(p.as_bytes(), input.plaintext.as_slice(), "round trip changed it"),
        None => panic!("round trip failed"),
    }
    if input.opened_as != input.sealed_for {
        let header = parse_header(&sealer.header_key(), &sealer.header_string());
        let reopened = header
            .ok()
            .and_then(|h| OpenedHeader::unwrap(Backend::preferred(), &h, key).ok().flatten())
            .and_then(|h| h.open(&other, &input.opened_as.key, &value).ok());
        // Different targets may still bind equally (fields a scope does not bind, entry order).
        let same_binding = format!("{binding:?}") == format!("{other:?}")
            && input.opened_as.key == input.sealed_for.key;
        assert!(reopened.is_none() || same_binding, "opened under another binding");
    }
});
