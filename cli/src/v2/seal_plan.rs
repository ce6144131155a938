//! Which envelope `sealant seal` writes, and for whom. Flags override the repository's
//! creation rules, which override the v1 default:
//!
//! 1. `--recipient` (repeatable): v2 for exactly those recipients;
//! 2. `--envelope v2`: v2 for the `--cert` certificates, else the rule's recipients, else the
//!    cluster's certificate;
//! 3. `--envelope v1` or `--cert`: v1 as ever, rules not read;
//! 4. no flag: the first matching rule of the nearest `.sealant.yaml` (`rules.rs`);
//! 5. no rules file: v1 for the cluster's certificate, as ever.
//!
//! kubeseal mode never reads rules: its output stays kubeseal's.

use super::{
    recipients::{CLUSTER, ResolvedRecipient, resolve_all},
    rules::{EnvelopeFormat, rule_for_input},
};
use crate::{
    error::CliError,
    io::{Input, Output},
    requests::SealRequest,
};
use clap::Args;

/// The envelope v2 flags of `sealant seal`.
#[derive(Debug, Clone, Default, Args)]
pub struct SealV2Args {
    /// Envelope: v1 (default; kubeseal's format, one certificate) or v2 (any number of
    /// recipients, X-Wing keys, template bound). Default: the creation rule's, else v1.
    #[arg(long, value_enum, value_name = "v1|v2", conflicts_with = "raw")]
    pub envelope: Option<EnvelopeFormat>,
    /// A v2 recipient, repeatable: a certificate file or https:// URL (RSA), an X-Wing public
    /// key file (`keys generate --type x-wing`), or `cluster` (the cluster's certificate from
    /// the usual sources). Implies --envelope v2; overrides `.sealant.yaml`.
    #[arg(
        long = "recipient",
        value_name = "FILE|URL|cluster",
        conflicts_with = "raw"
    )]
    pub recipients: Vec<String>,
    /// Do not read `.sealant.yaml` creation rules.
    #[arg(long, conflicts_with = "raw")]
    pub no_rules: bool,
    /// kubeseal mode: rules never apply.
    #[arg(skip)]
    pub kubeseal_mode: bool,
}

impl SealV2Args {
    pub fn kubeseal() -> Self {
        Self {
            kubeseal_mode: true,
            ..Self::default()
        }
    }
}

/// What `seal` does.
pub enum SealPlan {
    /// v1 with `req.cert` as it now stands (a v1 rule may have set it).
    V1,
    /// v2 for these recipients; `chosen_by` names the flag or rule, for stderr.
    V2 {
        recipients: Vec<ResolvedRecipient>,
        chosen_by: String,
    },
}

pub fn plan(req: &mut SealRequest) -> Result<SealPlan, CliError> {
    let flags = req.v2.clone();
    if !flags.recipients.is_empty() {
        if flags.envelope == Some(EnvelopeFormat::V1) {
            return Err(CliError::Usage(
                "--recipient seals envelope v2; drop --envelope v1, or use --cert for v1".into(),
            ));
        }
        if !req.cert.cert.is_empty() {
            return Err(CliError::Usage(
                "--cert and --recipient both name whom to seal for; give every recipient with \
                 --recipient"
                    .into(),
            ));
        }
        return v2(&flags.recipients, req, "--recipient".into());
    }
    if flags.envelope == Some(EnvelopeFormat::V2) && !req.cert.cert.is_empty() {
        let specs = req.cert.cert.clone();
        return v2(&specs, req, "--cert".into());
    }
    if flags.envelope == Some(EnvelopeFormat::V1) || !req.cert.cert.is_empty() {
        return Ok(SealPlan::V1);
    }
    let rule = if flags.kubeseal_mode || flags.no_rules {
        None
    } else {
        let (file, stdin_name) = match (&req.input, &req.output) {
            (Input::File(path), _) => (Some(path.as_path()), None),
            (Input::Stdin, Output::File(path)) => (None, Some(path.as_path())),
            (Input::Stdin, Output::Stdout) => (None, None),
        };
        rule_for_input(file, stdin_name)?
    };
    match (rule, flags.envelope) {
        (Some(rule), envelope) => {
            let format = envelope.unwrap_or(rule.format);
            eprintln!("recipients: from {}", rule.name);
            if format == EnvelopeFormat::V2 {
                return v2(&rule.recipients, req, rule.name);
            }
            let [only] = rule.recipients.as_slice() else {
                return Err(CliError::Usage(format!(
                    "{}: v1 seals for one certificate; the rule names {}",
                    rule.name,
                    rule.recipients.len()
                )));
            };
            if only != CLUSTER {
                if std::fs::read(only)
                    .map(|b| String::from_utf8_lossy(&b).contains("XWING PUBLIC KEY"))
                    .unwrap_or(false)
                {
                    return Err(CliError::Usage(format!(
                        "{}: an X-Wing key is a v2 recipient; add `format: v2` to the rule",
                        rule.name
                    )));
                }
                req.cert.cert = vec![only.clone()];
            }
            Ok(SealPlan::V1)
        }
        (None, Some(EnvelopeFormat::V2)) => v2(&[CLUSTER.to_owned()], req, "--envelope v2".into()),
        (None, _) => Ok(SealPlan::V1),
    }
}

fn v2(specs: &[String], req: &SealRequest, chosen_by: String) -> Result<SealPlan, CliError> {
    if req.output_is_pattern
        && let Output::File(path) = &req.output
        && path.to_string_lossy().contains('{')
    {
        return Err(CliError::Usage(
            "a v2 seal writes one SealedSecret for all its recipients; -w is a file name, \
             not a {cert} pattern"
                .into(),
        ));
    }
    let recipients = resolve_all(specs, &req.cert)?;
    for r in &recipients {
        eprintln!("recipient: {}", r.describe());
    }
    Ok(SealPlan::V2 {
        recipients,
        chosen_by,
    })
}
