//! The `sealant` command line (clap derive). Every clap type of a subcommand lives here, and
//! [`Command::into_request`] turns it into a plain request of `requests.rs`, which `kubeseal`
//! mode produces too; the commands never see clap.

use crate::{
    cluster::{ClusterArgs, certs::CertArgs},
    io::{Input, Output},
    requests::{
        CheckRequest, EditRequest, HookInstallRequest, KeysListRequest, KeysRetireRequest,
        KeysRotateRequest, MergeRequest, NamespaceRule, RawSealRequest, RawUnsealRequest,
        ReencryptRequest, ReportFormat, Request, SealRequest, UnsealRequest, ValidateRequest,
        format_from_extension, from_file_path,
    },
};
use clap::{Args, Parser, Subcommand, ValueEnum};
use sealant_api::OutputFormat;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "sealant",
    version,
    about = "Seal Kubernetes Secrets so they can be committed to git (Bitnami Sealed Secrets compatible)",
    after_help = "Exit codes: 0 success, 1 input or usage error, 2 unexpected failure, 3 cluster or controller unusable.\n\
                  Invoked as `kubeseal` (symlink or copy), accepts kubeseal's flags."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Seal Secret manifests (multi-document YAML or JSON) into SealedSecrets.
    #[command(after_help = crate::commands::seal::MULTI_CERT_HELP)]
    Seal(SealArgs),
    /// Add or replace keys of an existing SealedSecret file, in place.
    MergeInto(MergeArgs),
    /// Offline recovery: decrypt SealedSecrets with private key files.
    Unseal(UnsealArgs),
    /// Key pair management.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Certificate tools.
    #[command(subcommand)]
    Cert(CertCommand),
    /// Offline scan for plaintext Secrets and broken SealedSecrets (CI, pre-commit).
    Check(CheckArgs),
    /// Git hook management.
    #[command(subcommand)]
    Hook(HookCommand),
    /// Decrypt, edit in $EDITOR, and reseal only what changed.
    Edit(EditArgs),
    /// Ask the cluster's controller whether SealedSecret files can be decrypted.
    Validate(ValidateArgs),
    /// Re-encrypt SealedSecret files in place under the newest key (controller or offline).
    Reencrypt(ReencryptArgs),
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// SealedSecret files (multi-document YAML or JSON; '-' for stdin).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Namespace for SealedSecrets that have none (default: the context's namespace).
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Yaml,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    Strict,
    NamespaceWide,
    ClusterWide,
}

impl From<ScopeArg> for sealant_crypto::Scope {
    fn from(s: ScopeArg) -> Self {
        match s {
            ScopeArg::Strict => sealant_crypto::Scope::Strict,
            ScopeArg::NamespaceWide => sealant_crypto::Scope::NamespaceWide,
            ScopeArg::ClusterWide => sealant_crypto::Scope::ClusterWide,
        }
    }
}

/// Manifest input, output file and format, shared by the commands that transform manifests.
#[derive(Debug, Args)]
pub struct IoArgs {
    /// Input manifest file ('-' or absent: stdin).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Output file, written atomically only on success (absent: stdout).
    #[arg(short = 'w', long = "output-file", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Output format; default yaml (json when -w ends in .json).
    #[arg(short = 'o', long, value_enum)]
    pub format: Option<FormatArg>,
}

#[derive(Debug, Args)]
pub struct SealArgs {
    #[command(flatten)]
    pub cert: CertArgs,
    /// Sealing scope; default: from the Secret's scope annotations, else strict.
    #[arg(long, value_enum)]
    pub scope: Option<ScopeArg>,
    /// Namespace for Secrets that have none (an explicit different one is an error).
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Name for a Secret that has none; with --raw, the name the value is bound to.
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub io: IoArgs,
    /// Seal a Secret with no data instead of refusing it.
    #[arg(long)]
    pub allow_empty_data: bool,
    /// Seal one raw value (from --from-file or stdin) and print it base64, no newline.
    #[arg(long)]
    pub raw: bool,
    /// With --raw: the file holding the value (kubectl syntax `[key=]path` accepted).
    #[arg(long, value_name = "[KEY=]FILE", requires = "raw")]
    pub from_file: Option<String>,
    /// Also put the input Secret's labels and annotations (an Argo CD sync-wave, say) on the
    /// SealedSecret's own metadata; kubectl's, Sealed Secrets' and sealant's own are left out.
    #[arg(long, conflicts_with = "raw")]
    pub copy_metadata: bool,
    #[command(flatten)]
    pub v2: crate::v2::SealV2Args,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The SealedSecret file to update in place (YAML stays YAML, JSON stays JSON).
    pub target: PathBuf,
    #[command(flatten)]
    pub cert: CertArgs,
    /// Secret manifest with the keys to add or replace ('-' or absent: stdin).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Accept a Secret with no data (then nothing changes).
    #[arg(long)]
    pub allow_empty_data: bool,
    /// Envelope v2 target: the public keys of its recipients (default: its creation rule's);
    /// they must be exactly the object's.
    #[arg(long = "recipient", value_name = "FILE|URL|cluster")]
    pub recipients: Vec<String>,
}

