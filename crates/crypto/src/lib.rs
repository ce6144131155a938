//! The Bitnami Sealed Secrets wire format, with nothing about Kubernetes in it.
//!
//! A sealed value is `u16be(L) ‖ RSA-OAEP(session key) ‖ AES-256-GCM(plaintext)`,
//! where the OAEP label is derived from the [`Scope`]. Keys are held in types that
//! zeroize on drop, are not `Clone`, and never print key material in `Debug`. [`v2`] is the
//! opt-in multi-recipient envelope, with X-Wing hybrid post-quantum keys.

mod backend;
mod envelope;
mod error;
mod fingerprint;
mod keys;
mod plaintext;
mod scope;
pub mod v2;

pub use backend::Backend;
pub use envelope::{
    Envelope, SESSION_KEY_LEN, decode_base64, encode_base64, open, open_with, seal, seal_with,
};
pub use error::CryptoError;
pub use fingerprint::Fingerprint;
pub use keys::{MIN_KEY_BITS, PrivateKey, PublicKey};
pub use plaintext::Plaintext;
pub use scope::{Label, Scope};
pub use v2::xwing_keys::{XWingPrivateKey, XWingPublicKey};
