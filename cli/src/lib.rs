//! The `sealant` command-line tool, as a library so that the binary stays thin and the
//! request translation can be unit-tested.
//!
//! Invoked under the name `kubeseal` (symlink or copy), it speaks kubeseal's flags.

mod args;
mod cert_url;
mod cluster;
mod commands;
pub mod error;
mod io;
mod key_sources;
mod kubeseal;
mod requests;

use args::Cli;
use clap::Parser;
use error::{CliError, EXIT_OK, EXIT_USER};
use requests::Request;
use std::{ffi::OsString, path::Path, process::ExitCode};

/// Which command line the user expects, chosen by the program's own name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Sealant,
    Kubeseal,
}

pub fn mode_for_program(argv0: &OsString) -> Mode {
    let stem = Path::new(argv0)
        .file_stem()
        .map(|s| s.to_string_lossy().to_ascii_lowercase());
    match stem.as_deref() {
        Some("kubeseal") => Mode::Kubeseal,
        _ => Mode::Sealant,
    }
}

/// Parse, run and report; returns the documented exit code.
pub fn main_with_args(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    let mode = args.first().map_or(Mode::Sealant, mode_for_program);
    let request = match parse(mode, &args) {
        Ok(Some(request)) => request,
        Ok(None) => return ExitCode::from(EXIT_OK),
        Err(code) => return ExitCode::from(code),
    };
    match commands::execute(request) {
        Ok(()) => ExitCode::from(EXIT_OK),
        // The findings report is already on stdout; only the exit code is left to give.
        Err(err @ CliError::Findings { .. }) => ExitCode::from(err.exit_code()),
        Err(err) => {
            // kubeseal prints `error: ...`; scripts match on that prefix.
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

/// `Ok(None)` means help or version was printed. Usage errors exit 1, not clap's 2,
/// because 2 is reserved for unexpected failures.
fn parse(mode: Mode, args: &[OsString]) -> Result<Option<Request>, u8> {
    let translated = match mode {
        Mode::Sealant => Cli::try_parse_from(args).map(|cli| Ok(cli.command.into_request())),
        Mode::Kubeseal => kubeseal::parse(args).map(|k| k.into_request()),
    };
    match translated {
        Ok(Ok(request)) => Ok(Some(request)),
        Ok(Err(err)) => {
            eprintln!("error: {err}");
            Err(err.exit_code())
        }
        Err(clap_err) => {
            let informational = matches!(
                clap_err.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            );
            // Printing help can only fail on a closed pipe, which is not worth reporting.
            let _ = clap_err.print();
            if informational {
                Ok(None)
            } else {
                Err(EXIT_USER)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use requests::NamespaceRule;
    use sealant_api::OutputFormat;

    #[test]
    fn program_name_selects_mode() {
        assert_eq!(
            mode_for_program(&"/usr/bin/kubeseal".into()),
            Mode::Kubeseal
        );
        assert_eq!(mode_for_program(&"kubeseal.exe".into()), Mode::Kubeseal);
        assert_eq!(mode_for_program(&"./sealant".into()), Mode::Sealant);
    }

    #[test]
    fn clap_usage_errors_exit_one() {
        let args: Vec<OsString> = ["sealant", "seal", "--scope", "nope"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(parse(Mode::Sealant, &args).err(), Some(EXIT_USER));
    }

    #[test]
    fn kubeseal_defaults_to_json_and_fill_only_namespace() {
        let args: Vec<OsString> = ["kubeseal", "--cert", "c.pem", "-n", "ns"]
            .iter()
            .map(OsString::from)
            .collect();
        match parse(Mode::Kubeseal, &args) {
            Ok(Some(Request::Seal(r))) => {
                assert_eq!(r.format, OutputFormat::Json);
                assert_eq!(r.namespace_rule, NamespaceRule::FillOnly);
                assert_eq!(r.namespace.as_deref(), Some("ns"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn kubeseal_yaml_output_file_switches_format() {
        let args: Vec<OsString> = ["kubeseal", "--cert", "c.pem", "-w", "out.yaml"]
            .iter()
            .map(OsString::from)
            .collect();
        match parse(Mode::Kubeseal, &args) {
            Ok(Some(Request::Seal(r))) => assert_eq!(r.format, OutputFormat::Yaml),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn kubeseal_from_file_requires_raw() {
        let args: Vec<OsString> = ["kubeseal", "--from-file", "x"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(parse(Mode::Kubeseal, &args).err(), Some(EXIT_USER));
    }
}
