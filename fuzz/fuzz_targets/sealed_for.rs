//! The sealed-for hint (`sealant.dev/sealed-for` annotation), which `sealant check` and the
//! controller read from untrusted manifests.
//!
//! * text → parse → format → parse gives the same hint, and formatting is then stable;
//! * a hint built from Kubernetes-valid names formats to text that parses back to it.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use sealant_api::SealedFor;
use sealant_crypto::{Fingerprint, Scope};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(hint) = SealedFor::parse(text) {
            let canonical = hint.to_string();
            match SealedFor::parse(&canonical) {
                Ok(again) => {
                    assert_eq!(hint, again, "format → parse changed the hint: {canonical}");
                    assert_eq!(canonical, again.to_string(), "formatting is not stable");
                }
                Err(e) => panic!("our own canonical hint does not parse ({e}): {canonical}"),
            }
        }
    }

    let mut u = Unstructured::new(data);
    let Ok(built) = build(&mut u) else { return };
    let text = built.to_string();
    match SealedFor::parse(&text) {
        Ok(again) => assert_eq!(built, again, "build → format → parse changed it: {text}"),
        Err(e) => panic!("hint for valid names does not parse ({e}): {text}"),
    }
});

/// A hint for names the API server accepts (DNS-1123 subdomain characters); the namespace
/// is empty only for cluster-wide, as `SealedFor::of` produces.
fn build(u: &mut Unstructured<'_>) -> arbitrary::Result<SealedFor> {
    let scope = Scope::ALL[usize::from(u8::arbitrary(u)?) % Scope::ALL.len()];
    let fingerprint = Fingerprint::of_spki_der(<&[u8]>::arbitrary(u)?);
    let namespace = k8s_name(u)?;
    let name = k8s_name(u)?;
    if name.is_empty() || (namespace.is_empty() && scope != Scope::ClusterWide) {
        return Err(arbitrary::Error::IncorrectFormat);
    }
    Ok(SealedFor {
        fingerprint,
        scope,
        namespace,
        name,
    })
}

fn k8s_name(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789.-";
    let len = u.int_in_range(0..=253usize)?;
    (0..len)
        .map(|_| Ok(char::from(*u.choose(CHARS)?)))
        .collect()
}
