//! `.sealant.yaml`, the `sealant check` config (`ignore:` globs), read by the real CLI:
//! its parser is private, so this drives `sealant check --config FILE DIR` end to end
//! (run with `-close_fd_mask=3`: the command prints its report and errors).
//!
//! * never panics; the exit code is 0 (config accepted) or 2 (scan failed: bad config);
//! * a config that is not one mapping with only an `ignore:` list of strings is refused,
//!   checked against an independent reading of the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::{ffi::OsString, path::PathBuf, process::ExitCode, sync::OnceLock};

struct Dirs {
    _root: tempfile::TempDir,
    config: PathBuf,
    scanned: PathBuf,
}

fn dirs() -> &'static Dirs {
    static DIRS: OnceLock<Dirs> = OnceLock::new();
    DIRS.get_or_init(|| {
        let root = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let scanned = root.path().join("scan");
        std::fs::create_dir(&scanned).unwrap_or_else(|e| panic!("mkdir: {e}"));
        Dirs {
            config: root.path().join(".sealant.yaml"),
            scanned,
            _root: root,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let dirs = dirs();
    std::fs::write(&dirs.config, data).unwrap_or_else(|e| panic!("write config: {e}"));
    let args: Vec<OsString> = vec![
        "sealant".into(),
        "check".into(),
        "--config".into(),
        dirs.config.clone().into(),
        dirs.scanned.clone().into(),
    ];
    let code = sealant_cli::main_with_args(args);
    let accepted = code == ExitCode::from(0);
    assert!(
        accepted || code == ExitCode::from(2),
        "unexpected exit code {code:?}"
    );
    if accepted {
        assert!(
            structurally_valid(data),
            "accepted a config that is not `ignore: [strings]`"
        );
    }
});

/// Independent reading: no documents at all, or exactly one mapping whose only key is
/// `ignore`, holding a list of strings.
fn structurally_valid(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    match sealant_api::parse_documents(text) {
        Err(sealant_api::ApiError::NoDocuments) => true,
        Err(_) => text.trim().is_empty(),
        Ok(docs) => match docs.as_slice() {
            [doc] => match doc.as_value() {
                Value::Object(map) => map.iter().all(|(k, v)| {
                    k == "ignore"
                        && v.as_array()
                            .is_some_and(|items| items.iter().all(Value::is_string))
                }),
                _ => false,
            },
            _ => false,
        },
    }
}
