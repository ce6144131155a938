//! [`RenderLimits`]: what rendering the templates of one SealedSecret may cost.
//!
//! Templates are written by whoever may update a SealedSecret, and they run inside the
//! controller: without caps, one object repeating `{{ .v }}` renders hundreds of megabytes
//! and gets the controller OOM-killed on every retry.

use std::fmt;

const MIB: usize = 1024 * 1024;

/// Caps on rendering `spec.template.data`. Every cap is checked before the memory or the work
/// it guards is spent: a buffer refuses to grow past its cap instead of growing and checking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderLimits {
    /// Bytes of any one value a template produces: the rendered value of a key, and every
    /// intermediate value of a pipeline (`.v | b64enc | quote`).
    pub max_key_bytes: usize,
    /// Bytes of the whole Secret: every rendered key plus the decrypted values that no
    /// template replaces.
    pub max_secret_bytes: usize,
    /// `{{ … }}` actions (comments included) in one template, counted while parsing.
    pub max_actions: usize,
    /// Bytes processed for one Secret, over all its templates: what each function reads plus
    /// every buffer allocated. Freed memory is not given back to this budget, so it bounds
    /// the CPU time of pipelines whose values the other caps would let through one by one.
    pub max_work_bytes: usize,
}

impl RenderLimits {
    /// 1 MiB: the API server refuses a Secret whose values add up to more
    /// (`MaxSecretSize`), so a larger render could never be stored anyway.
    pub const DEFAULT_MAX_SECRET_BYTES: usize = MIB;
    /// As large as a whole Secret: one big rendered key (a certificate bundle, a config file)
    /// is legitimate, and the per-Secret cap already binds.
    pub const DEFAULT_MAX_KEY_BYTES: usize = MIB;
    /// Real templates hold a few to a few dozen actions (a config file with its
    /// placeholders). 1,000 leaves ample room for those and bounds the parse and evaluation
    /// work of one template to a thousand pipelines.
    pub const DEFAULT_MAX_ACTIONS: usize = 1_000;
    /// 32 MiB: 32 times the largest Secret. A legitimate template reads and writes its values
    /// a few times (`b64dec | b64enc | quote` on every key of a full 1 MiB Secret stays under
    /// 10 MiB); a hostile pipeline of a thousand `upper`s on a big value stops here after a
    /// few tens of milliseconds of CPU.
    pub const DEFAULT_MAX_WORK_BYTES: usize = 32 * MIB;
}

impl Default for RenderLimits {
    fn default() -> Self {
        Self {
            max_key_bytes: Self::DEFAULT_MAX_KEY_BYTES,
            max_secret_bytes: Self::DEFAULT_MAX_SECRET_BYTES,
            max_actions: Self::DEFAULT_MAX_ACTIONS,
            max_work_bytes: Self::DEFAULT_MAX_WORK_BYTES,
        }
    }
}

/// Which cap of [`RenderLimits`] a template passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenderCap {
    KeyBytes,
    SecretBytes,
    Actions,
    WorkBytes,
}

impl RenderCap {
    /// The [`RenderLimits`] field that sets this cap.
    pub fn field(self) -> &'static str {
        match self {
            RenderCap::KeyBytes => "max_key_bytes",
            RenderCap::SecretBytes => "max_secret_bytes",
            RenderCap::Actions => "max_actions",
            RenderCap::WorkBytes => "max_work_bytes",
        }
    }

    /// The configured value of this cap in `limits`.
    pub fn limit(self, limits: &RenderLimits) -> usize {
        match self {
            RenderCap::KeyBytes => limits.max_key_bytes,
            RenderCap::SecretBytes => limits.max_secret_bytes,
            RenderCap::Actions => limits.max_actions,
            RenderCap::WorkBytes => limits.max_work_bytes,
        }
    }
}

impl RenderCap {
    /// "the cap of …" with `limit` in its unit, for messages.
    pub(super) fn describe(self, limit: usize, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderCap::KeyBytes => write!(f, "the per-key cap of {limit} bytes"),
            RenderCap::SecretBytes => {
                write!(
                    f,
                    "the per-Secret cap of {limit} bytes for all keys together"
                )
            }
            RenderCap::Actions => write!(f, "the cap of {limit} actions per template"),
            RenderCap::WorkBytes => write!(f, "the cap of {limit} bytes processed per Secret"),
        }?;
        write!(f, " ({})", self.field())
    }
}
