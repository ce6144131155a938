//! `kubeseal` mode: when the binary is invoked as `kubeseal`, accept kubeseal's flags,
//! `SEALED_SECRETS_*` environment variables, defaults (JSON output) and error texts.

use crate::{
    cluster::{ClusterArgs, Token, cache::DEFAULT_TTL, certs::CertArgs},
    error::CliError,
    io::{Input, Output},
    requests::{
        KubesealReencryptRequest, MergeRequest, NamespaceRule, RawSealRequest, Request,
        SealRequest, UnsealRequest, ValidateRequest, format_from_extension, from_file_path,
    },
};
use clap::Parser;
use sealant_api::OutputFormat;
use sealant_crypto::Scope;
use std::path::PathBuf;

/// kubeseal's flags. Booleans accept both `--raw` and `--raw=true`, as Go's pflag does.
#[derive(Debug, Parser)]
#[command(
    name = "kubeseal",
    disable_version_flag = true,
    about = "kubeseal-compatible mode of sealant"
)]
pub struct KubesealArgs {
    /// Certificate / public key file/URL to use for encryption.
    #[arg(long, env = "SEALED_SECRETS_CERT")]
    cert: Option<String>,
    /// Namespace of sealed-secrets controller.
    #[arg(
        long,
        env = "SEALED_SECRETS_CONTROLLER_NAMESPACE",
        default_value = "kube-system"
    )]
    controller_namespace: String,
    /// Name of sealed-secrets controller.
    #[arg(
        long,
        env = "SEALED_SECRETS_CONTROLLER_NAME",
        default_value = "sealed-secrets-controller"
    )]
    controller_name: String,
    /// Output format for sealed secret. Either json or yaml.
    #[arg(
        short = 'o',
        long,
        env = "SEALED_SECRETS_FORMAT",
        default_value = "json"
    )]
    format: String,
    /// Sealed-secret (output) file.
    #[arg(short = 'w', long = "sealed-secret-file")]
    output: Option<PathBuf>,
    /// Secret (input) file.
    #[arg(short = 'f', long = "secret-file")]
    input: Option<PathBuf>,
    /// Write certificate to stdout.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    fetch_cert: Option<bool>,
    /// Allow empty data in the secret object.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    allow_empty_data: Option<bool>,
    /// Print version information and exit.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    version: Option<bool>,
    /// Validate that the sealed secret can be decrypted (needs the cluster).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    validate: Option<bool>,
    /// Merge items from secret into an existing sealed secret file, in place.
    #[arg(long, env = "SEALED_SECRETS_MERGE_INTO")]
    merge_into: Option<PathBuf>,
    /// Encrypt a raw value passed via --from-file (or stdin).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    raw: Option<bool>,
    /// Name of the sealed secret (required with --raw and strict scope).
    #[arg(long)]
    name: Option<String>,
    /// Secret items sourced from files (only with --raw).
    #[arg(long, value_delimiter = ',')]
    from_file: Vec<String>,
    /// Path to a kube config ($KUBECONFIG, then ~/.kube/config, when absent).
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
    /// strict, namespace-wide or cluster-wide.
    #[arg(long, env = "SEALED_SECRETS_SCOPE")]
    scope: Option<String>,
    /// Re-encrypt the given sealed secret with the latest cluster key (needs the cluster).
    #[arg(long, alias = "rotate", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    re_encrypt: Option<bool>,
    /// Decrypt a sealed secrets file from stdin with --recovery-private-key.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    recovery_unseal: Option<bool>,
    /// Private key files for --recovery-unseal (comma separated or repeated).
    #[arg(long, value_delimiter = ',')]
    recovery_private_key: Vec<PathBuf>,
    /// If present, the namespace scope for this CLI request.
    #[arg(short = 'n', long)]
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
    /// The address and port of the Kubernetes API server.
    #[arg(short = 's', long)]
    server: Option<String>,
    /// Bearer token for authentication to the API server.
    #[arg(long)]
    token: Option<Token>,
    /// Username to impersonate for the operation.
    #[arg(long = "as")]
    impersonate: Option<String>,
    /// Group to impersonate for the operation.
    #[arg(long = "as-group")]
    impersonate_group: Vec<String>,
    /// The length of time to wait before giving up on a single server request.
    #[arg(long)]
    request_timeout: Option<String>,
    /// Skip TLS verification of the API server (insecure).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    insecure_skip_tls_verify: Option<bool>,
    /// Path to a cert file for the certificate authority.
    #[arg(long)]
    certificate_authority: Option<PathBuf>,
    /// Path to a client certificate file for TLS.
    #[arg(long)]
    client_certificate: Option<PathBuf>,
    /// Path to a client key file for TLS.
    #[arg(long)]
    client_key: Option<PathBuf>,
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

