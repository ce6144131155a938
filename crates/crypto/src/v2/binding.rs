//! What a v2 value is bound to (docs/envelope-v2.md §5.1): the AEAD additional data. Built only
//! here, from a [`Binding`], so sealing and opening cannot disagree on its bytes.

use super::format::{AAD_CONTEXT, TEMPLATE_CONTEXT, put_lp};
use crate::{CryptoError, Scope};
use sha2::{Digest, Sha256};

/// SHA-256 over the fields of `spec.template` that change what the Secret means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TemplateDigest([u8; 32]);

/// The meaning-bearing parts of a template, borrowed from wherever the caller keeps them.
#[derive(Clone, Debug, Default)]
pub struct TemplateMeaning<'a> {
    /// `spec.template.type`; `None` and `Some("")` are the same.
    pub secret_type: Option<&'a str>,
    /// `spec.template.data`: key → template, `None` for a null (drop-this-key) entry.
    pub data: Vec<(&'a str, Option<&'a str>)>,
    /// The scope annotations found in `spec.template.metadata.annotations` (the caller picks
    /// them out: this crate knows nothing of Kubernetes names).
    pub scope_annotations: Vec<(&'a str, &'a str)>,
}

impl TemplateMeaning<'_> {
    pub fn digest(&self) -> TemplateDigest {
        let mut data = self.data.clone();
        data.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut annotations = self.scope_annotations.clone();
        annotations.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));

        let mut bytes = TEMPLATE_CONTEXT.to_vec();
        put_lp(&mut bytes, self.secret_type.unwrap_or("").as_bytes());
        put_count(&mut bytes, data.len());
        for (key, template) in data {
            put_lp(&mut bytes, key.as_bytes());
            match template {
                None => bytes.push(0x00),
                Some(text) => {
                    bytes.push(0x01);
                    put_lp(&mut bytes, text.as_bytes());
                }
            }
        }
        put_count(&mut bytes, annotations.len());
        for (name, value) in annotations {
            put_lp(&mut bytes, name.as_bytes());
            put_lp(&mut bytes, value.as_bytes());
        }
        TemplateDigest(Sha256::digest(&bytes).into())
    }
}

fn put_count(out: &mut Vec<u8>, count: usize) {
    out.extend_from_slice(&u32::try_from(count).unwrap_or(u32::MAX).to_be_bytes());
}

/// The object-level half of the additional data: everything but the key name.
#[derive(Clone, Debug)]
pub struct Binding {
    scope: Scope,
    namespace: String,
    name: String,
    template: TemplateDigest,
}

impl Binding {
    /// Bind to `scope` for `namespace`/`name`; the fields a scope does not bind are left out
    /// (empty), exactly as v1's OAEP label leaves them out.
    pub fn new(
        scope: Scope,
        namespace: &str,
        name: &str,
        template: TemplateDigest,
    ) -> Result<Self, CryptoError> {
        // Reuse the v1 rule for which fields a scope needs (strict: both; namespace-wide: ns).
        scope.label(namespace, name)?;
        let (namespace, name) = match scope {
            Scope::Strict => (namespace, name),
            Scope::NamespaceWide => (namespace, ""),
            Scope::ClusterWide => ("", ""),
        };
        Ok(Self {
            scope,
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            template,
        })
    }

    /// The additional data of the value stored under `key`.
    pub(crate) fn aad(&self, key: &str) -> Vec<u8> {
        let mut out = AAD_CONTEXT.to_vec();
        put_lp(&mut out, self.scope.as_str().as_bytes());
        put_lp(&mut out, self.namespace.as_bytes());
        put_lp(&mut out, self.name.as_bytes());
        put_lp(&mut out, key.as_bytes());
        out.extend_from_slice(&self.template.0);
        out
    }
}
