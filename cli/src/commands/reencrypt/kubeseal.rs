//! kubeseal `--re-encrypt`: the SealedSecret(s) from stdin or `-f`, re-encrypted by the
//! controller's `/v1/rotate`, written to stdout or `-w` in the chosen format (kubeseal's
//! default JSON). Nothing is written unless every object was re-encrypted.

use super::{
    online::Online,
    rotator::{Outcome, Rotator},
};
use crate::{error::CliError, requests::KubesealReencryptRequest};
use sealant_api::{parse_documents, write_documents};

pub fn kubeseal_reencrypt(req: KubesealReencryptRequest) -> Result<(), CliError> {
    // The cluster first, as `--validate` does: no cluster is exit 3 whatever the input.
    let mut online =
        Online::connect(req.cluster, req.namespace.as_deref()).map_err(in_kubeseal_words)?;
    let origin = req.input.display();
    let text = req.input.read_text()?;
    let documents = parse_documents(&text).map_err(|e| CliError::api(&origin, e))?;
    let mut sealed = Vec::new();
    for document in documents.iter().filter(|d| d.is_sealed_secret()) {
        let object = document
            .to_sealed_secret()
            .map_err(|e| CliError::api(format!("{origin}: {}", document.describe()), e))?;
        sealed.push((document, object));
    }
    if sealed.is_empty() {
        return Err(CliError::Usage(format!(
            "{origin}: no SealedSecret found to re-encrypt"
        )));
    }
    let mut rotated = Vec::with_capacity(sealed.len());
    for (document, object) in &sealed {
        let outcome = online
            .rotate(document.as_value(), object)
            .map_err(in_kubeseal_words)?;
        match outcome {
            Outcome::Rotated(new) => rotated.push(*new),
            Outcome::Refused(reason) => {
                return Err(CliError::NotRotatable {
                    object: format!("{} ({origin}): {reason}", object.describe()),
                });
            }
        }
    }
    let rendered = write_documents(&rotated, req.format).map_err(|e| CliError::api(&origin, e))?;
    req.output.write(rendered.as_bytes())
}

/// A cluster or controller that cannot answer, worded as kubeseal words it (exit 3 still).
fn in_kubeseal_words(error: CliError) -> CliError {
    match error {
        CliError::Cluster { reason } => CliError::CannotReencrypt { reason },
        CliError::Controller { controller, reason } => CliError::CannotReencrypt {
            reason: format!("controller {controller}: {reason}"),
        },
        other => other,
    }
}
