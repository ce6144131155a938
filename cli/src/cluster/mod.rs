//! The cluster connection, configured the way kubectl is: `--kubeconfig`, then `$KUBECONFIG`
//! (a list of files, merged), then `~/.kube/config`, then the in-cluster service account;
//! `--context`/`--cluster`/`--user` pick from the kubeconfig, and `--server`, `--token`,
//! `--as`, `--as-group`, `--request-timeout` override it. Exec credential plugins (OIDC via
//! kubelogin, cloud plugins) come with kube's kubeconfig support.
//!
//! Everything async stays inside this module: the CLI is synchronous, and a current-thread
//! tokio runtime is created only when a command needs the cluster ([`block_on`]).

pub mod cache;
pub mod certs;
pub mod proxy;
pub mod trust;

use crate::error::CliError;
use clap::Args;
use kube::config::{KubeConfigOptions, Kubeconfig};
use std::{future::Future, path::PathBuf, time::Duration};

/// Default controller Service name and namespace, as kubeseal's.
pub const DEFAULT_CONTROLLER_NAME: &str = "sealed-secrets-controller";
pub const DEFAULT_CONTROLLER_NAMESPACE: &str = "kube-system";

fn duration_arg(text: &str) -> Result<Duration, String> {
    sealant_api::parse_kubectl_duration(text)
}

/// A credential from the command line (`--token`, `--password`), so `Debug` never shows it.
#[derive(Clone)]
pub struct Token(String);

impl std::str::FromStr for Token {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(Token(s.to_owned()))
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// kubectl's connection flags plus where the controller runs.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Cluster connection")]
pub struct ClusterArgs {
    /// Path to a kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: its current-context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// The kubeconfig cluster to use.
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// The kubeconfig user to use.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// The address of the Kubernetes API server (overrides the kubeconfig's).
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// Bearer token for the API server (replaces the kubeconfig user's credentials).
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<Token>,
    /// Username to impersonate.
    #[arg(long = "as", value_name = "USER")]
    pub impersonate: Option<String>,
    /// Group to impersonate (repeatable).
    #[arg(long = "as-group", value_name = "GROUP")]
    pub impersonate_group: Vec<String>,
    /// How long to wait for each server request (30s, 1m; 0: no limit).
    #[arg(long, value_name = "DURATION", value_parser = duration_arg)]
    pub request_timeout: Option<Duration>,
    /// Do not verify the API server's certificate (insecure).
    #[arg(long)]
    pub insecure_skip_tls_verify: bool,
    /// CA bundle file to verify the API server with.
    #[arg(long, value_name = "FILE")]
    pub certificate_authority: Option<PathBuf>,
    /// Client certificate file for TLS authentication.
    #[arg(long, value_name = "FILE")]
    pub client_certificate: Option<PathBuf>,
    /// Client key file for TLS authentication.
    #[arg(long, value_name = "FILE")]
    pub client_key: Option<PathBuf>,
    /// UID to impersonate.
    #[arg(long = "as-uid", value_name = "UID")]
    pub impersonate_uid: Option<String>,
    /// Username for basic authentication to the API server.
    #[arg(long, value_name = "USER")]
    pub username: Option<String>,
    /// Password for basic authentication to the API server.
    #[arg(long, value_name = "PASSWORD")]
    pub password: Option<Token>,
    /// Server name to verify the API server's certificate against (and send as SNI).
    #[arg(long, value_name = "NAME")]
    pub tls_server_name: Option<String>,
    /// Proxy for the API server connection (kubectl's flag; this build connects directly, so
    /// a proxy given here or in the kubeconfig is refused rather than bypassed).
    #[arg(long, value_name = "URL")]
    pub proxy_url: Option<String>,
    /// Do not ask for compressed responses (sealant never does; accepted for kubectl parity).
    #[arg(long)]
    pub disable_compression: bool,
    /// Name of the controller's Service.
    #[arg(
        long,
        env = "SEALED_SECRETS_CONTROLLER_NAME",
        default_value = DEFAULT_CONTROLLER_NAME,
        value_name = "NAME"
    )]
    pub controller_name: String,
    /// Namespace of the controller.
    #[arg(
        long,
        env = "SEALED_SECRETS_CONTROLLER_NAMESPACE",
        default_value = DEFAULT_CONTROLLER_NAMESPACE,
        value_name = "NS"
    )]
    pub controller_namespace: String,
    /// Find the controller's Service by label (e.g. app.kubernetes.io/name=sealed-secrets)
    /// instead of by --controller-name.
    #[arg(long, value_name = "LABELSEL")]
    pub controller_selector: Option<String>,
}

