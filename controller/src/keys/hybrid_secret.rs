//! Hybrid (X-Wing) key Secrets: Sealant's own shape, deliberately unlike Bitnami's so that
//! Bitnami's controller never loads one. Label `sealant.dev/hybrid-key: active` (not
//! `sealedsecrets.bitnami.com/sealed-secrets-key`), type `sealant.dev/x-wing-key`, data
//! `xwing.key` (PEM seed) and `xwing.pub` (PEM public key), and the annotation
//! `sealant.dev/key-created-at`, which stands in for a certificate's NotBefore.

use crate::ControllerError;
use k8s_openapi::{
    ByteString, api::core::v1::Secret, apimachinery::pkg::apis::meta::v1::ObjectMeta,
};
use kube::ResourceExt;
use sealant_api::contract::{
    HYBRID_KEY_LABEL, HYBRID_KEY_SECRET_TYPE, HYBRID_PRIVATE_KEY, HYBRID_PUBLIC_KEY,
    KEY_CREATED_AT, KeyLabel,
};
use sealant_crypto::{XWingPrivateKey, XWingPublicKey};
use std::collections::BTreeMap;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};
use zeroize::Zeroizing;

/// generateName of new hybrid key Secrets.
pub const HYBRID_KEY_SECRET_PREFIX: &str = "sealant-hybrid-key-";

/// The key a hybrid key Secret holds, and when it was made.
#[derive(Debug)]
pub struct HybridKey {
    pub key: XWingPrivateKey,
    pub created_at: OffsetDateTime,
}

/// Whether `secret` is a hybrid key Secret (by its label), as opposed to an RSA one.
pub fn is_hybrid_key_secret(secret: &Secret) -> bool {
    secret.labels().contains_key(HYBRID_KEY_LABEL)
}

/// The key held by a hybrid key Secret. The error names the Secret and says what is wrong,
/// never quoting key bytes.
pub fn hybrid_key_from_secret(secret: &Secret) -> Result<HybridKey, ControllerError> {
    let view = super::secret::KeySecretData::of(secret)?;
    let bad = |reason: String| view.bad(reason);
    let data = view.data;
    let private = view.required(HYBRID_PRIVATE_KEY)?;
    // The PEM text is key material: keep the copy zeroized.
    let text = Zeroizing::new(
        std::str::from_utf8(&private.0)
            .map_err(|_| bad(format!("{HYBRID_PRIVATE_KEY} is not PEM text")))?
            .to_owned(),
    );
    let key = XWingPrivateKey::from_pem(&text)
        .map_err(|_| bad(format!("{HYBRID_PRIVATE_KEY} is not an X-Wing private key")))?;
    // A public key that disagrees with the seed would publish a key the controller cannot
    // open: refuse the Secret rather than guess which half is right.
    if let Some(public) = data.get(HYBRID_PUBLIC_KEY) {
        let public = std::str::from_utf8(&public.0)
            .ok()
            .and_then(|text| XWingPublicKey::from_pem(text).ok())
            .ok_or_else(|| bad(format!("{HYBRID_PUBLIC_KEY} is not an X-Wing public key")))?;
        if public != *key.public_key() {
            return Err(bad(format!(
                "{HYBRID_PUBLIC_KEY} is not the public key of {HYBRID_PRIVATE_KEY}"
            )));
        }
    }
    let created_at = match secret.annotations().get(KEY_CREATED_AT) {
        Some(text) => OffsetDateTime::parse(text.trim(), &Rfc3339)
            .map_err(|_| bad(format!("{KEY_CREATED_AT} must be an RFC 3339 time")))?,
        // Restored by hand without the annotation: the Secret's own age is the best guess.
        None => secret
            .creation_timestamp()
            .and_then(|t| OffsetDateTime::from_unix_timestamp(t.0.as_second()).ok())
            .ok_or_else(|| bad(format!("has no {KEY_CREATED_AT}")))?,
    };
    Ok(HybridKey { key, created_at })
}

/// A new hybrid key Secret for `key`, to be created with generateName.
///
/// The returned Secret holds the seed in plain `Vec`s (k8s-openapi's type);
/// [`super::wipe_secret_data`] clears them once the create call has serialized it.
pub fn build_hybrid_key_secret(
    namespace: &str,
    key: &XWingPrivateKey,
    created_at: OffsetDateTime,
) -> Result<Secret, ControllerError> {
    let created = created_at
        .format(&Rfc3339)
        .map_err(|e| ControllerError::KeySecret {
            object: format!("{namespace}/{HYBRID_KEY_SECRET_PREFIX}*"),
            reason: e.to_string(),
        })?;
    let data = BTreeMap::from([
        (
            HYBRID_PRIVATE_KEY.to_owned(),
            ByteString(key.to_pem().as_bytes().to_vec()),
        ),
        (
            HYBRID_PUBLIC_KEY.to_owned(),
            ByteString(key.public_key().to_pem().into_bytes()),
        ),
    ]);
    Ok(Secret {
        metadata: ObjectMeta {
            generate_name: Some(HYBRID_KEY_SECRET_PREFIX.to_owned()),
            namespace: Some(namespace.to_owned()),
            labels: Some(BTreeMap::from([(
                HYBRID_KEY_LABEL.to_owned(),
                KeyLabel::Active.as_str().to_owned(),
            )])),
            annotations: Some(BTreeMap::from([(KEY_CREATED_AT.to_owned(), created)])),
            ..ObjectMeta::default()
        },
        type_: Some(HYBRID_KEY_SECRET_TYPE.to_owned()),
        data: Some(data),
        ..Secret::default()
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use sealant_api::contract::KEY_LABEL;

    fn named(mut secret: Secret) -> Secret {
        secret.metadata.name = Some("sealant-hybrid-key-abcde".to_owned());
        secret
    }

    #[test]
    fn built_secret_reads_back_and_is_not_bitnamis() {
        let key = XWingPrivateKey::generate().unwrap();
        let at = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let secret = named(build_hybrid_key_secret("kube-system", &key, at).unwrap());
        assert!(is_hybrid_key_secret(&secret));
        assert!(!secret.labels().contains_key(KEY_LABEL));
        assert_ne!(secret.type_.as_deref(), Some("kubernetes.io/tls"));
        let read = hybrid_key_from_secret(&secret).unwrap();
        assert_eq!(read.key.key_id(), key.key_id());
        assert_eq!(read.created_at, at);
    }

    #[test]
    fn mismatched_or_malformed_halves_are_refused_without_quoting_them() {
        let key = XWingPrivateKey::generate().unwrap();
        let other = XWingPrivateKey::generate().unwrap();
        let at = OffsetDateTime::now_utc();
        let mut secret = named(build_hybrid_key_secret("ks", &key, at).unwrap());
        secret.data.as_mut().unwrap().insert(
            HYBRID_PUBLIC_KEY.to_owned(),
            ByteString(other.public_key().to_pem().into_bytes()),
        );
        let err = hybrid_key_from_secret(&secret).unwrap_err().to_string();
        assert!(err.contains("is not the public key"), "{err}");

        secret.data.as_mut().unwrap().insert(
            HYBRID_PRIVATE_KEY.to_owned(),
            ByteString(b"SENTINEL-not-a-key".to_vec()),
        );
        let err = hybrid_key_from_secret(&secret).unwrap_err().to_string();
        assert!(err.contains("ks/sealant-hybrid-key-abcde"), "{err}");
        assert!(!err.contains("SENTINEL"), "{err}");
    }
}
