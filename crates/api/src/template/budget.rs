//! The render budget: every byte a template produces goes through a [`SecureBuf`], which asks
//! the [`Meter`] before it allocates. A cap is therefore hit before the memory exists, never
//! after.

use super::{RenderCap, RenderLimits, TemplateError};
use crate::SecretBytes;
use std::cell::Cell;
use zeroize::Zeroizing;

/// What rendering one Secret may still spend, shared by all its templates.
pub struct Meter {
    limits: RenderLimits,
    /// Bytes the rendered keys may still add to the Secret.
    secret_left: Cell<usize>,
    /// Bytes that may still be processed; spent, never given back.
    work_left: Cell<usize>,
    /// Bytes held by live buffers (outputs handed out stay counted).
    live: Cell<usize>,
    /// The most `live` has ever been: the proof, in tests, that the caps bound memory.
    peak_live: Cell<usize>,
    /// The largest capacity any one buffer ever had.
    peak_buffer: Cell<usize>,
}

impl Meter {
    /// A meter for a Secret that already holds `base_bytes` of values no template replaces.
    pub(super) fn new(limits: &RenderLimits, base_bytes: usize) -> Self {
        Self {
            limits: *limits,
            secret_left: Cell::new(limits.max_secret_bytes.saturating_sub(base_bytes)),
            work_left: Cell::new(limits.max_work_bytes),
            live: Cell::new(0),
            peak_live: Cell::new(0),
            peak_buffer: Cell::new(0),
        }
    }

    pub(super) fn limits(&self) -> &RenderLimits {
        &self.limits
    }

    fn stop(&self, cap: RenderCap) -> TemplateError {
        TemplateError::Limit {
            cap,
            limit: cap.limit(&self.limits),
        }
    }

    /// Spend `n` bytes of work (bytes a function reads, or a buffer allocates).
    pub(super) fn work(&self, n: usize) -> Result<(), TemplateError> {
        let left = self.work_left.get();
        if n > left {
            return Err(self.stop(RenderCap::WorkBytes));
        }
        self.work_left.set(left - n);
        Ok(())
    }

    /// Whether the Secret can take `n` more bytes.
    fn secret_has_room(&self, n: usize) -> Result<(), TemplateError> {
        if n > self.secret_left.get() {
            return Err(self.stop(RenderCap::SecretBytes));
        }
        Ok(())
    }

    /// Count `n` bytes against the Secret (after [`Self::secret_has_room`] said yes).
    fn spend_secret(&self, n: usize) {
        self.secret_left
            .set(self.secret_left.get().saturating_sub(n));
    }

    fn allocated(&self, added: usize, capacity: usize) {
        let live = self.live.get().saturating_add(added);
        self.live.set(live);
        self.peak_live.set(self.peak_live.get().max(live));
        self.peak_buffer.set(self.peak_buffer.get().max(capacity));
    }

    fn freed(&self, n: usize) {
        self.live.set(self.live.get().saturating_sub(n));
    }

    #[cfg(test)]
    pub(super) fn peak_live(&self) -> usize {
        self.peak_live.get()
    }

    #[cfg(test)]
    pub(super) fn peak_buffer(&self) -> usize {
        self.peak_buffer.get()
    }
}

/// A growable, metered buffer that never leaves an unwiped copy behind: it grows by moving
/// into a new zeroizing allocation, so the old one is wiped when dropped (a `Vec`
/// reallocation would not). Growing asks the meter first; past a cap it refuses and the
/// buffer stays as it was.
pub struct SecureBuf<'m> {
    bytes: Zeroizing<Vec<u8>>,
    meter: &'m Meter,
    /// A rendered key, counted against the Secret; otherwise an intermediate value.
    output: bool,
}

impl<'m> SecureBuf<'m> {
    /// An intermediate value (a function's result).
    pub(super) fn new(meter: &'m Meter) -> Self {
        Self {
            bytes: Zeroizing::new(Vec::new()),
            meter,
            output: false,
        }
    }

    /// The rendered value of one key, counted against the Secret.
    pub(super) fn output(meter: &'m Meter) -> Self {
        Self {
            bytes: Zeroizing::new(Vec::new()),
            meter,
            output: true,
        }
    }

    /// An intermediate value with room for `n` bytes.
    pub(super) fn with_capacity(meter: &'m Meter, n: usize) -> Result<Self, TemplateError> {
        let mut buf = Self::new(meter);
        buf.reserve_exact(n)?;
        Ok(buf)
    }