impl Default for ClusterArgs {
    fn default() -> Self {
        Self {
            kubeconfig: None,
            context: None,
            cluster: None,
            user: None,
            server: None,
            token: None,
            impersonate: None,
            impersonate_group: Vec::new(),
            request_timeout: None,
            insecure_skip_tls_verify: false,
            certificate_authority: None,
            client_certificate: None,
            client_key: None,
            impersonate_uid: None,
            username: None,
            password: None,
            tls_server_name: None,
            proxy_url: None,
            disable_compression: false,
            controller_name: DEFAULT_CONTROLLER_NAME.to_owned(),
            controller_namespace: DEFAULT_CONTROLLER_NAMESPACE.to_owned(),
            controller_selector: None,
        }
    }
}

impl ClusterArgs {
    /// How the controller is named in messages and cache keys.
    pub fn controller_label(&self) -> String {
        match &self.controller_selector {
            Some(sel) => format!("{} (Service selected by {sel})", self.controller_namespace),
            None => format!("{}/{}", self.controller_namespace, self.controller_name),
        }
    }
}

/// A configured client: which server it talks to and the context's namespace.
pub struct Connection {
    pub client: kube::Client,
    /// The API server URL (part of the cache key).
    pub server: String,
    /// Which cluster this is: its API server's CA, else its URL (see `trust.rs`).
    pub identity: String,
    /// The namespace of the context (or `--namespace` where a command has one).
    pub namespace: String,
}

fn config_error(reason: impl Into<String>) -> CliError {
    CliError::Cluster {
        reason: reason.into(),
    }
}

/// Where the kubeconfig came from, for messages.
fn default_kubeconfig_path() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|home| PathBuf::from(home).join(".kube").join("config"))
}

/// Load the kubeconfig (kubectl's order) and apply the flag overrides. No network traffic:
/// exec credential plugins run at the first request.
pub async fn load_config(args: &ClusterArgs) -> Result<kube::Config, CliError> {
    let options = KubeConfigOptions {
        context: args.context.clone(),
        cluster: args.cluster.clone(),
        user: args.user.clone(),
    };
    let (kubeconfig, origin) = if let Some(path) = &args.kubeconfig {
        let config = Kubeconfig::read_from(path)
            .map_err(|e| config_error(format!("reading --kubeconfig {}: {e}", path.display())))?;
        (Some(config), path.display().to_string())
    } else {
        match Kubeconfig::from_env() {
            Ok(Some(config)) => (Some(config), "$KUBECONFIG".to_owned()),
            Err(e) => return Err(config_error(format!("reading $KUBECONFIG: {e}"))),
            Ok(None) => match default_kubeconfig_path().filter(|p| p.exists()) {
                Some(path) => {
                    let config = Kubeconfig::read_from(&path)
                        .map_err(|e| config_error(format!("reading {}: {e}", path.display())))?;
                    (Some(config), path.display().to_string())
                }
                None => (None, "in-cluster service account".to_owned()),
            },
        }
    };
    let mut config = match kubeconfig {
        Some(kubeconfig) => kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(|e| config_error(format!("using kubeconfig {origin}: {e}")))?,
        None => match &args.server {
            Some(server) => kube::Config::new(parse_server(server)?),
            None => kube::Config::incluster().map_err(|e| {
                config_error(format!(
                    "no kubeconfig (--kubeconfig, $KUBECONFIG, ~/.kube/config) and not running \
                     in a cluster ({e}); pass --kubeconfig or --cert FILE"
                ))
            })?,
        },
    };
    apply_overrides(&mut config, args)?;
    Ok(config)
}

fn parse_server(server: &str) -> Result<http::Uri, CliError> {
    server
        .parse::<http::Uri>()
        .map_err(|e| config_error(format!("--server {server:?}: {e}")))
}

