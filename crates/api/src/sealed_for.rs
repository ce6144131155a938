//! The sealed-for hint: a non-secret annotation recording which certificate, scope and target a
//! SealedSecret was sealed for, so `sealant check` can spot kustomize renames and copied files
//! offline, and the controller can try the recorded key first.
//!
//! It lives only on the SealedSecret's top-level `metadata.annotations`, never in
//! `spec.template`, so it never reaches the generated Secret. Bitnami ignores unknown
//! annotations, so objects carrying it stay valid for Bitnami's controller.
//!
//! # Value grammar
//!
//! ```text
//! value       = field *( ";" field )           ; whitespace around fields is ignored
//! field       = "fingerprint=" 64HEXDIG        ; SHA-256 of the certificate's SPKI DER
//!             / "scope=" ( "strict" / "namespace-wide" / "cluster-wide" )
//!             / "target=" [ namespace ] "/" name   ; namespace empty only when none was set
//!             / other-key "=" *CHAR            ; ignored, for forward compatibility
//! ```
//!
//! Each of `fingerprint`, `scope` and `target` must appear exactly once. Written in that order,
//! e.g. `fingerprint=3f0c…e1; scope=strict; target=prod/db`.

use crate::{SealedSecret, error::SealedForError};
use sealant_crypto::{Fingerprint, PublicKey, Scope};
use std::{collections::BTreeMap, fmt};

/// Annotation name of the hint (top-level metadata only).
pub const SEALED_FOR: &str = "sealant.dev/sealed-for";

/// What a SealedSecret was sealed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedFor {
    pub fingerprint: Fingerprint,
    pub scope: Scope,
    /// Empty when the object had no namespace (cluster-wide only).
    pub namespace: String,
    pub name: String,
}

impl SealedFor {
    /// The hint for `sealed` as it stands now, sealed with `key`. Namespace, name and scope come
    /// from the top-level metadata, the same fields the controller builds the label from.
    pub fn of(sealed: &SealedSecret, key: &PublicKey) -> Self {
        Self {
            fingerprint: key.fingerprint(),
            scope: sealed.scope(),
            namespace: sealed.namespace_str().to_owned(),
            name: sealed.name_str().to_owned(),
        }
    }

    /// Parse an annotation value; never panics, whatever the input.
    pub fn parse(value: &str) -> Result<Self, SealedForError> {
        let (mut fingerprint, mut scope, mut target) = (None, None, None);
        for field in value.split(';').map(str::trim).filter(|f| !f.is_empty()) {
            let (key, val) = field
                .split_once('=')
                .ok_or_else(|| SealedForError::Malformed(field_name(field)))?;
            let (key, val) = (key.trim(), val.trim());
            let slot_taken = match key {
                "fingerprint" => fingerprint.replace(parse_fingerprint(val)?).is_some(),
                "scope" => scope
                    .replace(
                        val.parse::<Scope>()
                            .map_err(|_| SealedForError::InvalidScope)?,
                    )
                    .is_some(),
                "target" => target.replace(parse_target(val)?).is_some(),
                // Unknown fields are tolerated so later versions can add some.
                _ => false,
            };
            if slot_taken {
                return Err(SealedForError::Duplicate(field_name(key)));
            }
        }
        let (namespace, name) = target.ok_or(SealedForError::Missing("target"))?;
        Ok(Self {
            fingerprint: fingerprint.ok_or(SealedForError::Missing("fingerprint"))?,
            scope: scope.ok_or(SealedForError::Missing("scope"))?,
            namespace,
            name,
        })
    }

    /// The hint on `annotations`, if there is one.
    pub fn from_annotations(
        annotations: &BTreeMap<String, String>,
    ) -> Option<Result<Self, SealedForError>> {
        annotations.get(SEALED_FOR).map(|v| Self::parse(v))
    }
}

/// The canonical value: `fingerprint=<hex>; scope=<scope>; target=<namespace>/<name>`.
impl fmt::Display for SealedFor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "fingerprint={}; scope={}; target={}/{}",
            self.fingerprint.to_hex(),
            self.scope,
            self.namespace,
            self.name
        )
    }
}

