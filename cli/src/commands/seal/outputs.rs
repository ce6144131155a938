//! Where `sealant seal` writes when it seals for several certificates (#839): one file per
//! certificate, named by the `-w` pattern, or one stream on stdout.

use crate::{error::CliError, io::Output};
use std::path::{Path, PathBuf};

/// In a `-w` pattern: the certificate's file name without its extension (`prod` for
/// `certs/prod.pem` or `https://host/certs/prod.pem`).
pub const CERT_PLACEHOLDER: &str = "{cert}";
/// In a `-w` pattern: the certificate's position among the `--cert` flags, from 1.
pub const INDEX_PLACEHOLDER: &str = "{index}";

/// `--help` text for the pattern. Names the placeholders above.
pub const MULTI_CERT_HELP: &str = "Several certificates: `--cert A --cert B` seals every Secret once per certificate, \
each output exactly what a single --cert would write. With -w, the file name is a pattern: \
{cert} is the certificate's file name without extension, {index} its position (from 1), \
e.g. `-w db-{cert}.yaml` (directories must exist); it must contain a placeholder when there is more than one \
certificate, and two certificates may not map to the same file. Without -w, the outputs go to \
stdout one after another, in --cert order (one YAML or JSON stream).";

fn has_placeholder(pattern: &str) -> bool {
    pattern.contains(CERT_PLACEHOLDER) || pattern.contains(INDEX_PLACEHOLDER)
}

/// The name `{cert}` stands for: the last path segment of the file or URL, without extension.
fn cert_stem(spec: &str) -> Result<String, CliError> {
    let last = spec
        .trim_end_matches('/')
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(spec);
    let stem = Path::new(last)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            CliError::Usage(format!(
                "--cert {spec:?} has no file name to put in place of {CERT_PLACEHOLDER}"
            ))
        })?;
    Ok(stem)
}

/// One output per certificate (`certs` are the `--cert` values, in order). `None` means
/// every output goes to stdout, in order.
pub fn per_certificate(
    output: &Output,
    certs: &[String],
) -> Result<Option<Vec<PathBuf>>, CliError> {
    let Output::File(pattern) = output else {
        return Ok(None);
    };
    let text = pattern.to_string_lossy().into_owned();
    if !has_placeholder(&text) {
        if certs.len() > 1 {
            return Err(CliError::Usage(format!(
                "-w {text:?} names one file, but {} certificates were given; put \
                 {CERT_PLACEHOLDER} or {INDEX_PLACEHOLDER} in it (e.g. sealed-{CERT_PLACEHOLDER}.yaml)",
                certs.len()
            )));
        }
        return Ok(Some(vec![pattern.clone()]));
    }
    let mut paths: Vec<PathBuf> = Vec::with_capacity(certs.len());
    for (i, spec) in certs.iter().enumerate() {
        let mut name = text.replace(INDEX_PLACEHOLDER, &(i + 1).to_string());
        if name.contains(CERT_PLACEHOLDER) {
            name = name.replace(CERT_PLACEHOLDER, &cert_stem(spec)?);
        }
        let path = PathBuf::from(name);
        if let Some(j) = paths.iter().position(|p| p == &path) {
            return Err(CliError::Usage(format!(
                "--cert {:?} and --cert {spec:?} would both be written to {}; use {INDEX_PLACEHOLDER} \
                 or rename a certificate file",
                certs[j],
                path.display()
            )));
        }
        paths.push(path);
    }
    Ok(Some(paths))
}

/// A `-w` pattern with no certificate to fill it: the certificate comes from the cluster.
pub fn refuse_pattern_without_cert(output: &Output) -> Result<(), CliError> {
    match output {
        Output::File(p) if has_placeholder(&p.to_string_lossy()) => Err(CliError::Usage(format!(
            "-w {}: {CERT_PLACEHOLDER} and {INDEX_PLACEHOLDER} stand for --cert files; none was given",
            p.display()
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn certs(specs: &[&str]) -> Vec<String> {
        specs.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn placeholders_are_filled_per_certificate() {
        let out = Output::File(PathBuf::from("out/{cert}-{index}.yaml"));
        let paths = per_certificate(&out, &certs(&["a/prod.pem", "https://x/y/staging.crt"]))
            .unwrap()
            .unwrap();
        assert_eq!(
            paths,
            vec![
                PathBuf::from("out/prod-1.yaml"),
                PathBuf::from("out/staging-2.yaml")
            ]
        );
    }

    #[test]
    fn refusals() {
        let plain = Output::File(PathBuf::from("out.yaml"));
        assert!(per_certificate(&plain, &certs(&["a.pem", "b.pem"])).is_err());
        assert_eq!(
            per_certificate(&plain, &certs(&["a.pem"])).unwrap(),
            Some(vec![PathBuf::from("out.yaml")])
        );
        let by_name = Output::File(PathBuf::from("{cert}.yaml"));
        assert!(per_certificate(&by_name, &certs(&["x/c.pem", "y/c.pem"])).is_err());
        assert!(
            per_certificate(&Output::Stdout, &certs(&["a", "b"]))
                .unwrap()
                .is_none()
        );
        assert!(refuse_pattern_without_cert(&by_name).is_err());
    }
}
