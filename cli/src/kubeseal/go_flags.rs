//! How Go's flag packages read values, where kubeseal's users rely on it.

/// `strconv.ParseBool`, which pflag uses for every boolean flag: `--raw=1` and
/// `--validate=F` are as valid as `--raw=true`.
pub fn go_bool(text: &str) -> Result<bool, String> {
    sealant_api::parse_go_bool(text)
        .ok_or_else(|| format!("strconv.ParseBool: parsing {text:?}: invalid syntax"))
}

/// client-go's `RemoveNamespacesPrefix` on `-n/--namespace`: `-n ns/team`,
/// `-n namespace/team` and `-n namespaces/team` all mean `team`, as in kubectl.
pub fn namespace(text: &str) -> Result<String, String> {
    for prefix in ["namespaces/", "namespace/", "ns/"] {
        if text.len() > prefix.len()
            && text
                .get(..prefix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
        {
            return Ok(text[prefix.len()..].to_owned());
        }
    }
    Ok(text.to_owned())
}

/// A path flag: any text, the empty one included (Go's string flags take it and treat it
/// as "not given"; clap's path parser refuses it).
pub fn path(text: &str) -> Result<std::path::PathBuf, String> {
    Ok(std::path::PathBuf::from(text))
}

/// A klog verbosity (`-v`): a 32-bit integer, as `klog.Level` parses it.
pub fn klog_level(text: &str) -> Result<i32, String> {
    text.parse::<i32>()
        .map_err(|_| format!("{text:?} is not a log verbosity (an integer)"))
}

/// `--log_file_max_size`: megabytes, an unsigned 64-bit integer.
pub fn megabytes(text: &str) -> Result<u64, String> {
    text.parse::<u64>()
        .map_err(|_| format!("{text:?} is not a size in megabytes"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_strconv_accepts() {
        for t in ["1", "t", "T", "true", "TRUE", "True"] {
            assert_eq!(go_bool(t), Ok(true), "{t}");
        }
        for f in ["0", "f", "F", "false", "FALSE", "False"] {
            assert_eq!(go_bool(f), Ok(false), "{f}");
        }
        for bad in ["", "yes", "tRUE", "2", "on"] {
            assert!(go_bool(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn namespace_prefixes_are_removed_once() {
        assert_eq!(namespace("ns/team").unwrap(), "team");
        assert_eq!(namespace("Namespace/team").unwrap(), "team");
        assert_eq!(namespace("namespaces/ns/x").unwrap(), "ns/x");
        assert_eq!(namespace("ns/").unwrap(), "ns/");
        assert_eq!(namespace("team").unwrap(), "team");
    }
}