    #[allow(
        dead_code,
        reason = "for sprig's functions (template/sprig), which land separately"
    )]
    /// An intermediate value of `n` zero bytes, to be written through [`Self::as_mut_slice`].
    pub(super) fn zeroed(meter: &'m Meter, n: usize) -> Result<Self, TemplateError> {
        let mut buf = Self::with_capacity(meter, n)?;
        buf.bytes.resize(n, 0);
        Ok(buf)
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.bytes
    }

    #[allow(
        dead_code,
        reason = "for sprig's functions (template/sprig), which land separately"
    )]
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    #[allow(
        dead_code,
        reason = "for sprig's functions (template/sprig), which land separately"
    )]
    pub fn truncate(&mut self, n: usize) {
        self.bytes.truncate(n);
    }

    pub fn extend(&mut self, bytes: &[u8]) -> Result<(), TemplateError> {
        self.reserve(bytes.len())?;
        self.bytes.extend_from_slice(bytes);
        Ok(())
    }

    /// Room for `additional` more bytes, doubling as a `Vec` would (within the caps).
    fn reserve(&mut self, additional: usize) -> Result<(), TemplateError> {
        let needed = self.check(additional)?;
        if needed > self.bytes.capacity() {
            let doubled = self.bytes.capacity().saturating_mul(2).max(64);
            self.grow(needed.max(doubled).min(self.ceiling()))?;
        }
        self.commit(additional);
        Ok(())
    }

    fn reserve_exact(&mut self, additional: usize) -> Result<(), TemplateError> {
        let needed = self.check(additional)?;
        if needed > self.bytes.capacity() {
            self.grow(needed)?;
        }
        self.commit(additional);
        Ok(())
    }

    /// The length after adding `additional` bytes, if every cap allows it.
    fn check(&self, additional: usize) -> Result<usize, TemplateError> {
        let limits = self.meter.limits();
        let needed = self
            .bytes
            .len()
            .checked_add(additional)
            .filter(|n| *n <= limits.max_key_bytes)
            .ok_or_else(|| self.meter.stop(RenderCap::KeyBytes))?;
        if self.output {
            self.meter.secret_has_room(additional)?;
        }
        Ok(needed)
    }

    /// Bytes reserved now count against the Secret (outputs only).
    fn commit(&mut self, additional: usize) {
        if self.output {
            self.meter.spend_secret(additional);
        }
    }

    /// The largest capacity this buffer may have: the per-key cap, and for an output what
    /// the Secret can still take.
    fn ceiling(&self) -> usize {
        let key = self.meter.limits().max_key_bytes;
        if self.output {
            key.min(
                self.bytes
                    .len()
                    .saturating_add(self.meter.secret_left.get()),
            )
        } else {
            key
        }
    }

    fn grow(&mut self, capacity: usize) -> Result<(), TemplateError> {
        self.meter.work(capacity)?;
        let mut grown = Zeroizing::new(Vec::with_capacity(capacity));
        grown.extend_from_slice(&self.bytes);
        let old = self.bytes.capacity();
        self.meter.allocated(grown.capacity(), grown.capacity());
        self.bytes = grown;
        self.meter.freed(old);
        Ok(())
    }

    /// Reserve room for `additional` more bytes now (charged now), so that the writes
    /// after it do not grow the buffer piecemeal.
    pub fn reserve_exact_more(&mut self, additional: usize) -> Result<(), TemplateError> {
        self.reserve_exact(additional)
    }

    pub(super) fn meter(&self) -> &'m Meter {
        self.meter
    }

    #[allow(
        dead_code,
        reason = "for sprig's functions (template/sprig), which land separately"
    )]
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    #[allow(
        dead_code,
        reason = "for sprig's functions (template/sprig), which land separately"
    )]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The bytes, still zeroizing, for a string value. They stay counted as live.
    pub(super) fn into_zeroizing(mut self) -> Zeroizing<Vec<u8>> {
        std::mem::replace(&mut self.bytes, Zeroizing::new(Vec::new()))
    }

    /// The finished output of a key. Its bytes stay counted against the Secret.
    pub(super) fn into_secret(mut self) -> SecretBytes {
        let bytes = std::mem::replace(&mut self.bytes, Zeroizing::new(Vec::new()));
        SecretBytes::new(bytes)
    }
}

impl Drop for SecureBuf<'_> {
    fn drop(&mut self) {
        self.meter.freed(self.bytes.capacity());
    }
}
