//! kubeseal's `SEALED_SECRETS_*` environment variables. kubeseal runs `pflagenv` over its
//! whole flag set before parsing the command line: every flag `--some-flag` can be set as
//! `SEALED_SECRETS_SOME_FLAG` (kubeseal's own flags, `--version`, `--help` and the kubectl
//! connection flags; not klog's). A flag on the command line wins over the variable; for
//! list flags (`--from-file`, `--recovery-private-key`, `--as-group`) the command line adds
//! to the variable's values. A value the flag cannot parse is ignored, as pflagenv ignores it.
//!
//! The same rules fall out of putting `--flag=value` for each variable in front of the
//! user's arguments, with clap told that a later occurrence of a flag overrides an earlier
//! one (as in pflag).

use super::{go_flags::go_bool, klog::KLOG_FLAGS};
use clap::Command;
use std::ffi::{OsStr, OsString};

/// kubeseal's `flagEnvPrefix`, with its separator.
pub const PREFIX: &str = "SEALED_SECRETS_";

/// Flags of sealant's own that kubeseal does not have: no variable of kubeseal's names them.
const SEALANT_EXTENSIONS: [&str; 1] = ["copy-metadata"];

/// `SEALED_SECRETS_CONTROLLER_NAMESPACE` for `controller-namespace`.
pub fn variable_for(long: &str) -> String {
    format!("{PREFIX}{}", long.to_ascii_uppercase().replace('-', "_"))
}

/// The arguments the environment contributes, to go between the program name and the
/// user's arguments. `lookup` reads one variable.
pub fn arguments_from(
    command: &Command,
    lookup: impl Fn(&str) -> Option<OsString>,
) -> Vec<OsString> {
    let mut args = Vec::new();
    for arg in command.get_arguments() {
        let Some(long) = arg.get_long() else {
            continue;
        };
        if KLOG_FLAGS.contains(&long) || SEALANT_EXTENSIONS.contains(&long) {
            continue;
        }
        let Some(value) = lookup(&variable_for(long)) else {
            continue;
        };
        let takes_optional_value = arg.get_num_args().is_some_and(|n| n.min_values() == 0);
        if long == "help" {
            // clap's help takes no value; pflag's is a boolean.
            if value.to_str().and_then(|v| go_bool(v).ok()) == Some(true) {
                args.push(OsString::from("--help"));
            }
        } else if takes_optional_value || long == "scope" {
            // A boolean (or the scope) that does not parse is dropped, as pflagenv drops it.
            if accepted(long, &value) {
                args.push(flag_with(long, &value));
            }
        } else {
            args.push(flag_with(long, &value));
        }
    }
    args
}

fn accepted(long: &str, value: &OsStr) -> bool {
    let Some(text) = value.to_str() else {
        return false;
    };
    if long == "scope" {
        text.parse::<sealant_crypto::Scope>().is_ok()
    } else {
        go_bool(text).is_ok()
    }
}

fn flag_with(long: &str, value: &OsStr) -> OsString {
    let mut arg = OsString::from(format!("--{long}="));
    arg.push(value);
    arg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_pflagenv() {
        assert_eq!(
            variable_for("controller-namespace"),
            "SEALED_SECRETS_CONTROLLER_NAMESPACE"
        );
        assert_eq!(
            variable_for("sealed-secret-file"),
            "SEALED_SECRETS_SEALED_SECRET_FILE"
        );
    }
}