fn apply_overrides(config: &mut kube::Config, args: &ClusterArgs) -> Result<(), CliError> {
    if let Some(server) = &args.server {
        config.cluster_url = parse_server(server)?;
    }
    if let Some(token) = &args.token {
        // As kubectl: the token replaces the user's other credentials.
        let auth = &mut config.auth_info;
        auth.token = Some(secrecy::SecretString::from(token.0.clone()));
        auth.token_file = None;
        auth.exec = None;
        auth.auth_provider = None;
        auth.username = None;
        auth.password = None;
    }
    if let Some(user) = &args.impersonate {
        config.auth_info.impersonate = Some(user.clone());
    }
    if let Some(uid) = &args.impersonate_uid {
        config.auth_info.impersonate_uid = Some(uid.clone());
    }
    if let Some(user) = &args.username {
        config.auth_info.username = Some(user.clone());
    }
    if let Some(password) = &args.password {
        config.auth_info.password = Some(secrecy::SecretString::from(password.0.clone()));
    }
    if let Some(name) = args.tls_server_name.as_ref().filter(|n| !n.is_empty()) {
        config.tls_server_name = Some(name.clone());
    }
    if let Some(proxy) = args.proxy_url.as_ref().filter(|p| !p.is_empty()) {
        config.proxy_url = Some(
            proxy
                .parse::<http::Uri>()
                .map_err(|e| config_error(format!("--proxy-url {proxy:?}: {e}")))?,
        );
    }
    if args.disable_compression {
        config.disable_compression = true;
    }
    if !args.impersonate_group.is_empty() {
        config.auth_info.impersonate_groups = Some(args.impersonate_group.clone());
    }
    if let Some(timeout) = args.request_timeout.filter(|t| !t.is_zero()) {
        config.connect_timeout = Some(timeout);
        config.read_timeout = Some(timeout);
        config.write_timeout = Some(timeout);
        // Count from when the request is sent, not from when a pooled connection went idle.
        config.reset_reader_on_write = true;
    }
    if args.insecure_skip_tls_verify {
        config.accept_invalid_certs = true;
    }
    if let Some(path) = &args.certificate_authority {
        let pem = std::fs::read(path).map_err(|source| CliError::Read {
            path: path.display().to_string(),
            source,
        })?;
        config.root_cert = Some(pem_blocks_der(&pem, path)?);
    }
    if let Some(path) = &args.client_certificate {
        config.auth_info.client_certificate = Some(path.display().to_string());
        config.auth_info.client_certificate_data = None;
    }
    if let Some(path) = &args.client_key {
        config.auth_info.client_key = Some(path.display().to_string());
        config.auth_info.client_key_data = None;
    }
    // A CLI should report a failing controller at once; kube's default retries 503s for
    // minutes. Requests are few and idempotent reads or verifies; the user can rerun.
    config.default_retry = false;
    Ok(())
}

/// kube is built without its proxy connectors, so a proxy would be silently bypassed: a
/// direct connection where the user asked for a proxy is refused instead.
fn refuse_proxy(config: &kube::Config) -> Result<(), CliError> {
    match &config.proxy_url {
        Some(proxy) => Err(config_error(format!(
            "a proxy ({proxy}, from --proxy-url or the kubeconfig) is set, and this build of \
             sealant connects to the API server directly; unset it, or seal offline with --cert"
        ))),
        None => Ok(()),
    }
}

/// DER of every CERTIFICATE block in a PEM bundle.
fn pem_blocks_der(pem: &[u8], path: &std::path::Path) -> Result<Vec<Vec<u8>>, CliError> {
    let certs = sealant_keys::parse_certificates(pem)
        .map_err(|e| CliError::keys(format!("--certificate-authority {}", path.display()), e))?;
    Ok(certs.iter().map(|c| c.der().to_vec()).collect())
}

/// Connect: load the configuration and build the client (no request is made yet).
pub async fn connect(args: &ClusterArgs, namespace: Option<&str>) -> Result<Connection, CliError> {
    crate::cluster::install_tls_provider();
    let config = load_config(args).await?;
    let server = config.cluster_url.to_string();
    refuse_proxy(&config)?;
    let identity = trust::cluster_identity(&config);
    let namespace = namespace
        .map(str::to_owned)
        .unwrap_or_else(|| config.default_namespace.clone());
    let client = kube::Client::try_from(config)
        .map_err(|e| config_error(format!("building the client for {server}: {e}")))?;
    Ok(Connection {
        client,
        server,
        identity,
        namespace,
    })
}

/// The namespace of the kubeconfig context (kubectl's rules, flags applied), or `default`
/// without a usable kubeconfig: what kubeseal's `clientConfig.Namespace()` answers when it
/// fills a Secret's missing namespace. Reads files only; makes no request.
pub fn context_namespace(args: &ClusterArgs) -> String {
    block_on(load_config(args))
        .map(|config| config.default_namespace)
        .unwrap_or_else(|_| "default".to_owned())
}

/// kube's rustls client needs a process-wide crypto provider; more than one is compiled in.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Run a cluster operation on a current-thread runtime made for it.
pub fn block_on<T>(future: impl Future<Output = Result<T, CliError>>) -> Result<T, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Internal(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(future)
}
