//! klog's flags. kubeseal adds Go's global flag set, into which `klog.InitFlags` put these
//! (klog v2.140), so `kubeseal -v 6` or `--logtostderr=false` are valid kubeseal command
//! lines. They only steer client-go's internal logging (request traces at `-v 6` and up),
//! which sealant does not have: they are accepted, checked as klog checks them, and have no
//! effect. Unlike kubeseal's own flags they are not read from `SEALED_SECRETS_*`
//! variables: kubeseal registers them after it has read the environment.

use super::go_flags::{go_bool, klog_level, megabytes};
use clap::Args;

#[derive(Debug, Args)]
#[command(next_help_heading = "klog flags (accepted; sealant has no client-go log)")]
pub struct KlogArgs {
    /// Log verbosity.
    #[arg(short = 'v', long = "v", value_parser = klog_level, value_name = "LEVEL")]
    verbosity: Option<i32>,
    /// Per-file verbosity (pattern=N,...).
    #[arg(long)]
    vmodule: Option<String>,
    /// Log to standard error instead of files.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    logtostderr: Option<bool>,
    /// Log to standard error as well as files.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    alsologtostderr: Option<bool>,
    /// Severity at or above which logs also go to stderr with --alsologtostderr.
    #[arg(long)]
    alsologtostderrthreshold: Option<String>,
    /// klog's legacy handling of --stderrthreshold.
    #[arg(long = "legacy_stderr_threshold_behavior", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    legacy_stderr_threshold_behavior: Option<bool>,
    /// Severity at or above which logs go to stderr.
    #[arg(long)]
    stderrthreshold: Option<String>,
    /// Directory for log files.
    #[arg(long = "log_dir")]
    log_dir: Option<String>,
    /// Log file.
    #[arg(long = "log_file")]
    log_file: Option<String>,
    /// Maximum log file size in megabytes.
    #[arg(long = "log_file_max_size", value_parser = megabytes)]
    log_file_max_size: Option<u64>,
    /// Emit a stack trace when logging hits file:N.
    #[arg(long = "log_backtrace_at")]
    log_backtrace_at: Option<String>,
    /// Add the file directory to log headers.
    #[arg(long = "add_dir_header", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    add_dir_header: Option<bool>,
    /// No header prefixes in log messages.
    #[arg(long = "skip_headers", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    skip_headers: Option<bool>,
    /// No headers when opening log files.
    #[arg(long = "skip_log_headers", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    skip_log_headers: Option<bool>,
    /// Write logs only to their own severity's file.
    #[arg(long = "one_output", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    one_output: Option<bool>,
}

/// The klog flags' long names: they are not read from the environment (see the module doc).
pub const KLOG_FLAGS: [&str; 15] = [
    "v",
    "vmodule",
    "logtostderr",
    "alsologtostderr",
    "alsologtostderrthreshold",
    "legacy_stderr_threshold_behavior",
    "stderrthreshold",
    "log_dir",
    "log_file",
    "log_file_max_size",
    "log_backtrace_at",
    "add_dir_header",
    "skip_headers",
    "skip_log_headers",
    "one_output",
];
