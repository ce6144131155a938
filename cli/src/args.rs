//! The `sealant` command line (clap derive). Parsing only: each subcommand becomes a
//! request in `requests.rs`, which `kubeseal` mode produces too.

use crate::cluster::{ClusterArgs, certs::CertArgs};
use clap::{Args, Parser, Subcommand, ValueEnum};
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
    Check(crate::commands::check::CheckArgs),
    /// Git hook management.
    #[command(subcommand)]
    Hook(crate::commands::hook::HookCommand),
    /// Decrypt, edit in $EDITOR, and reseal only what changed.
    Edit(crate::commands::edit::EditArgs),
    /// Ask the cluster's controller whether SealedSecret files can be decrypted.
    Validate(ValidateArgs),
    /// Re-encrypt SealedSecret files in place under the newest key (controller or offline).
    Reencrypt(crate::commands::reencrypt::ReencryptArgs),
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
