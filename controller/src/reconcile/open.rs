//! Decrypting a SealedSecret on the RSA pool, hinted key first.

use crate::{Context, ControllerError};
use sealant_api::{ApiError, PlainSecret, SealedSecret, unseal_with_limits};
use sealant_crypto::{Fingerprint, v2::is_header_key};
use sealant_keys::RingOpener;
use std::sync::Arc;

/// The decrypted Secret and the key that opened it.
pub struct Unsealed {
    pub secret: PlainSecret,
    pub fingerprint: Option<Fingerprint>,
}

/// The likeliest key: the one that opened this object last time (recorded on its Secret),
/// else the one the sealer recorded in the sealed-for hint. The ring falls back to the
/// newest key, then the others.
pub fn hint_for(ss: &SealedSecret, recorded: Option<Fingerprint>) -> Option<Fingerprint> {
    recorded.or_else(|| ss.sealed_for_fingerprint())
}

/// The controller's error for a failed unseal. A value that did not open becomes one fixed
/// message naming where it sits: the ring's reason (no key opened it, or a key opened the
/// RSA part and the data failed authentication) is dropped here, so status, Events and
/// logs read the same for every cause.
///
/// An envelope v2 header that did not open makes every value naming it fail too, so its own
/// entry adds nothing but its random id; and a header fails only when no held key is named
/// (or the header is forged), while a tampered template fails at the values alone. Dropping
/// header entries when values failed as well makes both read exactly alike.
fn unseal_error(ss: &SealedSecret, error: ApiError) -> ControllerError {
    match error {
        ApiError::Open { what, .. } => ControllerError::Unseal {
            object: ss.describe(),
            what,
            scope: ss.scope(),
        },
        ApiError::Several { object, mut errors } => {
            let header_entries: Vec<String> = ss
                .spec
                .encrypted_data
                .keys()
                .filter(|k| is_header_key(k))
                .map(|k| format!("key {k:?}"))
                .collect();
            let is_header = |e: &ApiError| matches!(e, ApiError::Open { what, .. } if header_entries.contains(what));
            if errors.iter().any(|e| !is_header(e)) {
                errors.retain(|e| !is_header(e));
            }
            if errors.len() == 1 {
                return unseal_error(ss, errors.remove(0));
            }
            ControllerError::Invalid(ApiError::Several { object, errors })
        }
        other => ControllerError::Invalid(other),
    }
}

/// Unseal `ss` on the RSA pool.
pub async fn unseal_on_pool(
    ctx: &Context,
    ss: Arc<SealedSecret>,
    hint: Option<Fingerprint>,
) -> Result<Unsealed, ControllerError> {
    let keys = ctx.keys.clone();
    let limits = ctx.settings.render_limits;
    ctx.pool
        .run(move || {
            let mut opener = RingOpener::new(keys.ring(), hint);
            let secret =
                unseal_with_limits(&ss, &mut opener, &limits).map_err(|e| unseal_error(&ss, e))?;
            Ok(Unsealed {
                secret,
                fingerprint: opener.last_opened(),
            })
        })
        .await?
}
