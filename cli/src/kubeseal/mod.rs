//! `kubeseal` mode: when the binary is invoked as `kubeseal`, accept every flag of Bitnami's
//! kubeseal (v0.40: its own pflag flags, client-go's kubectl connection flags and klog's
//! flags), its `SEALED_SECRETS_*` environment variables, defaults (JSON output) and error
//! texts, and translate them into the same requests as `sealant`'s subcommands.

mod env;
mod go_flags;
mod klog;

use crate::{
    cluster::{ClusterArgs, Token, cache::DEFAULT_TTL, certs::CertArgs},
    error::CliError,
    io::{Input, Output},
    requests::{
        KubesealReencryptRequest, MergeRequest, NamespaceRule, RawSealRequest, Request,
        SealRequest, UnsealRequest, ValidateRequest, format_from_extension, from_file_path,
    },
};
use clap::{CommandFactory, FromArgMatches, Parser};
use go_flags::go_bool;
use sealant_api::OutputFormat;
use sealant_crypto::Scope;
use std::{ffi::OsString, path::PathBuf};

/// kubeseal's flags. Booleans accept `--raw`, `--raw=true` and every spelling of Go's
/// `strconv.ParseBool` (`--raw=1`), as pflag does; a flag given twice takes the last value.
#[derive(Debug, Parser)]
#[command(
    name = "kubeseal",
    disable_version_flag = true,
    args_override_self = true,
    about = "kubeseal-compatible mode of sealant"
)]
pub struct KubesealArgs {
    /// Certificate / public key file/URL to use for encryption.
    #[arg(long)]
    cert: Option<String>,
    /// Namespace of sealed-secrets controller.
    #[arg(long, default_value = "kube-system")]
    controller_namespace: String,
    /// Name of sealed-secrets controller.
    #[arg(long, default_value = "sealed-secrets-controller")]
    controller_name: String,
    /// Output format for sealed secret. Either json or yaml.
    #[arg(short = 'o', long, default_value = "json")]
    format: String,
    /// Sealed-secret (output) file.
    #[arg(short = 'w', long = "sealed-secret-file", value_parser = go_flags::path)]
    output: Option<PathBuf>,
    /// Secret (input) file.
    #[arg(short = 'f', long = "secret-file", value_parser = go_flags::path)]
    input: Option<PathBuf>,
    /// Write certificate to stdout.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    fetch_cert: Option<bool>,
    /// Allow empty data in the secret object.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    allow_empty_data: Option<bool>,
    /// Print version information and exit.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    version: Option<bool>,
    /// Validate that the sealed secret can be decrypted (needs the cluster).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    validate: Option<bool>,
    /// Merge items from secret into an existing sealed secret file, in place.
    #[arg(long, value_parser = go_flags::path)]
    merge_into: Option<PathBuf>,
    /// Encrypt a raw value passed via --from-file (or stdin).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    raw: Option<bool>,
    /// Name of the sealed secret (required with --raw and strict scope).
    #[arg(long)]
    name: Option<String>,
    /// Secret items sourced from files (only with --raw).
    #[arg(long, value_delimiter = ',')]
    from_file: Vec<String>,
    /// Path to a kube config ($KUBECONFIG, then ~/.kube/config, when absent).
    #[arg(long, value_parser = go_flags::path)]
    kubeconfig: Option<PathBuf>,
    /// strict, namespace-wide or cluster-wide.
    #[arg(long)]
    scope: Option<String>,
    /// Re-encrypt the given sealed secret with the latest cluster key (needs the cluster).
    /// `--rotate` is kubeseal's deprecated name for it.
    #[arg(long, alias = "rotate", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    re_encrypt: Option<bool>,
    /// Decrypt a sealed secrets file from stdin with --recovery-private-key.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    recovery_unseal: Option<bool>,
    /// Private key files for --recovery-unseal (comma separated or repeated).
    #[arg(long, value_delimiter = ',', value_parser = go_flags::path)]
    recovery_private_key: Vec<PathBuf>,
    /// Sealant extension (not in kubeseal): also put the input Secret's labels and
    /// annotations on the SealedSecret's own metadata. Off: output is kubeseal's, byte for byte.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    copy_metadata: Option<bool>,
    #[command(flatten)]
    kubectl: KubectlArgs,
    #[command(flatten)]
    klog: klog::KlogArgs,
}

