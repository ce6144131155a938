//! A small, documented subset of Go's `text/template` for `spec.template.data`.
//!
//! Bitnami evaluates these templates with Go's engine and the whole sprig library against
//! the decrypted values (a map of key → string). We support what Bitnami users actually write
//! and refuse everything else with an error naming the construct, rather than guess:
//!
//! * literal text;
//! * actions `{{ pipeline }}`, with the trim markers `{{- ` and ` -}}`, and comments
//!   `{{/* ... */}}`;
//! * operands: `.key` (a decrypted value), `.` (only as the first argument of `index`),
//!   string literals `"..."` (Go escapes) and `` `raw` ``;
//! * pipelines `a | f | g`, where the piped value becomes the last argument;
//! * functions: `index . "key"`, `quote`, `squote`, `upper`, `lower`, `trim`, `b64enc`,
//!   `b64dec`, `toJson`, and `printf` with the verbs `%s`, `%v`, `%q` and `%%`.
//!
//! Differences from Go, all of them errors where Go would silently produce something odd:
//! a reference to a key that does not exist (Go prints `<no value>`), `b64dec` of invalid
//! base64 (sprig returns the error text as the value), `printf` argument-count mismatches
//! (Go prints `%!s(MISSING)`), and printing `.` itself. `quote` follows Go's `%q` for ASCII,
//! control characters and invalid UTF-8; for other non-printable Unicode it approximates
//! Go's `unicode.IsPrint` (controls, format characters and non-ASCII spaces are escaped).
//!
//! Rendering never panics on any input, and every buffer that holds plaintext zeroizes itself.

mod eval;
mod go_format;
mod parse;

use crate::{ApiError, SecretBytes};
use eval::{Val, eval_pipeline};
use go_format::SecureBuf;
use parse::{Node, parse};
use std::collections::BTreeMap;

/// Render `template` (the value of `spec.template.data[key]`) against decrypted `values`.
pub fn render_template(
    key: &str,
    template: &str,
    values: &BTreeMap<String, SecretBytes>,
) -> Result<SecretBytes, ApiError> {
    render(template, values).map_err(|reason| template_error(key, reason))
}

/// Parse `template` without evaluating it: for offline checks, which have no plaintext.
pub fn check_template(key: &str, template: &str) -> Result<(), ApiError> {
    parse(template)
        .map(drop)
        .map_err(|reason| template_error(key, reason))
}

fn template_error(key: &str, reason: String) -> ApiError {
    ApiError::Template {
        object: "template".to_owned(),
        key: key.to_owned(),
        reason,
    }
}

