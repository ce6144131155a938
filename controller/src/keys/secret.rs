//! Key Secrets exactly as Bitnami writes them: `kubernetes.io/tls`, PKCS#1 `tls.key`,
//! self-signed `tls.crt`, label `sealedsecrets.bitnami.com/sealed-secrets-key: active`,
//! generateName `<prefix>` (no dash), so either controller can use the other's keys.

use crate::ControllerError;
use k8s_openapi::{
    ByteString, api::core::v1::Secret, apimachinery::pkg::apis::meta::v1::ObjectMeta,
};
use kube::ResourceExt;
use sealant_api::contract::{KEY_LABEL, KeyLabel};
use sealant_crypto::PrivateKey;
use sealant_keys::{Certificate, KeyEntry, key_material_from_tls};
use std::collections::BTreeMap;
use zeroize::Zeroize;

/// The single key Secret of Bitnami releases before key rotation existed.
pub const LEGACY_KEY_SECRET_NAME: &str = "sealed-secrets-key";

/// The key held by a key Secret. The error names the Secret and says what is wrong, never
/// quoting key bytes.
pub fn key_entry_from_secret(secret: &Secret) -> Result<KeyEntry, ControllerError> {
    let view = KeySecretData::of(secret)?;
    let tls_key = view.required("tls.key")?;
    let tls_crt = view.data.get("tls.crt").map(|b| b.0.as_slice());
    let material = key_material_from_tls(&tls_key.0, tls_crt, format!("Secret {}", view.object))
        .map_err(|e| view.bad(e.to_string()))?;
    KeyEntry::try_from(material).map_err(|e| view.bad(e.to_string()))
}

/// A key Secret's data, with the `namespace/name` every error about it names (RSA and hybrid
/// key Secrets alike; errors say what is wrong, never quoting key bytes).
pub(super) struct KeySecretData<'a> {
    pub object: String,
    pub data: &'a BTreeMap<String, ByteString>,
}

impl<'a> KeySecretData<'a> {
    pub fn of(secret: &'a Secret) -> Result<Self, ControllerError> {
        let object = format!(
            "{}/{}",
            secret.namespace().unwrap_or_default(),
            secret.name_any()
        );
        match secret.data.as_ref() {
            Some(data) => Ok(Self { object, data }),
            None => Err(ControllerError::KeySecret {
                object,
                reason: "has no data".to_owned(),
            }),
        }
    }

    pub fn required(&self, key: &str) -> Result<&'a ByteString, ControllerError> {
        self.data
            .get(key)
            .ok_or_else(|| self.bad(format!("has no {key}")))
    }

    pub fn bad(&self, reason: String) -> ControllerError {
        ControllerError::KeySecret {
            object: self.object.clone(),
            reason,
        }
    }
}

/// A new key Secret for `key` and its certificate, to be created with generateName.
///
/// The returned Secret holds the private key in plain `Vec`s (k8s-openapi's type);
/// [`wipe_secret_data`] clears them once the create call has serialized it.
pub fn build_key_secret(
    namespace: &str,
    prefix: &str,
    key: &PrivateKey,
    certificate: &Certificate,
) -> Result<Secret, ControllerError> {
    let key_pem = key.to_pkcs1_pem().map_err(|e| ControllerError::KeySecret {
        object: format!("{namespace}/{prefix}*"),
        reason: e.to_string(),
    })?;
    let data = BTreeMap::from([
        (
            "tls.crt".to_owned(),
            ByteString(certificate.to_pem().into_bytes()),
        ),
        (
            "tls.key".to_owned(),
            ByteString(key_pem.as_bytes().to_vec()),
        ),
    ]);
    Ok(Secret {
        metadata: ObjectMeta {
            generate_name: Some(prefix.to_owned()),
            namespace: Some(namespace.to_owned()),
            labels: Some(BTreeMap::from([(
                KEY_LABEL.to_owned(),
                KeyLabel::Active.as_str().to_owned(),
            )])),
            ..ObjectMeta::default()
        },
        type_: Some("kubernetes.io/tls".to_owned()),
        data: Some(data),
        ..Secret::default()
    })
}

/// Zero every data value of a k8s-openapi Secret that held key or plaintext bytes.
pub fn wipe_secret_data(secret: &mut Secret) {
    for value in secret.data.iter_mut().flat_map(|d| d.values_mut()) {
        value.0.zeroize();
    }
    for value in secret.string_data.iter_mut().flat_map(|d| d.values_mut()) {
        value.zeroize();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use sealant_keys::{CertificateOptions, self_signed_certificate};

    fn test_key() -> PrivateKey {
        sealant_keys::generate_private_key(2048).unwrap()
    }

    #[test]
    fn built_secret_reads_back() {
        let key = test_key();
        let cert = self_signed_certificate(
            &key,
            &CertificateOptions::new(time::OffsetDateTime::now_utc()),
        )
        .unwrap();
        let mut secret =
            build_key_secret("kube-system", "sealed-secrets-key", &key, &cert).unwrap();
        secret.metadata.name = Some("sealed-secrets-keyabcde".to_owned());
        let entry = key_entry_from_secret(&secret).unwrap();
        assert_eq!(entry.fingerprint(), key.fingerprint());
        assert!(entry.certificate().is_some());
        wipe_secret_data(&mut secret);
        assert!(
            secret
                .data
                .unwrap()
                .values()
                .all(|v| v.0.iter().all(|b| *b == 0))
        );
    }

    #[test]
    fn malformed_key_secret_names_itself_not_its_bytes() {
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some("sealed-secrets-keybad".to_owned()),
                namespace: Some("kube-system".to_owned()),
                ..ObjectMeta::default()
            },
            data: Some(BTreeMap::from([(
                "tls.key".to_owned(),
                ByteString(b"not-a-key-SENTINEL".to_vec()),
            )])),
            ..Secret::default()
        };
        let err = key_entry_from_secret(&secret).unwrap_err().to_string();
        assert!(err.contains("kube-system/sealed-secrets-keybad"), "{err}");
        assert!(!err.contains("SENTINEL"), "{err}");
    }
}
