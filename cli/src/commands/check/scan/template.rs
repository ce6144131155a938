//! Go template actions (`{{ ... }}`, Helm charts and Alertmanager configs): which values are
//! only a template, and a way to read a Helm template as YAML at all.
//!
//! A value is a template only when it is made entirely of actions and whitespace: any other
//! character is literal text that ends up in the Secret as written, so one `{{` in a value
//! must never hide the rest of it.

/// What an action becomes when a template is read as YAML: a plain scalar that fits
/// wherever an action can stand (a value, a key, part of either), and that
/// [`is_template_only`] counts as an action.
pub const ACTION_PLACEHOLDER: &str = "__sealant_template_action__";

/// True when `value` holds at least one action and nothing else but whitespace.
pub fn is_template_only(value: &str) -> bool {
    let mut rest = value.trim_start();
    let mut actions = 0usize;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(ACTION_PLACEHOLDER) {
            rest = after;
        } else if let Some(inner) = rest.strip_prefix("{{") {
            let Some(end) = inner.find("}}") else {
                return false;
            };
            rest = &inner[end + 2..];
        } else {
            return false;
        }
        actions += 1;
        rest = rest.trim_start();
    }
    actions > 0
}

/// The text with every action neutralized, line numbers kept: a line made only of actions
/// (`{{- if ... }}`, `{{- include ... | nindent 4 }}`) becomes empty, any other action becomes
/// [`ACTION_PLACEHOLDER`]. `None` when there is no action, or one spans lines inside other
/// text (no faithful rewrite exists then).
pub fn neutralize(text: &str) -> Option<zeroize::Zeroizing<String>> {
    if !text.contains("{{") {
        return None;
    }
    let mut out = zeroize::Zeroizing::new(String::with_capacity(text.len()));
    let mut lines = text.split_inclusive('\n');
    while let Some(line) = lines.next() {
        let (body, newline) = split_newline(line);
        if !body.contains("{{") {
            out.push_str(line);
            continue;
        }
        if is_template_only(body) {
            out.push_str(newline);
            continue;
        }
        // An action alone on its lines, over several of them: blank them all.
        if body.trim_start().starts_with("{{") && !body.contains("}}") {
            out.push_str(newline);
            loop {
                let next = lines.next()?;
                let (body, newline) = split_newline(next);
                out.push_str(newline);
                if let Some(end) = body.find("}}") {
                    if !body[end + 2..].trim().is_empty() {
                        return None;
                    }
                    break;
                }
            }
            continue;
        }
        out.push_str(&replace_actions(body)?);
        out.push_str(newline);
    }
    Some(out)
}

fn split_newline(line: &str) -> (&str, &str) {
    let body = line.trim_end_matches(['\n', '\r']);
    (body, &line[body.len()..])
}

/// Each `{{ ... }}` of one line replaced; `None` if one is not closed on it.
fn replace_actions(line: &str) -> Option<String> {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start + 2..].find("}}")?;
        out.push_str(ACTION_PLACEHOLDER);
        rest = &rest[start + 2 + end + 2..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn only_actions_and_whitespace_make_a_template() {
        for value in [
            "{{ .Values.token }}",
            " {{ .a }}{{- .b -}}\n",
            "{{ template \"x\" . }}\n{{ end }}",
            ACTION_PLACEHOLDER,
        ] {
            assert!(is_template_only(value), "{value:?}");
        }
        for value in [
            "",
            "  ",
            "hunter2 {{",
            "user-{{ .Values.d }}",
            "{{ .a }} literal",
            "{{ unclosed",
            "url: https://hooks/x\ntext: '{{ template \"t\" . }}'",
        ] {
            assert!(!is_template_only(value), "{value:?}");
        }
    }

    #[test]
    fn neutralized_templates_keep_their_lines() {
        let text = "{{- if .Values.on }}\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-db\n  labels:\n    {{- include \"l\" .\n      | nindent 4 }}\nstringData:\n  password: hunter2\n{{- end }}\n";
        let out = neutralize(text).unwrap();
        assert_eq!(
            out.as_str(),
            format!(
                "\nkind: Secret\nmetadata:\n  name: {ACTION_PLACEHOLDER}-db\n  labels:\n\n\nstringData:\n  password: hunter2\n\n"
            )
        );
        assert_eq!(out.lines().count(), text.lines().count());
        assert!(neutralize("kind: Secret\n").is_none());
        assert!(neutralize("a: x{{ .b\n c }}\n").is_none());
    }
}