/// Render, returning the reason on failure (the caller adds object and key).
pub(crate) fn render(
    template: &str,
    values: &BTreeMap<String, SecretBytes>,
) -> Result<SecretBytes, String> {
    let nodes = parse(template)?;
    let mut out = SecureBuf::default();
    for node in &nodes {
        match node {
            Node::Text(t) => out.extend(t.as_bytes()),
            Node::Action(p) => match eval_pipeline(p, values)? {
                Val::Bytes(b) => out.extend(&b),
                Val::Dot => {
                    return Err("cannot print `.` (the whole data map); use .key".to_owned());
                }
            },
        }
    }
    Ok(SecretBytes::new(out.0))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn values() -> BTreeMap<String, SecretBytes> {
        [
            ("user", &b"admin"[..]),
            ("pass", b"s3cr\"t<&>"),
            ("tls.crt", b"CERT"),
            ("pad", b"  x \n"),
            ("bin", b"\xff\x00a"),
            ("uni", "é\u{200b}".as_bytes()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), SecretBytes::copy_from_slice(v)))
        .collect()
    }

    fn ok(t: &str) -> String {
        let out = render(t, &values()).unwrap_or_else(|e| panic!("{t:?}: {e}"));
        String::from_utf8_lossy(out.as_bytes()).into_owned()
    }

    fn err(t: &str) -> String {
        match render(t, &values()) {
            Ok(v) => panic!("{t:?} rendered {:?}", v.as_bytes()),
            Err(e) => e,
        }
    }

    #[test]
    fn fields_index_and_text() {
        assert_eq!(ok("plain text"), "plain text");
        assert_eq!(ok("u={{ .user }};"), "u=admin;");
        assert_eq!(ok("{{.user}}{{ index . \"tls.crt\" }}"), "adminCERT");
        assert_eq!(ok("{{ `raw` }}{{ \"a\\tb\\x41\" }}"), "rawa\tbA");
        assert_eq!(ok("{{/* a comment */}}x"), "x");
        assert_eq!(ok(""), "");
    }

    #[test]
    fn trim_markers() {
        assert_eq!(ok("a  \n {{- .user -}} \n b"), "aadminb");
        assert_eq!(ok("a {{- /* c */ -}} b"), "ab");
        assert_eq!(ok("a {{ .user -}}\n\n"), "a admin");
        assert_eq!(ok("\n {{- .user }} "), "admin ");
    }

    #[test]
    fn functions() {
        assert_eq!(ok("{{ .user | upper }}"), "ADMIN");
        assert_eq!(ok("{{ upper .user | lower }}"), "admin");
        assert_eq!(ok("{{ .pad | trim }}"), "x");
        assert_eq!(ok("{{ .user | quote }}"), "\"admin\"");
        assert_eq!(ok("{{ quote .pass }}"), r#""s3cr\"t<&>""#);
        assert_eq!(ok("{{ .bin | quote }}"), r#""\xff\x00a""#);
        assert_eq!(ok("{{ .uni | quote }}"), "\"é\\u200b\"");
        assert_eq!(ok("{{ squote .user }}"), "'admin'");
        assert_eq!(ok("{{ .user | b64enc }}"), "YWRtaW4=");
        assert_eq!(ok("{{ .user | b64enc | b64dec }}"), "admin");
        assert_eq!(ok("{{ toJson .pass }}"), r#""s3cr\"t\u003c\u0026\u003e""#);
        assert_eq!(ok("{{ .bin | toJson }}"), "\"\u{fffd}\\u0000a\"");
        assert_eq!(
            ok(r#"{{ printf "%s:%s %%" .user .user }}"#),
            "admin:admin %"
        );
        assert_eq!(ok(r#"{{ .user | printf "<%v>" }}"#), "<admin>");
        assert_eq!(ok(r#"{{ printf "%q" .user }}"#), "\"admin\"");
    }

    #[test]
    fn unsupported_and_bad_input_are_errors() {
        assert!(err("{{ .missing }}").contains("\"missing\""));
        assert!(err("{{ index . \"nope\" }}").contains("\"nope\""));
        assert!(err("{{ if .user }}x{{ end }}").contains("`if`"));
        assert!(err("{{ range . }}{{ end }}").contains("`range`"));
        assert!(err("{{ sha256sum .user }}").contains("\"sha256sum\""));
        assert!(err("{{ $x := .user }}").contains("variables"));
        assert!(err("{{ .user").contains("unclosed"));
        assert!(err("{{ \"abc }}").contains("unterminated"));
        assert!(err("{{ . }}").contains("whole data map"));
        assert!(err("{{ .a.b }}").contains("chained"));
        assert!(err("{{ upper (lower .user) }}").contains("parenthesized"));
        assert!(err("{{ .user .user }}").contains("only functions"));
        assert!(err("{{ .user | .user }}").contains("non-function"));
        assert!(err("{{ printf \"%d\" .user }}").contains("%d"));
        assert!(err("{{ printf \"%s\" }}").contains("too few"));
        assert!(err("{{ printf \"x\" .user }}").contains("too many"));
        assert!(err("{{ .user | b64dec }}").contains("base64"));
        assert!(err("{{ upper .user .user }}").contains("one argument"));
        assert!(err("{{ 3 }}").contains("number"));
        assert!(err("{{ | upper }}").contains("missing command"));
        assert!(err("{{ index .user \"x\" }}").contains("index"));
        // No error message quotes a value.
        for t in ["{{ .pass | b64dec }}", "{{ upper .bin }}"] {
            assert!(!err(t).contains("s3cr"));
        }
        assert!(check_template("k", "{{ .x | upper }}").is_ok());
        assert!(check_template("k", "{{ if }}").is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn random_templates_never_panic(t in r#"[{}\-. a-z"`|$()/*\\%:=0-9\n\t'é]{0,48}"#) {
            let _ = render(&t, &values());
            let _ = check_template("k", &t);
        }

        #[test]
        fn token_soup_never_panics(parts in proptest::collection::vec(prop_oneof![
            Just("{{"), Just("}}"), Just("{{- "), Just(" -}}"), Just(".user"), Just("."),
            Just("|"), Just(" "), Just("\""), Just("`"), Just("index"), Just("quote"),
            Just("printf"), Just("\"%s\""), Just("/*"), Just("*/"), Just("toJson"), Just("b64dec"),
            Just("\\"), Just("\\u12"), Just("x"),
        ], 0..24)) {
            let t: String = parts.concat();
            let _ = render(&t, &values());
        }
    }
}