fn parse_scope(text: Option<&str>) -> Result<Option<Scope>, CliError> {
    text.map(|s| {
        s.parse::<Scope>()
            .map_err(|e| CliError::Usage(e.to_string()))
    })
    .transpose()
}

impl KubesealArgs {
    /// kubectl connection flags and the controller, as sealant's own commands take them.
    fn cluster_args(&self) -> Result<ClusterArgs, CliError> {
        let request_timeout = self
            .request_timeout
            .as_deref()
            .map(|t| {
                sealant_api::parse_kubectl_duration(t)
                    .map_err(|e| CliError::Usage(format!("--request-timeout: {e}")))
            })
            .transpose()?;
        Ok(ClusterArgs {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            cluster: self.cluster.clone(),
            user: self.user.clone(),
            server: self.server.clone(),
            token: self.token.clone(),
            impersonate: self.impersonate.clone(),
            impersonate_group: self.impersonate_group.clone(),
            request_timeout,
            insecure_skip_tls_verify: on(self.insecure_skip_tls_verify),
            certificate_authority: self.certificate_authority.clone(),
            client_certificate: self.client_certificate.clone(),
            client_key: self.client_key.clone(),
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
            cert: self.cert.clone(),
            cert_fingerprint: None,
            cert_cache_ttl: ttl,
            cluster: self.cluster_args()?,
        })
    }

    /// Translate kubeseal's flag combinations into one request, in kubeseal's own order
    /// of precedence (unseal, validate, re-encrypt, fetch-cert, merge-into, raw, seal).
    pub fn into_request(self) -> Result<Request, CliError> {
        if !self.from_file.is_empty() && !on(self.raw) {
            return Err(CliError::Usage("--from-file requires --raw".into()));
        }
        if on(self.version) {
            return Ok(Request::PrintVersion {
                program: "kubeseal",
            });
        }
        let input = Input::from_arg(self.input.clone());
        let output = Output::from_arg(self.output.clone());
        let mut format = parse_format(&self.format)?;
        if let Some(implied) = format_from_extension(&output) {
            // kubeseal switches to YAML for .yaml/.yml output files; we also honour .json.
            format = implied;
        }
        let scope = parse_scope(self.scope.as_deref())?;
        let cert = self.cert_args()?;

        if on(self.recovery_unseal) {
            if self.recovery_private_key.is_empty() {
                return Err(CliError::Usage(
                    "--recovery-unseal requires --recovery-private-key".into(),
                ));
            }
            return Ok(Request::Unseal(UnsealRequest {
                private_keys: self.recovery_private_key,
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
                namespace: self.namespace,
                cluster: cert.cluster,
                kubeseal_errors: true,
            }));
        }
        if on(self.re_encrypt) {
            return Ok(Request::KubesealReencrypt(KubesealReencryptRequest {
                input,
                output,
                format,
                namespace: self.namespace,
                cluster: cert.cluster,
            }));
        }
        if on(self.fetch_cert) {
            return Ok(Request::PrintCert { cert, output });
        }
        if let Some(target) = self.merge_into {
            return Ok(Request::MergeInto(MergeRequest {
                cert,
                target,
                input,
                allow_empty_data: on(self.allow_empty_data),
                record_sealed_for: false,
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
                namespace: self.namespace,
                name: self.name,
                from_file: self.from_file.first().map(|s| from_file_path(s)),
                output,
            }));
        }
        Ok(Request::Seal(SealRequest {
            cert,
            scope,
            namespace: self.namespace,
            name: self.name,
            namespace_rule: NamespaceRule::FillOnly,
            input,
            output,
            format,
            allow_empty_data: on(self.allow_empty_data),
            record_sealed_for: false,
        }))
    }
}
