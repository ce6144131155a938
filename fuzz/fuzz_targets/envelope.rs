//! Envelope open with a real (TEST-ONLY) key, structure-aware.
//!
//! * `open` of the raw fuzzer bytes under any label must fail: forging a value without the
//!   public key's help is impossible, so an `Ok` is a broken integrity check.
//! * seal → open under the same label returns the plaintext (round trip);
//! * the sealed value never opens under a different label (scope/namespace/name);
//! * any change to the sealed bytes (flip, truncate, extend) makes it fail to open.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sealant_crypto::{Label, Scope, open, seal};
use sealant_fuzz::{Tamper, key_a};

#[derive(Arbitrary, Debug)]
struct Target {
    scope: u8,
    namespace: String,
    name: String,
}

impl Target {
    fn label(&self) -> Option<Label> {
        let scope = Scope::ALL[usize::from(self.scope) % Scope::ALL.len()];
        scope.label(&self.namespace, &self.name).ok()
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    sealed_for: Target,
    opened_as: Target,
    plaintext: Vec<u8>,
    tamper: Tamper,
    raw: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let key = key_a();
    let (Some(label), Some(other)) = (input.sealed_for.label(), input.opened_as.label()) else {
        return;
    };

    // Arbitrary bytes are never a valid envelope for any label.
    assert!(
        open(key, &label, &input.raw).is_err(),
        "fuzzer bytes opened: integrity check broken"
    );

    let Ok(sealed) = seal(key.public_key(), &label, &input.plaintext) else {
        panic!("seal failed for a valid label");
    };
    let mut tampered = sealed.clone();
    if input.tamper.apply(&mut tampered) {
        assert!(open(key, &label, &tampered).is_err(), "tampered value opened");
        return;
    }
    match open(key, &label, &sealed) {
        Ok(p) => assert_eq!(
            p.as_bytes(),
            input.plaintext.as_slice(),
            "round trip changed the plaintext"
        ),
        Err(e) => panic!("round trip failed: {e}"),
    }
    if other != label {
        assert!(
            open(key, &other, &sealed).is_err(),
            "opened under a label it was not sealed for: {label:?} vs {other:?}"
        );
    }
});
