//! `spec.template.data` templates: parse plus render against decrypted values, with small caps.
//!
//! * never panics;
//! * a rendered value never exceeds `max_key_bytes` nor `max_secret_bytes`;
//! * a template that fails the value-free check also fails to render;
//! * every value carries a canary plaintext; no error (Display or Debug) contains it.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sealant_api::{
    RenderLimits, SecretBytes, check_template_with_limits, render_template_with_limits,
};
use sealant_fuzz::CANARY;
use std::collections::BTreeMap;

#[derive(Arbitrary, Debug)]
struct Input {
    template: String,
    /// Key names and the non-canary part of each value.
    values: Vec<(String, Vec<u8>)>,
    max_key_bytes: u16,
    max_secret_bytes: u16,
    max_actions: u8,
    max_work_bytes: u32,
}

fuzz_target!(|input: Input| {
    let limits = RenderLimits {
        max_key_bytes: usize::from(input.max_key_bytes % 4096),
        max_secret_bytes: usize::from(input.max_secret_bytes % 8192),
        max_actions: usize::from(input.max_actions % 64),
        max_work_bytes: (input.max_work_bytes % 65536) as usize,
    };
    let mut values = BTreeMap::new();
    for (key, tail) in input.values.iter().take(8) {
        // The canary at both ends, so a prefix or suffix of a value carries it as well.
        let mut value = CANARY.as_bytes().to_vec();
        value.extend_from_slice(tail);
        value.extend_from_slice(CANARY.as_bytes());
        values.insert(key.clone(), SecretBytes::from_vec(value));
    }
    // A template may legitimately contain the canary text itself (and errors quote the
    // template), so the plaintext check only applies when it does not.
    let mut visible = input.template.clone();
    input.values.iter().for_each(|(k, _)| visible.push_str(k));
    let template_has_canary = visible.contains(CANARY);

    let checked = check_template_with_limits("k", &input.template, &limits);
    match render_template_with_limits("k", &input.template, &values, &limits) {
        Ok(out) => {
            assert!(
                checked.is_ok(),
                "renders, but the value-free check refused it"
            );
            assert!(
                out.len() <= limits.max_key_bytes && out.len() <= limits.max_secret_bytes,
                "rendered {} bytes past the caps {limits:?}",
                out.len()
            );
        }
        Err(e) => {
            let shown = format!("{e}\n{e:?}");
            if !template_has_canary {
                assert!(
                    !shown.contains(CANARY),
                    "render error holds plaintext: {shown}"
                );
                // Any 8-byte slice of the canary is as bad.
                for w in CANARY.as_bytes().windows(8) {
                    let w = std::str::from_utf8(w).unwrap_or_default();
                    assert!(
                        !shown.contains(w) || visible.contains(w),
                        "render error holds part of the plaintext ({w}): {shown}"
                    );
                }
            }
        }
    }
    if let Err(e) = checked {
        let shown = format!("{e}\n{e:?}");
        assert!(
            !shown.contains(CANARY) || template_has_canary,
            "check error holds a value: {shown}"
        );
    }
});
