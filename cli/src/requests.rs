//! What a command asks for, independent of how it was spelled. Both the `sealant`
//! subcommands and `kubeseal` mode translate into these, so behaviour is shared.

use crate::{
    cluster::{ClusterArgs, certs::CertArgs},
    io::{Input, Output},
};
use sealant_api::OutputFormat;
use sealant_crypto::Scope;
use std::path::PathBuf;

#[derive(Debug)]
pub enum Request {
    Seal(SealRequest),
    SealRaw(RawSealRequest),
    MergeInto(MergeRequest),
    Unseal(UnsealRequest),
    UnsealRaw(RawUnsealRequest),
    KeysGenerate(GenerateRequest),
    KeysList(KeysListRequest),
    KeysRotate(KeysRotateRequest),
    KeysRetire(KeysRetireRequest),
    CertInspect {
        file: Input,
        json: bool,
    },
    /// `sealant cert fetch` / kubeseal `--fetch-cert`: the certificate to the output.
    PrintCert {
        cert: CertArgs,
        output: Output,
    },
    Validate(ValidateRequest),
    PrintVersion {
        program: &'static str,
    },
    Check(CheckRequest),
    HookInstall(HookInstallRequest),
    Edit(EditRequest),
    Reencrypt(ReencryptRequest),
    KubesealReencrypt(KubesealReencryptRequest),
}

/// kubeseal `--re-encrypt`: one input through the controller's `/v1/rotate` to one output.
#[derive(Debug)]
pub struct KubesealReencryptRequest {
    pub input: Input,
    pub output: Output,
    pub format: OutputFormat,
    /// Fills a SealedSecret's missing namespace (default: the context's).
    pub namespace: Option<String>,
    pub cluster: ClusterArgs,
}

/// How a namespace given on the command line combines with one in the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamespaceRule {
    /// sealant: `-n` fills a missing namespace; a different explicit one is an error.
    FillOrRefuseMismatch,
    /// kubeseal: `-n` only fills a missing namespace; the manifest's wins silently.
    FillOnly,
}

#[derive(Debug)]
pub struct SealRequest {
    pub cert: CertArgs,
    pub scope: Option<Scope>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub namespace_rule: NamespaceRule,
    pub input: Input,
    pub output: Output,
    pub format: OutputFormat,
    pub allow_empty_data: bool,
    /// Add the `sealant.dev/sealed-for` hint (sealant: yes; kubeseal mode: no, for
    /// byte-compatible output).
    pub record_sealed_for: bool,
    /// `--copy-metadata`: the Secret's labels and annotations on the SealedSecret too.
    pub copy_metadata: bool,
    /// The output file may hold `{cert}`/`{index}` (sealant's `-w` with `--cert`); kubeseal's
    /// `-w` is always a plain file name.
    pub output_is_pattern: bool,
}

#[derive(Debug)]
pub struct RawSealRequest {
    pub cert: CertArgs,
    pub scope: Scope,
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// `None` reads the value from stdin.
    pub from_file: Option<PathBuf>,
    pub output: Output,
}

#[derive(Debug)]
pub struct MergeRequest {
    pub cert: CertArgs,
    pub target: PathBuf,
    pub input: Input,
    pub allow_empty_data: bool,
    /// Add the sealed-for hint if missing (an existing one is always refreshed).
    pub record_sealed_for: bool,
}

/// `sealant validate` / kubeseal `--validate`.
#[derive(Debug)]
pub struct ValidateRequest {
    pub inputs: Vec<Input>,
    /// Fills a SealedSecret's missing namespace (default: the context's).
    pub namespace: Option<String>,
    pub cluster: ClusterArgs,
    /// kubeseal's error texts ("unable to decrypt sealed secret") instead of a report.
    pub kubeseal_errors: bool,
}

#[derive(Debug)]
pub struct UnsealRequest {
    pub private_keys: Vec<PathBuf>,
    pub input: Input,
    pub output: Output,
    pub format: OutputFormat,
}

#[derive(Debug)]
pub struct RawUnsealRequest {
    pub private_keys: Vec<PathBuf>,
    pub scope: Scope,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub from_file: Option<PathBuf>,
}

