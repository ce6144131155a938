//! `sealant check` against the creation rules: every header of a v2 object must be wrapped
//! for exactly the recipients the file's rule names (`.sealant.yaml`, `v2/rules.rs`). The
//! classic case is an escrow key added to the rule after some files were sealed: those files
//! are reported ("missing x-wing <key id> (escrow/public.pem)") until `sealant reencrypt
//! --update-recipients` re-wraps them.
//!
//! Offline only: `cluster` and URL recipients of a rule are not fetched, so for such a rule
//! only missing file recipients are reported, not extra stanzas.

use super::{Ctx, sealed_v2::V2Part};
use crate::{
    commands::check::{
        report::{Finding, Rule},
        source::{Candidate, Origin},
    },
    v2::{
        recipients::{self, CLUSTER, describe_id},
        rules,
    },
};
use sealant_crypto::v2::RecipientId;
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, OnceLock},
};

/// What the rule for one file expects.
#[derive(Debug)]
pub struct Expected {
    /// `path/.sealant.yaml creation_rules[1]`.
    rule: String,
    recipients: Result<Vec<(RecipientId, String)>, String>,
    /// The rule names recipients that are not compared offline (`cluster`, URLs).
    partial: bool,
}

/// The expectation for a file on disk, if a rules file with a matching rule is above it.
/// Rules files and their resolved recipients are cached per process (a tree scan reads each
/// once).
pub fn expected_for(candidate: &Candidate) -> Option<Arc<Expected>> {
    let Origin::Disk(path) = &candidate.origin else {
        return None;
    };
    let cwd = std::env::current_dir().ok()?;
    let file = rules::absolute_file(&cwd, path);
    let dir = file.parent()?.to_path_buf();
    let rules_file = rules_above(&dir)?;
    let rules_file = match rules_file {
        Ok(rules_file) => rules_file,
        Err(message) => {
            return Some(Arc::new(Expected {
                rule: rules::FILE_NAME.to_owned(),
                recipients: Err(message),
                partial: false,
            }));
        }
    };
    let matched = rules_file.rule_for(Some(&file))?;
    Some(resolved(&matched))
}

type RulesCache = Mutex<HashMap<PathBuf, Option<Result<Arc<rules::RulesFile>, String>>>>;

fn rules_above(dir: &Path) -> Option<Result<Arc<rules::RulesFile>, String>> {
    static CACHE: OnceLock<RulesCache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Ok(cache) = cache.lock()
        && let Some(hit) = cache.get(dir)
    {
        return hit.clone();
    }
    let found = match rules::find(dir) {
        Ok(Some(file)) => Some(Ok(Arc::new(file))),
        Ok(None) => None,
        Err(e) => Some(Err(e.to_string())),
    };
    if let Ok(mut cache) = cache.lock() {
        cache.insert(dir.to_path_buf(), found.clone());
    }
    found
}

fn resolved(matched: &rules::MatchedRule) -> Arc<Expected> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Expected>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Ok(cache) = cache.lock()
        && let Some(hit) = cache.get(&matched.name)
    {
        return hit.clone();
    }
    let mut partial = false;
    let mut ids = Vec::new();
    let mut failure = None;
    for spec in &matched.recipients {
        if spec == CLUSTER
            || spec == recipients::CLUSTER_XWING
            || spec.starts_with("https://")
            || spec.starts_with("http://")
        {
            partial = true;
            continue;
        }
        let read = recipients::read_recipient_file(spec)
            .and_then(|bytes| recipients::from_bytes(&bytes, spec))
            .map_err(|e| e.to_string());
        match read {
            Ok(recipient) => ids.push((recipient.id(), recipient.origin)),
            Err(message) => {
                failure = Some(message);
                break;
            }
        }
    }
    let expected = Arc::new(Expected {
        rule: matched.name.clone(),
        recipients: failure.map_or(Ok(ids), Err),
        partial,
    });
    if let Ok(mut cache) = cache.lock() {
        cache.insert(matched.name.clone(), expected.clone());
    }
    expected
}

/// Reports each header whose stanzas are not the rule's recipients.
pub fn compare(part: &V2Part, ctx: &Ctx, out: &mut Vec<Finding>) {
    let Some(expected) = ctx.expected else {
        return;
    };
    let wanted = match &expected.recipients {
        Ok(wanted) => wanted,
        Err(message) => {
            out.push(ctx.finding(
                Rule::SealedV2Recipients,
                Vec::new(),
                format!(
                    "cannot compare recipients with {}: {message}",
                    expected.rule
                ),
            ));
            return;
        }
    };
    for (header_key, header) in part.headers.values() {
        let present: Vec<_> = header.stanzas.iter().map(|s| s.key_id).collect();
        let missing: Vec<String> = wanted
            .iter()
            .filter(|(id, _)| !present.contains(&id.key_id))
            .map(|(id, origin)| describe_id(id, Some(origin)))
            .collect();
        let extra: Vec<String> = if expected.partial {
            Vec::new()
        } else {
            header
                .stanzas
                .iter()
                .filter(|s| !wanted.iter().any(|(id, _)| id.key_id == s.key_id))
                .map(|s| match s.recipient() {
                    Some(id) => describe_id(&id, None),
                    None => format!("type 0x{:02x} {}", s.type_byte, s.key_id.to_hex()),
                })
                .collect()
        };
        if missing.is_empty() && extra.is_empty() {
            continue;
        }
        let mut parts = Vec::new();
        if !missing.is_empty() {
            parts.push(format!("missing {}", missing.join(", ")));
        }
        if !extra.is_empty() {
            parts.push(format!("not in the rule {}", extra.join(", ")));
        }
        out.push(ctx.key_finding(
            Rule::SealedV2Recipients,
            header_key,
            format!(
                "v2 header {header_key:?} is not sealed for the recipients of {}: {}; run \
                 `sealant reencrypt --update-recipients` on the file",
                expected.rule,
                parts.join("; ")
            ),
        ));
    }
}