#[derive(Debug, Args)]
pub struct UnsealArgs {
    /// Private key file: PEM (PKCS#1 or PKCS#8) or a key Secret backup (YAML/JSON, v1.List).
    #[arg(
        long = "private-key",
        value_name = "FILE",
        required = true,
        value_delimiter = ','
    )]
    pub private_keys: Vec<PathBuf>,
    /// Manifests in and out; the plaintext output file is written mode 0600, new or replaced,
    /// and never through a symlink.
    #[command(flatten)]
    pub io: IoArgs,
    /// Decrypt one raw sealed value (from --from-file or stdin) and print the plaintext.
    #[arg(long)]
    pub raw: bool,
    /// With --raw: the file holding the base64 sealed value.
    #[arg(long, value_name = "FILE", requires = "raw")]
    pub from_file: Option<PathBuf>,
    /// With --raw: the scope the value was sealed for.
    #[arg(long, value_enum, requires = "raw")]
    pub scope: Option<ScopeArg>,
    /// With --raw: the namespace the value was sealed for.
    #[arg(short = 'n', long, requires = "raw")]
    pub namespace: Option<String>,
    /// With --raw: the name the value was sealed for.
    #[arg(long, requires = "raw")]
    pub name: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Generate a key pair (key.pem, 0600, and cert.pem) for bring-your-own-key or offline use.
    Generate(GenerateArgs),
    /// List the controller's keys: fingerprint, created, NotAfter, state and usage.
    List(KeysListArgs),
    /// Ask the controller for a new key (annotates the active key Secret; needs `patch secrets`).
    Rotate(KeysRotateArgs),
    /// Retire an old key no SealedSecret uses (annotates its Secret; needs `patch secrets`).
    Retire(KeysRetireArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeysListFormat {
    Table,
    Json,
}

fn wait_duration(text: &str) -> Result<std::time::Duration, String> {
    sealant_api::parse_kubectl_duration(text)
}

#[derive(Debug, Args)]
pub struct KeysListArgs {
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: KeysListFormat,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// How a lifecycle request waits for the controller to act on it.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Return once the request is made, without waiting for the controller to act on it.
    #[arg(long)]
    pub no_wait: bool,
    /// How long to wait for the controller to act on the request.
    #[arg(long, default_value = "60s", value_name = "DURATION", value_parser = wait_duration)]
    pub timeout: std::time::Duration,
}

impl WaitArgs {
    /// `None`: do not wait.
    pub fn wait(&self) -> Option<std::time::Duration> {
        (!self.no_wait).then_some(self.timeout)
    }
}

#[derive(Debug, Args)]
pub struct KeysRotateArgs {
    #[command(flatten)]
    pub wait: WaitArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

#[derive(Debug, Args)]
pub struct KeysRetireArgs {
    /// The key's SHA-256 fingerprint, or a unique prefix of at least 8 hex digits.
    #[arg(value_name = "FINGERPRINT")]
    pub fingerprint: String,
    #[command(flatten)]
    pub wait: WaitArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Directory to write key.pem and cert.pem into (created if missing; files must not exist).
    /// With --type x-wing: key.pem and public.pem.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Key type: rsa (a certificate, for v1 and v2) or x-wing (ML-KEM-768 + X25519, v2 only;
    /// an offline escrow key, say).
    #[arg(long = "type", value_enum, default_value = "rsa")]
    pub key_type: crate::v2::KeyTypeArg,
    /// RSA modulus size in bits [default: 4096].
    #[arg(long)]
    pub bits: Option<usize>,
    /// Certificate subject common name (Bitnami's --my-cn) [default: sealed-secret].
    #[arg(long = "cn")]
    pub common_name: Option<String>,
    /// Certificate validity in days [default: 3650].
    #[arg(long)]
    pub validity_days: Option<u32>,
}

#[derive(Debug, Subcommand)]
// Parsed once per process; boxing would only complicate clap's derive.
#[allow(clippy::large_enum_variant)]
pub enum CertCommand {
    /// Show a certificate's fingerprint, validity and key size.
    Inspect(InspectArgs),
    /// Print the cluster's sealing certificate (cache, ConfigMap, then service proxy).
    Fetch(FetchArgs),
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    #[command(flatten)]
    pub cert: CertArgs,
    /// Write the certificate to FILE instead of stdout.
    #[arg(short = 'w', long = "output-file", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// PEM certificate file ('-' for stdin).
    pub file: PathBuf,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "text")]
    pub format: InspectFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InspectFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to scan (default: the current directory). Directories are walked
    /// for *.yaml, *.yml, *.json and Kustomization, skipping .git, target and node_modules;
    /// files named explicitly are scanned whatever their extension. Files a kustomization's
    /// secretGenerator reads (envs, files) are checked too.
    pub paths: Vec<PathBuf>,
    /// Scan the blobs staged in the git index instead of the working tree (pre-commit).
    #[arg(long)]
    pub staged: bool,
    /// Known sealing certificate (PEM); repeatable. Enables key-size and fingerprint checks.
    #[arg(long = "cert", value_name = "FILE")]
    pub certs: Vec<PathBuf>,
    /// Directory of known certificates (*.pem, *.crt).
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<PathBuf>,
    /// Report format: one line per finding, or a JSON array for CI.
    #[arg(long, value_enum, default_value_t = ReportFormatArg::Human)]
    pub format: ReportFormatArg,
    /// Config file with `ignore:` path globs (default: .sealant.yaml in the current
    /// directory, or at the top of the repository with --staged).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Disable every opt-out (for CI): `sealant.dev/allow-plaintext` annotations and the
    /// config file's `ignore:` globs. Without it, each opt-out is listed as a note.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormatArg {
    Human,
    Json,
}

