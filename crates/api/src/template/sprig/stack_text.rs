//! A `fmt::Write` into a fixed stack buffer, for text made from plaintext (digits of a
//! number taken from a value, a bcrypt hash) that must never pass through a heap `String`.

use std::fmt::Write;

pub(super) struct StackText<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> StackText<N> {
    pub(super) fn new() -> Self {
        Self {
            buf: [0; N],
            len: 0,
        }
    }

    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub(super) fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }
}

impl<const N: usize> Write for StackText<N> {
    /// Fails, writing nothing more, when the text would not fit.
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_past_the_buffer_is_refused_not_truncated_silently() {
        let mut text = StackText::<4>::new();
        assert!(write!(text, "abc").is_ok());
        assert!(write!(text, "de").is_err());
        assert_eq!(text.as_str(), "abc");
    }
}