/// client-go's `RecommendedConfigOverrideFlags("")`, which kubeseal binds.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "kubectl connection flags")]
struct KubectlArgs {
    /// If present, the namespace scope for this CLI request (`ns/NAME` accepted, as kubectl).
    #[arg(short = 'n', long, value_parser = go_flags::namespace)]
    namespace: Option<String>,
    /// The name of the kubeconfig context to use.
    #[arg(long)]
    context: Option<String>,
    /// The name of the kubeconfig cluster to use.
    #[arg(long)]
    cluster: Option<String>,
    /// The name of the kubeconfig user to use.
    #[arg(long)]
    user: Option<String>,
    /// The address and port of the Kubernetes API server (`-s` as in kubectl).
    #[arg(short = 's', long)]
    server: Option<String>,
    /// Bearer token for authentication to the API server.
    #[arg(long)]
    token: Option<Token>,
    /// Username to impersonate for the operation.
    #[arg(long = "as")]
    impersonate: Option<String>,
    /// UID to impersonate for the operation.
    #[arg(long = "as-uid")]
    impersonate_uid: Option<String>,
    /// Group to impersonate for the operation (repeatable).
    #[arg(long = "as-group")]
    impersonate_group: Vec<String>,
    /// Username for basic authentication to the API server.
    #[arg(long)]
    username: Option<String>,
    /// Password for basic authentication to the API server.
    #[arg(long)]
    password: Option<Token>,
    /// The length of time to wait before giving up on a single server request.
    #[arg(long)]
    request_timeout: Option<String>,
    /// Skip TLS verification of the API server (insecure).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    insecure_skip_tls_verify: Option<bool>,
    /// Path to a cert file for the certificate authority.
    #[arg(long, value_parser = go_flags::path)]
    certificate_authority: Option<PathBuf>,
    /// Path to a client certificate file for TLS.
    #[arg(long, value_parser = go_flags::path)]
    client_certificate: Option<PathBuf>,
    /// Path to a client key file for TLS.
    #[arg(long, value_parser = go_flags::path)]
    client_key: Option<PathBuf>,
    /// Server name to validate the API server's certificate against.
    #[arg(long)]
    tls_server_name: Option<String>,
    /// Proxy URL for the API server connection (refused: this build connects directly).
    #[arg(long)]
    proxy_url: Option<String>,
    /// Opt out of response compression (sealant never asks for it).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    disable_compression: Option<bool>,
}

/// kubeseal's command line, with the `SEALED_SECRETS_*` variables of the process applied
/// (see `env.rs`). `--rotate` is announced as deprecated, as kubeseal does (on stderr here;
/// kubeseal prints it on stdout, into the output).
pub fn parse(args: &[OsString]) -> Result<KubesealArgs, clap::Error> {
    let mut command = KubesealArgs::command();
    let from_env = env::arguments_from(&command, |name| std::env::var_os(name));
    let mut all = Vec::with_capacity(args.len() + from_env.len());
    all.extend(args.first().cloned());
    all.extend(from_env);
    all.extend(args.iter().skip(1).cloned());
    let matches = command.try_get_matches_from_mut(all)?;
    if args
        .iter()
        .skip(1)
        .any(|a| a == "--rotate" || a.to_string_lossy().starts_with("--rotate="))
    {
        eprintln!("Flag --rotate has been deprecated, please use --re-encrypt instead");
    }
    KubesealArgs::from_arg_matches(&matches).map_err(|e| e.format(&mut command))
}

/// A path flag as Go reads it: empty is the same as not given.
fn set(path: &Option<PathBuf>) -> Option<PathBuf> {
    path.clone().filter(|p| !p.as_os_str().is_empty())
}

fn on(flag: Option<bool>) -> bool {
    flag.unwrap_or(false)
}

fn parse_format(text: &str) -> Result<OutputFormat, CliError> {
    match text.to_ascii_lowercase().as_str() {
        "json" | "" => Ok(OutputFormat::Json),
        "yaml" => Ok(OutputFormat::Yaml),
        other => Err(CliError::Usage(format!(
            "unsupported output format: {other}"
        ))),
    }
}

/// kubeseal's scope flag: empty and `strict` both mean kubeseal's `DefaultScope`, which its
/// `Seal` treats as "not given" (the Secret's scope annotations decide).
fn parse_scope(text: Option<&str>) -> Result<Option<Scope>, CliError> {
    match text {
        None | Some("") => Ok(None),
        Some(s) => match s.parse::<Scope>() {
            Ok(Scope::Strict) => Ok(None),
            Ok(scope) => Ok(Some(scope)),
            Err(e) => Err(CliError::Usage(e.to_string())),
        },
    }
}

impl KubesealArgs {
    /// kubectl connection flags and the controller, as sealant's own commands take them.
    fn cluster_args(&self) -> Result<ClusterArgs, CliError> {
        let k = &self.kubectl;
        let request_timeout = k
            .request_timeout
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(|t| {
                sealant_api::parse_kubectl_duration(t)
                    .map_err(|e| CliError::Usage(format!("--request-timeout: {e}")))
            })
            .transpose()?;
        Ok(ClusterArgs {
            kubeconfig: set(&self.kubeconfig),
            context: k.context.clone(),
            cluster: k.cluster.clone(),
            user: k.user.clone(),
            server: k.server.clone().filter(|s| !s.is_empty()),
            token: k.token.clone(),
            impersonate: k.impersonate.clone(),
            impersonate_group: k.impersonate_group.clone(),
            request_timeout,
            insecure_skip_tls_verify: on(k.insecure_skip_tls_verify),
            certificate_authority: set(&k.certificate_authority),
            client_certificate: set(&k.client_certificate),
            client_key: set(&k.client_key),
            impersonate_uid: k.impersonate_uid.clone(),
            username: k.username.clone(),
            password: k.password.clone(),
            tls_server_name: k.tls_server_name.clone(),
            proxy_url: k.proxy_url.clone(),
            disable_compression: on(k.disable_compression),
            controller_name: self.controller_name.clone(),
            controller_namespace: self.controller_namespace.clone(),
            controller_selector: None,
        })
    }

