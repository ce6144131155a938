//! Fixtures for the v2 tests: key pairs made by the real binary, a repository with a
//! `.sealant.yaml`, and reading the stanzas of a sealed file.

use crate::common::{documents, keys_generate, stderr};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

/// Present in every plaintext these tests seal: no output, error or file may ever show it.
pub const CANARY: &str = "canary-7f3a9c-plaintext";

pub struct XWingPair {
    _dir: tempfile::TempDir,
    pub key: PathBuf,
    pub public: PathBuf,
}

fn generate_xwing() -> XWingPair {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("escrow");
    let result = keys_generate(&["--type", "x-wing"], &out);
    assert!(result.status.success(), "{}", stderr(&result));
    XWingPair {
        key: out.join("key.pem"),
        public: out.join("public.pem"),
        _dir: dir,
    }
}

/// The escrow key of these tests.
pub fn escrow() -> &'static XWingPair {
    static PAIR: OnceLock<XWingPair> = OnceLock::new();
    PAIR.get_or_init(generate_xwing)
}

/// An X-Wing key no rule names.
pub fn stranger() -> &'static XWingPair {
    static PAIR: OnceLock<XWingPair> = OnceLock::new();
    PAIR.get_or_init(generate_xwing)
}

/// A Secret manifest holding the canary.
pub fn secret(namespace: &str, name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: {namespace}\n\
         type: Opaque\nstringData:\n  password: {CANARY}-pw\n  user: {CANARY}-user\n"
    )
}

/// Sorted key ids (hex) of the stanzas of every v2 header of the first object in `text`.
pub fn stanza_key_ids(text: &str) -> Vec<String> {
    let doc = &documents(text)[0];
    let data = doc["spec"]["encryptedData"].as_object().unwrap();
    let mut ids = Vec::new();
    for (key, value) in data {
        if sealant_crypto::v2::is_header_key(key) {
            let header = sealant_crypto::v2::parse_header(key, value.as_str().unwrap()).unwrap();
            ids.extend(header.stanzas.iter().map(|s| s.key_id.to_hex()));
        }
    }
    ids.sort();
    ids
}

pub fn xwing_key_id(public: &Path) -> String {
    let text = std::fs::read_to_string(public).unwrap();
    sealant_crypto::XWingPublicKey::from_pem(&text)
        .unwrap()
        .key_id()
        .to_hex()
}

pub fn cert_key_id(cert: &Path) -> String {
    let pem = std::fs::read(cert).unwrap();
    sealant_keys::parse_certificates(&pem).unwrap()[0]
        .fingerprint()
        .to_hex()
}

/// The key ids, sorted, of the prod rule's recipients: clusters A and B and the escrow key.
pub fn prod_rule_key_ids() -> Vec<String> {
    let mut ids = vec![
        cert_key_id(&crate::common::keypair().cert),
        cert_key_id(&crate::common::other_keypair().cert),
        xwing_key_id(&escrow().public),
    ];
    ids.sort();
    ids
}

/// No output stream of `out` shows the canary.
pub fn assert_no_canary(out: &Output) {
    for stream in [&out.stdout, &out.stderr] {
        assert!(
            !String::from_utf8_lossy(stream).contains(CANARY),
            "plaintext leaked: {}",
            String::from_utf8_lossy(stream)
        );
    }
}

/// Run `sealant` in `dir`.
pub fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = std::process::Command::new(crate::common::BIN);
    cmd.current_dir(dir);
    crate::common::run_command(cmd, args, stdin, &[])
}

/// `sealant seal` of the repository's `clusters/prod/db.yaml` into `db.sealed.yaml` beside it,
/// with `extra` flags.
pub fn seal_prod(repo: &super::repo::Repo, extra: &[&str]) -> Output {
    let mut args = vec![
        "seal",
        "-f",
        "clusters/prod/db.yaml",
        "-w",
        "clusters/prod/db.sealed.yaml",
    ];
    args.extend(extra);
    run_in(repo.root(), &args, None)
}
