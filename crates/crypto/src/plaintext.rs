use std::fmt;
use zeroize::Zeroizing;

/// Decrypted bytes. Zeroized on drop, not `Clone`, and `Debug` shows only the length.
pub struct Plaintext(Zeroizing<Vec<u8>>);

impl Plaintext {
    pub fn new(bytes: Zeroizing<Vec<u8>>) -> Self {
        Self(bytes)
    }

    pub fn from_vec(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Copies `bytes` (e.g. a `stringData` value) into a zeroizing buffer.
    pub fn copy_from_slice(bytes: &[u8]) -> Self {
        Self(Zeroizing::new(bytes.to_vec()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_zeroizing(self) -> Zeroizing<Vec<u8>> {
        self.0
    }
}

impl fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Plaintext(<{} bytes redacted>)", self.0.len())
    }
}

impl PartialEq for Plaintext {
    fn eq(&self, other: &Self) -> bool {
        // Only used by tests and change detection of re-sealing; length leak is irrelevant there.
        self.0.as_slice() == other.0.as_slice()
    }
}

impl Eq for Plaintext {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let p = Plaintext::from_vec(b"hunter2".to_vec());
        let shown = format!("{p:?}");
        assert!(!shown.contains("hunter2"));
        assert!(shown.contains("7 bytes"));
    }
}