    /// `--cert`, else the cluster (cache, ConfigMap, service proxy). kubeseal has no TTL
    /// flag; `SEALANT_CERT_CACHE_TTL` sets it.
    fn cert_args(&self) -> Result<CertArgs, CliError> {
        let ttl = match std::env::var("SEALANT_CERT_CACHE_TTL") {
            Ok(text) => sealant_api::parse_kubectl_duration(&text)
                .map_err(|e| CliError::Usage(format!("SEALANT_CERT_CACHE_TTL: {e}")))?,
            Err(_) => DEFAULT_TTL,
        };
        Ok(CertArgs {
            // An empty --cert is kubeseal's default: no certificate file, ask the cluster.
            cert: self
                .cert
                .iter()
                .filter(|c| !c.is_empty())
                .cloned()
                .collect(),
            cert_fingerprint: None,
            cert_cache_ttl: ttl,
            cluster: self.cluster_args()?,
        })
    }

    /// Translate kubeseal's flag combinations into one request, in kubeseal's own order
    /// of precedence (version, unseal, validate, re-encrypt, fetch-cert, merge-into, raw,
    /// seal).
    pub fn into_request(self) -> Result<Request, CliError> {
        if on(self.version) {
            return Ok(Request::PrintVersion {
                program: "kubeseal",
            });
        }
        if !self.from_file.is_empty() && !on(self.raw) {
            return Err(CliError::Usage("--from-file requires --raw".into()));
        }
        let input_path = self.input.clone().filter(|p| !p.as_os_str().is_empty());
        let mut output_path = self.output.clone().filter(|p| !p.as_os_str().is_empty());
        // kubeseal #405: --re-encrypt with only an input file rewrites that file.
        if on(self.re_encrypt) && output_path.is_none() {
            output_path = input_path.clone();
        }
        let input = Input::from_arg(input_path);
        let output = Output::from_arg(output_path);
        let mut format = parse_format(&self.format)?;
        if let Some(implied) = format_from_extension(&output) {
            // kubeseal switches to YAML for .yaml/.yml output files; we also honour .json.
            format = implied;
        }
        let scope = parse_scope(self.scope.as_deref())?;
        let cert = self.cert_args()?;
        let namespace = self.kubectl.namespace.clone().filter(|n| !n.is_empty());

        if on(self.recovery_unseal) {
            if self.recovery_private_key.is_empty() {
                return Err(CliError::Usage(
                    "--recovery-unseal requires --recovery-private-key".into(),
                ));
            }
            return Ok(Request::Unseal(UnsealRequest {
                private_keys: self
                    .recovery_private_key
                    .into_iter()
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect(),
                input,
                output,
                format,
            }));
        }
        if !self.recovery_private_key.is_empty() {
            eprintln!(
                "warning: ignoring --recovery-private-key because unseal command not chosen with --recovery-unseal"
            );
        }
        if on(self.validate) {
            return Ok(Request::Validate(ValidateRequest {
                inputs: vec![input],
                namespace,
                cluster: cert.cluster,
                kubeseal_errors: true,
            }));
        }
        if on(self.re_encrypt) {
            return Ok(Request::KubesealReencrypt(KubesealReencryptRequest {
                input,
                output,
                format,
                namespace,
                cluster: cert.cluster,
            }));
        }
        if on(self.fetch_cert) {
            return Ok(Request::PrintCert { cert, output });
        }
        if let Some(target) = self.merge_into.filter(|p| !p.as_os_str().is_empty()) {
            return Ok(Request::MergeInto(MergeRequest {
                cert,
                target,
                input,
                allow_empty_data: on(self.allow_empty_data),
                record_sealed_for: false,
                recipients: Vec::new(),
            }));
        }
        if on(self.raw) {
            if self.from_file.len() > 1 {
                return Err(CliError::Usage(
                    "must provide only one --from-file when encrypting a single item with --raw"
                        .into(),
                ));
            }
            return Ok(Request::SealRaw(RawSealRequest {
                cert,
                scope: scope.unwrap_or_default(),
                namespace,
                name: self.name,
                from_file: self.from_file.first().map(|s| from_file_path(s)),
                output,
            }));
        }
        Ok(Request::Seal(SealRequest {
            cert,
            scope,
            namespace,
            name: self.name,
            namespace_rule: NamespaceRule::FillOnly,
            input,
            output,
            format,
            allow_empty_data: on(self.allow_empty_data),
            record_sealed_for: false,
            copy_metadata: on(self.copy_metadata),
            output_is_pattern: false,
            v2: crate::v2::SealV2Args::kubeseal(),
        }))
    }
}