#[derive(Debug)]
pub struct GenerateRequest {
    pub out_dir: PathBuf,
    pub bits: usize,
    pub common_name: String,
    pub validity_days: u32,
}

/// `sealant keys list`.
#[derive(Debug)]
pub struct KeysListRequest {
    pub cluster: ClusterArgs,
    pub json: bool,
}

/// `sealant keys rotate`; `wait: None` is `--no-wait`.
#[derive(Debug)]
pub struct KeysRotateRequest {
    pub cluster: ClusterArgs,
    pub wait: Option<std::time::Duration>,
}

/// `sealant keys retire FINGERPRINT`; `wait: None` is `--no-wait`.
#[derive(Debug)]
pub struct KeysRetireRequest {
    pub cluster: ClusterArgs,
    pub fingerprint: String,
    pub wait: Option<std::time::Duration>,
}

/// `sealant check`: scan files (or the git index) offline.
#[derive(Debug)]
pub struct CheckRequest {
    /// Files or directories; empty means the current directory.
    pub paths: Vec<PathBuf>,
    /// Scan the blobs staged in the git index instead of the working tree.
    pub staged: bool,
    pub certs: Vec<PathBuf>,
    pub cert_dir: Option<PathBuf>,
    pub format: ReportFormat,
    /// `None`: `.sealant.yaml` where the scan starts (or at the top of the repository).
    pub config: Option<PathBuf>,
    /// Every opt-out (annotation, ignore glob) disabled.
    pub strict: bool,
}

/// How `sealant check` prints its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// One line per finding, and a summary on stderr.
    Human,
    /// One JSON array, for CI.
    Json,
}

/// `sealant hook install`.
#[derive(Debug)]
pub struct HookInstallRequest {
    /// The repository, or any directory inside it.
    pub repo: PathBuf,
    /// Replace an earlier chained hook instead of refusing.
    pub force: bool,
}

/// `sealant edit FILE`.
#[derive(Debug)]
pub struct EditRequest {
    pub file: PathBuf,
    /// Keys that open the current values; empty: values show as placeholders (or come
    /// from the cluster with `from_cluster`).
    pub private_keys: Vec<PathBuf>,
    pub from_cluster: bool,
    /// Where changed values are sealed to (and, with `from_cluster`, the cluster).
    pub cert: CertArgs,
}

/// `sealant reencrypt PATH...`: offline when `cert` is given, else through the controller.
#[derive(Debug)]
pub struct ReencryptRequest {
    pub paths: Vec<PathBuf>,
    pub dry_run: bool,
    /// Offline: keys that open the current values.
    pub private_keys: Vec<PathBuf>,
    /// Offline: the new key's certificate.
    pub cert: Option<PathBuf>,
    /// Online: fills a SealedSecret's missing namespace (default: the context's).
    pub namespace: Option<String>,
    pub cluster: ClusterArgs,
}

/// kubectl's `--from-file` syntax is `[key=]path`; only the path matters for one raw value.
pub fn from_file_path(spec: &str) -> PathBuf {
    match spec.split_once('=') {
        Some((_, path)) => PathBuf::from(path),
        None => PathBuf::from(spec),
    }
}

/// Format implied by an output file's extension, as kubeseal does for `.yaml`/`.yml`.
pub fn format_from_extension(output: &Output) -> Option<OutputFormat> {
    let Output::File(path) = output else {
        return None;
    };
    match path.extension().and_then(|e| e.to_str()) {
        Some("yaml" | "yml") => Some(OutputFormat::Yaml),
        Some("json") => Some(OutputFormat::Json),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_file_accepts_kubectl_key_syntax() {
        assert_eq!(from_file_path("pw=/tmp/x"), PathBuf::from("/tmp/x"));
        assert_eq!(from_file_path("/tmp/x"), PathBuf::from("/tmp/x"));
    }

    #[test]
    fn extension_picks_format() {
        let yaml = Output::File(PathBuf::from("a/b.yml"));
        assert_eq!(format_from_extension(&yaml), Some(OutputFormat::Yaml));
        assert_eq!(format_from_extension(&Output::Stdout), None);
    }
}
