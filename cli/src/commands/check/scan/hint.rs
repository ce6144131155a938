//! The `sealant.dev/sealed-for` hint against the object as it stands now.

use super::Ctx;
use crate::commands::check::{
    certs::KnownCerts,
    report::{Finding, Rule},
};
use sealant_api::{SEALED_FOR, SealedFor};
use sealant_crypto::Scope;
use std::collections::BTreeMap;

/// The parsed hint, if present; an unparsable one is a finding.
pub fn read(
    top: &BTreeMap<String, String>,
    ctx: &Ctx,
    out: &mut Vec<Finding>,
) -> Option<SealedFor> {
    match SealedFor::from_annotations(top)? {
        Ok(hint) => Some(hint),
        Err(e) => {
            out.push(at_hint(
                ctx,
                Rule::SealedForInvalid,
                format!("annotation {SEALED_FOR} does not parse: {e}"),
            ));
            None
        }
    }
}

/// Only differences that change the OAEP label are reported: they are exactly the ones that
/// make the controller fail ("no key could decrypt"). A renamed cluster-wide object still
/// decrypts, so it is not a finding.
pub fn check(
    hint: &SealedFor,
    scope: Scope,
    namespace: &str,
    name: &str,
    known: &KnownCerts,
    ctx: &Ctx,
    out: &mut Vec<Finding>,
) {
    let sealed_target = format!("{}/{}", hint.namespace, hint.name);
    let mismatch = if hint.scope != scope {
        Some(format!(
            "sealed with {} scope for {sealed_target}, but its annotations now say {scope}; \
             it will not decrypt, reseal it",
            hint.scope
        ))
    } else {
        let moved = match scope {
            Scope::Strict => hint.namespace != namespace || hint.name != name,
            Scope::NamespaceWide => hint.namespace != namespace,
            Scope::ClusterWide => false,
        };
        moved.then(|| {
            format!(
                "sealed for {sealed_target} ({scope} scope) but is now {namespace}/{name} \
                 (renamed by kustomize, or copied?); it will not decrypt, reseal it for the \
                 new target"
            )
        })
    };
    if let Some(message) = mismatch {
        out.push(at_hint(ctx, Rule::SealedForMismatch, message));
    }
    if !known.is_empty() && known.size_of(&hint.fingerprint).is_none() {
        out.push(at_hint(
            ctx,
            Rule::SealedForUnknownKey,
            format!(
                "sealed for key {}, which is not among the {} known certificate(s); the \
                 controller may not hold that key",
                hint.fingerprint.short(),
                known.len()
            ),
        ));
    }
}

fn at_hint(ctx: &Ctx, rule: Rule, message: String) -> Finding {
    let mut f = ctx.key_finding(rule, SEALED_FOR, message);
    f.keys.clear();
    f
}
