//! Envelope v2 (docs/envelope-v2.md): one random data key per seal, wrapped once per recipient
//! (RSA-OAEP or X-Wing), and values AEAD-encrypted under a key derived from it, with additional
//! data that binds the scope, the key name and the template's meaning. Opening an object costs
//! one key operation per header, not one per value.

mod binding;
mod data_key;
pub mod format;
mod header;
mod open;
mod recipient;
mod seal;
mod value;
pub(crate) mod xwing_keys;

pub use binding::{Binding, TemplateDigest, TemplateMeaning};
pub use data_key::DataKey;
pub use format::{HeaderId, RecipientId, RecipientKind, is_header_key, is_v2_string};
pub use header::{Header, Stanza};
pub use open::{OpenedHeader, parse_header};
pub use recipient::{Recipient, RecipientKey};
pub use seal::Sealer;
pub use value::{from_v2_string, value_header_id};
