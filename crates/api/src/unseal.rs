//! SealedSecret → Secret, plus the template-free operations the controller's HTTP API needs.
//!
//! The OAEP label always comes from the SealedSecret's **top-level** namespace, name and scope
//! annotations, never from the template: the template is output metadata anyone who can write
//! the object controls, so trusting it would let a value sealed for one target be decrypted
//! into another.

use crate::{
    ApiError, PlainSecret, RenderLimits, SealedSecret, SecretBytes, describe_meta,
    envelope_v2::{OpenedHeaders, Rewrap},
    legacy::{legacy_blob, legacy_secret},
    template_data::{Opened, secret_data},
};
use sealant_crypto::{
    Label, Plaintext, PublicKey, decode_base64, encode_base64, seal,
    v2::{Header, OpenedHeader, is_header_key, is_v2_string},
};
use std::collections::BTreeMap;

/// Something that decrypts sealed values: the key ring in the CLI and controller, or a
/// closure in tests.
pub trait Opener {
    type Error: std::error::Error + Send + Sync + 'static;

    /// Decrypt one sealed value (raw bytes, base64 already removed) sealed with `label`.
    fn open(&mut self, label: &Label, sealed: &[u8]) -> Result<Plaintext, Self::Error>;

    /// Unwrap an envelope v2 header that `values` values name, with a held key its stanzas
    /// name. `Ok(None)`: no held key is a recipient (the default, for openers without v2).
    fn open_v2_header(
        &mut self,
        _header: &Header,
        _values: usize,
    ) -> Result<Option<OpenedHeader>, Self::Error> {
        Ok(None)
    }
}

impl<F, E> Opener for F
where
    F: FnMut(&Label, &[u8]) -> Result<Plaintext, E>,
    E: std::error::Error + Send + Sync + 'static,
{
    type Error = E;

    fn open(&mut self, label: &Label, sealed: &[u8]) -> Result<Plaintext, E> {
        self(label, sealed)
    }
}

/// Decrypt `ss` into the Secret it describes, rendering `spec.template.data`.
///
/// The Secret takes name and namespace from the SealedSecret's top level, and labels,
/// annotations, type and immutability from the template (annotations unchanged, scope ones
/// included, as Bitnami does). Owner references are left to the caller (the controller needs
/// the SealedSecret's uid). `template.data` follows Bitnami v0.40 (see `template_data`):
/// plaintext siblings in the context, the decrypted value wins a collision, `null` drops a
/// key, and every failure is reported. The deprecated `spec.data` blob is accepted (Bitnami
/// requires a flag for it).
/// Templates render within the default [`RenderLimits`].
pub fn unseal<O: Opener + ?Sized>(
    ss: &SealedSecret,
    opener: &mut O,
) -> Result<PlainSecret, ApiError> {
    unseal_with_limits(ss, opener, &RenderLimits::default())
}

/// [`unseal`], rendering the templates within `limits` (one budget for the whole Secret).
pub fn unseal_with_limits<O: Opener + ?Sized>(
    ss: &SealedSecret,
    opener: &mut O,
    limits: &RenderLimits,
) -> Result<PlainSecret, ApiError> {
    let object = describe_meta(&ss.metadata);
    let label = ss.label()?;

    let mut secret = if let Some(blob) = legacy_blob(ss)? {
        let plaintext = open_one(opener, &label, ss, &blob, "legacy spec.data", &object)?;
        legacy_secret(&plaintext, &object)?
    } else {
        let opened = open_every_value(ss, opener, &label, &object);
        let data = secret_data(ss, opened, limits, &object)?;
        PlainSecret {
            metadata: ss.spec.template.metadata.clone(),
            type_: ss.spec.template.type_.clone(),
            immutable: ss.spec.template.immutable,
            data,
            string_data: BTreeMap::new(),
        }
    };
    secret.metadata.name = ss.metadata.name.clone();
    secret.metadata.namespace = ss.metadata.namespace.clone();
    Ok(secret)
}

/// Check that every value of `ss` decrypts, without rendering templates: the `/v1/verify`
/// rule (template rendering there was a one-bit oracle in Bitnami).
pub fn verify<O: Opener + ?Sized>(ss: &SealedSecret, opener: &mut O) -> Result<(), ApiError> {
    let object = describe_meta(&ss.metadata);
    let label = ss.label()?;
    if let Some(blob) = legacy_blob(ss)? {
        open_one(opener, &label, ss, &blob, "legacy spec.data", &object)?;
    } else {
        open_encrypted_data(ss, opener, &label, &object)?;
    }
    Ok(())
}

/// Re-seal every value of `ss` under `key` with exactly the label that decrypted it (the
/// `/v1/rotate` and offline re-encrypt rule; CVE-2026-22728 widened it). Templates are not
/// rendered; metadata and template are kept; status is dropped. v2 headers are re-wrapped
/// for the newest keys instead ([`Rewrap::Rotate`]), their values left as they are.
pub fn reencrypt<O: Opener + ?Sized>(
    ss: &SealedSecret,
    opener: &mut O,
    key: &PublicKey,
) -> Result<SealedSecret, ApiError> {
    reencrypt_with(
        ss,
        opener,
        key,
        &Rewrap::Rotate {
            rsa: key,
            hybrid: None,
        },
    )
}

