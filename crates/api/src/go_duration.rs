//! Go's `time.Duration` text format (`720h`, `1h30m`, `8760h0m0s`, `250ms`), which Bitnami's
//! controller flags, `SEALED_SECRETS_*` variables and kubectl's duration flags use, so
//! existing manifests and scripts keep working. One parser for the controller and the CLI.

use std::time::Duration;

/// Parse a Go duration. Negative durations are refused: no flag here means anything by them.
pub fn parse_go_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err("empty duration".to_owned());
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    if s.starts_with('-') {
        return Err(format!("negative duration {text:?} is not allowed"));
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("missing unit in duration {text:?}"))?;
        if number_len == 0 {
            return Err(format!("invalid duration {text:?}"));
        }
        let number: f64 = rest[..number_len]
            .parse()
            .map_err(|_| format!("invalid duration {text:?}"))?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds_per_unit = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            other => return Err(format!("unknown unit {other:?} in duration {text:?}")),
        };
        let out_of_range = || format!("duration {text:?} is out of range");
        let part =
            Duration::try_from_secs_f64(number * seconds_per_unit).map_err(|_| out_of_range())?;
        total = total.checked_add(part).ok_or_else(out_of_range)?;
        rest = &rest[unit_len..];
    }
    Ok(total)
}

/// kubectl's duration flags (`--request-timeout`): a Go duration, or a bare integer meaning
/// seconds.
pub fn parse_kubectl_duration(text: &str) -> Result<Duration, String> {
    if let Ok(secs) = text.trim().parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    parse_go_duration(text).map_err(|e| format!("{e} (examples: 30s, 5m, 24h, 0)"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_forms() {
        let cases = [
            ("0", 0.0),
            ("720h", 720.0 * 3600.0),
            ("87600h0m0s", 87600.0 * 3600.0),
            ("1h30m", 5400.0),
            ("1.5s", 1.5),
            ("250ms", 0.25),
            ("2m3s", 123.0),
        ];
        for (text, secs) in cases {
            assert_eq!(
                parse_go_duration(text).unwrap().as_secs_f64(),
                secs,
                "{text}"
            );
        }
    }

    #[test]
    fn kubectl_form_adds_bare_seconds() {
        assert_eq!(parse_kubectl_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_kubectl_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_kubectl_duration("1m30s"), Ok(Duration::from_secs(90)));
        for bad in ["", "h", "5x", "-1s", "1.2.3s", "s5"] {
            let err = parse_kubectl_duration(bad).unwrap_err();
            assert!(err.contains("examples"), "{bad}: {err}");
        }
    }

    #[test]
    fn refuses_malformed() {
        for text in ["", "10", "h", "-1s", "5d", "1..2s", "s1"] {
            assert!(parse_go_duration(text).is_err(), "{text:?} should fail");
        }
    }
}