impl From<ReportFormatArg> for ReportFormat {
    fn from(f: ReportFormatArg) -> Self {
        match f {
            ReportFormatArg::Human => ReportFormat::Human,
            ReportFormatArg::Json => ReportFormat::Json,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Install the pre-commit hook, chaining any existing one.
    Install(HookInstallArgs),
}

#[derive(Debug, Args)]
pub struct HookInstallArgs {
    /// Repository (or any directory inside it); default: the current directory.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// When a foreign hook must be chained but an earlier chained hook is already there,
    /// replace that earlier one (it is lost) instead of refusing.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The SealedSecret file to edit in place (YAML stays YAML, JSON stays JSON).
    pub file: PathBuf,
    /// Private key file(s) that decrypt the current values (PEM or a key Secret backup).
    /// Without them, existing values show as placeholders that mean "keep".
    #[arg(long = "private-key", value_name = "FILE", value_delimiter = ',')]
    pub private_keys: Vec<PathBuf>,
    /// Show the current values from the live Secret in the cluster (read with your own
    /// RBAC), provided it was made from exactly this file's SealedSecret.
    #[arg(long)]
    pub from_cluster: bool,
    /// Where changed values are sealed to: --cert, else (with --from-cluster) the cluster's
    /// certificate; with --private-key alone, the public half of the key that opened the file.
    #[command(flatten)]
    pub cert: CertArgs,
}

#[derive(Debug, Args)]
pub struct ReencryptArgs {
    /// SealedSecret files, or directories searched recursively for *.yaml, *.yml, *.json.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// List what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Offline: private key file(s) that open the current values (PEM, an X-Wing key, or a
    /// key Secret backup); needs --cert or --update-recipients. No cluster is contacted.
    #[arg(long = "private-key", value_name = "FILE", value_delimiter = ',')]
    pub private_keys: Vec<PathBuf>,
    /// Offline: the new key's certificate (PEM); needs --private-key.
    #[arg(long, value_name = "FILE", requires = "private_keys")]
    pub cert: Option<PathBuf>,
    /// Online: namespace for SealedSecrets that have none (default: the context's).
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Envelope v2: re-wrap each file's data keys for the recipients its `.sealant.yaml`
    /// creation rule names now; values stay byte for byte. With --private-key (RSA or
    /// X-Wing) of one current recipient, offline; without, the controller re-wraps
    /// (`/v1/recipients`), for its own keys and those it was started with
    /// --allowed-recipients for.
    #[arg(long, conflicts_with = "cert")]
    pub update_recipients: bool,
}

fn output_format(flag: Option<FormatArg>, output: &Output) -> OutputFormat {
    match flag {
        Some(FormatArg::Json) => OutputFormat::Json,
        Some(FormatArg::Yaml) => OutputFormat::Yaml,
        None => format_from_extension(output).unwrap_or(OutputFormat::Yaml),
    }
}

impl Command {
    /// The request this command line asks for.
    pub fn into_request(self) -> Request {
        match self {
            Command::Seal(a) if a.raw => Request::SealRaw(RawSealRequest {
                cert: a.cert,
                scope: a.scope.map(Into::into).unwrap_or_default(),
                namespace: a.namespace,
                name: a.name,
                from_file: a.from_file.as_deref().map(from_file_path),
                output: Output::from_arg(a.io.output),
            }),
            Command::Seal(a) => {
                let output = Output::from_arg(a.io.output);
                Request::Seal(SealRequest {
                    cert: a.cert,
                    scope: a.scope.map(Into::into),
                    namespace: a.namespace,
                    name: a.name,
                    namespace_rule: NamespaceRule::FillOrRefuseMismatch,
                    input: Input::from_arg(a.io.input),
                    format: output_format(a.io.format, &output),
                    output,
                    allow_empty_data: a.allow_empty_data,
                    record_sealed_for: true,
                    copy_metadata: a.copy_metadata,
                    output_is_pattern: true,
                    v2: a.v2,
                })
            }
            Command::MergeInto(a) => Request::MergeInto(MergeRequest {
                cert: a.cert,
                target: a.target,
                input: Input::from_arg(a.input),
                allow_empty_data: a.allow_empty_data,
                record_sealed_for: true,
                recipients: a.recipients,
            }),
            Command::Unseal(a) if a.raw => Request::UnsealRaw(RawUnsealRequest {
                private_keys: a.private_keys,
                scope: a.scope.map(Into::into).unwrap_or_default(),
                namespace: a.namespace,
                name: a.name,
                from_file: a.from_file,
            }),
            Command::Unseal(a) => {
                let output = Output::from_arg(a.io.output);
                Request::Unseal(UnsealRequest {
                    private_keys: a.private_keys,
                    input: Input::from_arg(a.io.input),
                    format: output_format(a.io.format, &output),
                    output,
                })
            }
            Command::Keys(KeysCommand::Generate(a)) => {
                Request::KeysGenerate(crate::v2::generate_request(a))
            }
            Command::Keys(KeysCommand::List(a)) => Request::KeysList(KeysListRequest {
                cluster: a.cluster,
                json: a.output == KeysListFormat::Json,
            }),
            Command::Keys(KeysCommand::Rotate(a)) => Request::KeysRotate(KeysRotateRequest {
                cluster: a.cluster,
                wait: a.wait.wait(),
            }),
            Command::Keys(KeysCommand::Retire(a)) => Request::KeysRetire(KeysRetireRequest {
                cluster: a.cluster,
                fingerprint: a.fingerprint,
                wait: a.wait.wait(),
            }),
            Command::Cert(CertCommand::Inspect(a)) => Request::CertInspect {
                file: Input::from_arg(Some(a.file)),
                json: a.format == InspectFormat::Json,
            },
            Command::Cert(CertCommand::Fetch(a)) => Request::PrintCert {
                cert: a.cert,
                output: Output::from_arg(a.output),
            },
            Command::Validate(a) => Request::Validate(ValidateRequest {
                inputs: a
                    .files
                    .into_iter()
                    .map(|f| Input::from_arg(Some(f)))
                    .collect(),
                namespace: a.namespace,
                cluster: a.cluster,
                kubeseal_errors: false,
            }),
            Command::Check(a) => Request::Check(CheckRequest {
                paths: a.paths,
                staged: a.staged,
                certs: a.certs,
                cert_dir: a.cert_dir,
                format: a.format.into(),
                config: a.config,
                strict: a.strict,
            }),
            Command::Hook(HookCommand::Install(a)) => Request::HookInstall(HookInstallRequest {
                repo: a.repo,
                force: a.force,
            }),
            Command::Edit(a) => Request::Edit(EditRequest {
                file: a.file,
                private_keys: a.private_keys,
                from_cluster: a.from_cluster,
                cert: a.cert,
            }),
            Command::Reencrypt(a) => Request::Reencrypt(ReencryptRequest {
                paths: a.paths,
                dry_run: a.dry_run,
                private_keys: a.private_keys,
                cert: a.cert,
                namespace: a.namespace,
                cluster: a.cluster,
                update_recipients: a.update_recipients,
            }),
        }
    }
}