/// [`reencrypt`], saying how v2 headers are re-wrapped.
pub fn reencrypt_with<O: Opener + ?Sized>(
    ss: &SealedSecret,
    opener: &mut O,
    key: &PublicKey,
    rewrap: &Rewrap<'_>,
) -> Result<SealedSecret, ApiError> {
    let object = describe_meta(&ss.metadata);
    let label = ss.label()?;
    let scope = ss.scope();
    let reseal = |what: &str, plaintext: &[u8]| {
        seal(key, &label, plaintext)
            .map(|c| encode_base64(&c))
            .map_err(|source| ApiError::Seal {
                object: object.clone(),
                key: what.to_owned(),
                scope,
                source,
            })
    };
    let mut out = ss.clone();
    out.status = None;
    if let Some(blob) = legacy_blob(ss)? {
        let plaintext = open_one(opener, &label, ss, &blob, "legacy spec.data", &object)?;
        out.spec.data = Some(reseal("legacy spec.data", plaintext.as_bytes())?);
    } else {
        let headers = crate::envelope_v2::is_v2_object(ss).then(|| OpenedHeaders::open(ss, opener));
        for (k, v) in &ss.spec.encrypted_data {
            let v2 = headers
                .as_ref()
                .filter(|_| is_header_key(k) || is_v2_string(v));
            let new_value = match v2 {
                Some(headers) if is_header_key(k) => headers
                    .rewrap(k, v, rewrap)
                    .ok_or_else(|| open_failed(ss, k, &object))?,
                // A v2 value stays byte for byte; it must still open (the same rule as v1).
                Some(headers) => match headers.open_value(k, v) {
                    Some(_) => v.clone(),
                    None => return Err(open_failed(ss, k, &object)),
                },
                None => {
                    let sealed = decode_ciphertext(v, &object, k)?;
                    let plaintext =
                        open_one(opener, &label, ss, &sealed, &format!("key {k:?}"), &object)?;
                    reseal(k, plaintext.as_bytes())?
                }
            };
            out.spec.encrypted_data.insert(k.clone(), new_value);
        }
    }
    // A hint naming the old key would send the controller to the wrong key first.
    crate::refresh_sealed_for(&mut out, key);
    Ok(out)
}

/// Every value of `ss` decrypted, without rendering templates (v1 and v2; fails on the first
/// value that does not open). For offline inspection and cross-implementation checks.
pub fn decrypt_values<O: Opener + ?Sized>(
    ss: &SealedSecret,
    opener: &mut O,
) -> Result<BTreeMap<String, SecretBytes>, ApiError> {
    let object = describe_meta(&ss.metadata);
    let label = ss.label()?;
    open_encrypted_data(ss, opener, &label, &object)
}

fn open_encrypted_data<O: Opener + ?Sized>(
    ss: &SealedSecret,
    opener: &mut O,
    label: &Label,
    object: &str,
) -> Result<BTreeMap<String, SecretBytes>, ApiError> {
    let mut opened = open_every_value(ss, opener, label, object);
    if !opened.failed.is_empty() {
        return Err(opened.failed.remove(0).1);
    }
    Ok(opened.values)
}

/// Open every value, going on after a failure (Bitnami reports them all), in key order.
fn open_every_value<O: Opener + ?Sized>(
    ss: &SealedSecret,
    opener: &mut O,
    label: &Label,
    object: &str,
) -> Opened {
    let mut opened = Opened {
        values: BTreeMap::new(),
        failed: Vec::new(),
    };
    // v2 headers are opened once each, before their values (one key operation per header).
    let headers = crate::envelope_v2::is_v2_object(ss).then(|| OpenedHeaders::open(ss, opener));
    for (k, v) in &ss.spec.encrypted_data {
        if is_header_key(k) {
            if headers
                .as_ref()
                .is_some_and(|h| h.failed_headers.contains(k))
            {
                opened.failed.push((k.clone(), open_failed(ss, k, object)));
            }
            continue;
        }
        let result = if is_v2_string(v) {
            headers
                .as_ref()
                .and_then(|h| h.open_value(k, v))
                .ok_or_else(|| open_failed(ss, k, object))
        } else {
            decode_ciphertext(v, object, k).and_then(|sealed| {
                open_one(opener, label, ss, &sealed, &format!("key {k:?}"), object)
            })
        };
        match result {
            Ok(plaintext) => {
                opened
                    .values
                    .insert(k.clone(), SecretBytes::from(plaintext));
            }
            Err(error) => opened.failed.push((k.clone(), error)),
        }
    }
    opened
}

fn decode_ciphertext(b64: &str, object: &str, key: &str) -> Result<Vec<u8>, ApiError> {
    decode_base64(b64).map_err(|_| ApiError::CiphertextBase64 {
        object: object.to_owned(),
        key: key.to_owned(),
    })
}

/// The one error of every failure to open a value, v1 or v2.
fn open_failed(ss: &SealedSecret, key: &str, object: &str) -> ApiError {
    ApiError::Open {
        object: object.to_owned(),
        what: format!("key {key:?}"),
        scope: ss.scope(),
    }
}

fn open_one<O: Opener + ?Sized>(
    opener: &mut O,
    label: &Label,
    ss: &SealedSecret,
    sealed: &[u8],
    what: &str,
    object: &str,
) -> Result<Plaintext, ApiError> {
    // The opener's error is dropped: it tells a failed RSA part from a failed AES-GCM tag.
    opener.open(label, sealed).map_err(|_| ApiError::Open {
        object: object.to_owned(),
        what: what.to_owned(),
        scope: ss.scope(),
    })
}
