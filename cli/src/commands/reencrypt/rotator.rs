//! What re-encrypts one SealedSecret: the controller's `/v1/rotate` (online) or private key
//! files plus the new key's certificate (offline). Both give back the whole object, so the
//! caller can diff old and new ciphertexts.

use sealant_api::SealedSecret;

/// The answer for one object.
pub enum Outcome {
    /// The object re-sealed under the newest key; identical to the input when it already was.
    Rotated(Box<SealedSecret>),
    /// This object cannot be re-encrypted (a 409 from the controller, or no given key opens
    /// it). The reason names the object and key, never a value.
    Refused(String),
}

/// One object at a time. `Err` means nothing more can be done (the controller is not
/// answering), so the whole run stops.
pub trait Rotator {
    /// `document` is the object as parsed from the file, `sealed` the same typed;
    /// `namespace` is the one to use when the object has none.
    fn rotate(
        &mut self,
        document: &serde_json::Value,
        sealed: &SealedSecret,
    ) -> Result<Outcome, crate::error::CliError>;

    /// The namespace filled into objects that have none (for the report).
    fn default_namespace(&self) -> Option<&str>;

    /// Called before the objects of `file`; `Err` refuses the whole file (a reason naming
    /// it). For rotators whose target depends on the file (`--update-recipients`).
    fn start_file(&mut self, _file: &std::path::Path) -> Result<(), String> {
        Ok(())
    }
}