/// Write (or overwrite) the hint on `sealed` for sealing with `key`.
pub fn record_sealed_for(sealed: &mut SealedSecret, key: &PublicKey) {
    let value = SealedFor::of(sealed, key).to_string();
    sealed
        .metadata
        .annotations
        .get_or_insert_with(BTreeMap::new)
        .insert(SEALED_FOR.to_owned(), value);
}

/// Rewrite the hint only when `sealed` already has one, so objects without it (kubeseal's,
/// or written in kubeseal mode) stay byte-compatible.
pub fn refresh_sealed_for(sealed: &mut SealedSecret, key: &PublicKey) {
    let present = sealed
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(SEALED_FOR));
    if present {
        record_sealed_for(sealed, key);
    }
}

/// Field names are not secret, but an unknown "field" may be arbitrary text: keep it short.
fn field_name(field: &str) -> String {
    let name = field.split('=').next().unwrap_or_default();
    name.chars().take(32).collect()
}

fn parse_fingerprint(val: &str) -> Result<Fingerprint, SealedForError> {
    // Only the canonical form: 64 hex digits, no colons, so hints compare as strings too.
    if val.len() != 64 || !val.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SealedForError::InvalidFingerprint);
    }
    val.parse().map_err(|_| SealedForError::InvalidFingerprint)
}

fn parse_target(val: &str) -> Result<(String, String), SealedForError> {
    let (namespace, name) = val.split_once('/').ok_or(SealedForError::InvalidTarget)?;
    if name.is_empty() || name.contains('/') {
        return Err(SealedForError::InvalidTarget);
    }
    Ok((namespace.to_owned(), name.to_owned()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn hint(scope: Scope, ns: &str) -> SealedFor {
        SealedFor {
            fingerprint: Fingerprint::of_spki_der(b"k"),
            scope,
            namespace: ns.to_owned(),
            name: "db".to_owned(),
        }
    }

    #[test]
    fn round_trips_every_scope() {
        for scope in Scope::ALL {
            let h = hint(scope, "prod");
            assert_eq!(SealedFor::parse(&h.to_string()).unwrap(), h);
        }
        let cw = hint(Scope::ClusterWide, "");
        assert!(cw.to_string().ends_with("target=/db"), "{cw}");
        assert_eq!(SealedFor::parse(&cw.to_string()).unwrap(), cw);
    }

    #[test]
    fn lenient_on_order_spacing_and_unknown_fields() {
        let h = hint(Scope::Strict, "prod");
        let fp = h.fingerprint.to_hex();
        let text = format!(" target=prod/db;scope=strict ; future=1; fingerprint={fp};");
        assert_eq!(SealedFor::parse(&text).unwrap(), h);
    }

    #[test]
    fn typed_errors() {
        let fp = Fingerprint::of_spki_der(b"k").to_hex();
        let cases = [
            ("", SealedForError::Missing("target")),
            ("garbage", SealedForError::Malformed("garbage".into())),
            (
                "fingerprint=zz; scope=strict; target=a/b",
                SealedForError::InvalidFingerprint,
            ),
            (
                &format!("fingerprint={fp}; scope=wide; target=a/b") as &str,
                SealedForError::InvalidScope,
            ),
            (
                &format!("fingerprint={fp}; scope=strict; target=ab"),
                SealedForError::InvalidTarget,
            ),
            (
                &format!("fingerprint={fp}; scope=strict; target=a/"),
                SealedForError::InvalidTarget,
            ),
            (
                &format!("fingerprint={fp}; scope=strict; scope=strict; target=a/b"),
                SealedForError::Duplicate("scope".into()),
            ),
            (
                "scope=strict; target=a/b",
                SealedForError::Missing("fingerprint"),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(SealedFor::parse(text).unwrap_err(), want, "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in ".{0,200}") {
            let _ = SealedFor::parse(&s);
        }
    }
}
