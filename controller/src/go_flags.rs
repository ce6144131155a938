//! Go's flag syntax for booleans, so the arguments a Bitnami Deployment passes parse the same:
//! `--flag` alone means true, `--flag=VALUE` takes any form Go's `strconv.ParseBool` takes
//! (1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False), and `--flag VALUE` is *not*
//! a value (Go leaves the next argument alone, so we require the `=`).

use clap::{Arg, ArgAction};

/// Go's `strconv.ParseBool`, exactly: other spellings (`yes`, `on`, ` true`) are refused.
pub fn parse_go_bool(text: &str) -> Result<bool, String> {
    sealant_api::parse_go_bool(text).ok_or_else(|| {
        format!(
            "{text:?} is not a boolean; use true or false (or Go's 1, t, T, TRUE, True, 0, f, \
             F, FALSE, False)"
        )
    })
}

/// Give every plain `bool` flag (clap's `SetTrue`) Go's syntax. Applied to the whole
/// command, so a new boolean flag cannot forget it; its default stays what the field says
/// (`default_value = "true"`), else false.
pub fn go_style_bool(arg: Arg) -> Arg {
    if !matches!(arg.get_action(), ArgAction::SetTrue) {
        return arg;
    }
    let arg = if arg.get_default_values().is_empty() {
        arg.default_value("false")
    } else {
        arg
    };
    arg.action(ArgAction::Set)
        .num_args(0..=1)
        .require_equals(true)
        .default_missing_value("true")
        .value_parser(parse_go_bool)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn takes_exactly_gos_parse_bool_forms() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(parse_go_bool(t), Ok(true), "{t}");
        }
        for f in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(parse_go_bool(f), Ok(false), "{f}");
        }
        for bad in ["", "yes", "on", "tRUE", " true", "2"] {
            assert!(parse_go_bool(bad).is_err(), "{bad:?}");
        }
    }
}
