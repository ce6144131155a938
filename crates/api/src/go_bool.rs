//! Go's `strconv.ParseBool`, which Go's flag packages (the controller's `flag`, kubeseal's
//! pflag) and Bitnami's `SEALED_SECRETS_*` variables use for every boolean. One accept-list
//! for the controller and the CLI; each front end words its own refusal.

/// `strconv.ParseBool`, exactly: `None` for any other spelling (`yes`, `on`, ` true`, ``).
pub fn parse_go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_exactly_gos_parse_bool_forms() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(parse_go_bool(t), Some(true), "{t}");
        }
        for f in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(parse_go_bool(f), Some(false), "{f}");
        }
        for bad in ["", "yes", "on", "tRUE", " true", "true ", "2", "y"] {
            assert_eq!(parse_go_bool(bad), None, "{bad:?}");
        }
    }
}
