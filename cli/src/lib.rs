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
mod v2;

use args::{CertCommand, Cli, Command, FormatArg, KeysCommand};
use clap::Parser;
use error::{CliError, EXIT_OK, EXIT_USER};
use io::{Input, Output};
use requests::{
    GenerateRequest, MergeRequest, NamespaceRule, RawSealRequest, RawUnsealRequest, Request,
    SealRequest, UnsealRequest, ValidateRequest, format_from_extension, from_file_path,
};
use sealant_api::OutputFormat;
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
        Mode::Sealant => Cli::try_parse_from(args).map(|cli| translate(cli.command)),
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

fn output_format(flag: Option<FormatArg>, output: &Output) -> OutputFormat {
    match flag {
        Some(FormatArg::Json) => OutputFormat::Json,
        Some(FormatArg::Yaml) => OutputFormat::Yaml,
        None => format_from_extension(output).unwrap_or(OutputFormat::Yaml),
    }
}

fn translate(command: Command) -> Result<Request, CliError> {
    Ok(match command {
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
        Command::Keys(KeysCommand::Generate(a)) => Request::KeysGenerate(v2::generate_request(a)?),
        Command::Keys(KeysCommand::List(a)) => Request::KeysList(requests::KeysListRequest {
            cluster: a.cluster,
            json: a.output == args::KeysListFormat::Json,
        }),
        Command::Keys(KeysCommand::Rotate(a)) => Request::KeysRotate(requests::KeysRotateRequest {
            cluster: a.cluster,
            wait: a.wait.wait(),
        }),
        Command::Keys(KeysCommand::Retire(a)) => Request::KeysRetire(requests::KeysRetireRequest {
            cluster: a.cluster,
            fingerprint: a.fingerprint,
            wait: a.wait.wait(),
        }),
        Command::Cert(CertCommand::Inspect(a)) => Request::CertInspect {
            file: Input::from_arg(Some(a.file)),
            json: a.format == args::InspectFormat::Json,
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
        Command::Check(a) => Request::Check(a),
        Command::Hook(a) => Request::Hook(a),
        Command::Edit(a) => Request::Edit(a),
        Command::Reencrypt(a) => Request::Reencrypt(a),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
