//! `crdgen`: print the SealedSecret CRD generated from the Rust types, or with `--check FILE`
//! fail (exit 1) when FILE differs — CI's drift check on the committed `deploy/crd.yaml`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let yaml = match sealant_api::crd_yaml() {
        Ok(yaml) => yaml,
        Err(e) => {
            eprintln!("crdgen: {e}");
            return ExitCode::from(2);
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => {
            print!("{yaml}");
            ExitCode::SUCCESS
        }
        [flag, path] if flag == "--check" => match std::fs::read_to_string(path) {
            Ok(committed) if committed == yaml => ExitCode::SUCCESS,
            Ok(_) => {
                eprintln!(
                    "crdgen: {path} differs from the CRD the types generate; run `cargo run -p sealant-controller --bin crdgen > {path}`"
                );
                ExitCode::from(1)
            }
            Err(e) => {
                eprintln!("crdgen: reading {path}: {e}");
                ExitCode::from(1)
            }
        },
        _ => {
            eprintln!("usage: crdgen [--check FILE]");
            ExitCode::from(1)
        }
    }
}
