//! The controller's keys: reading and writing Bitnami-format key Secrets, the live key
//! store every reconcile opens values with, and the watch that keeps it current.

mod bootstrap;
mod hybrid_secret;
mod pacing;
mod publish;
mod renewal;
mod retire;
mod secret;
mod store;
mod watch;

pub(crate) use bootstrap::apply_key_secret;
pub use bootstrap::{
    KeyGenerationSettings, create_hybrid_key, create_key, ensure_active_key, load_keys,
};
pub use hybrid_secret::{
    HYBRID_KEY_SECRET_PREFIX, HybridKey, build_hybrid_key_secret, hybrid_key_from_secret,
    is_hybrid_key_secret,
};
pub use publish::{REASON_CERTIFICATES_REPAIRED, certificate_data, publish_certificates};
pub use renewal::{RenewalTrigger, renew_keys};
pub use retire::Retirer;
pub use secret::{
    LEGACY_KEY_SECRET_NAME, build_key_secret, key_entry_from_secret, wipe_secret_data,
};
pub use store::KeyStore;
pub use watch::watch_key_secrets;
