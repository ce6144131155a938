//! Shared helpers for the black-box CLI tests: run the real binary, in both of its names.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod controller;
pub mod files;
pub mod git;

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
    sync::OnceLock,
};

pub const BIN: &str = env!("CARGO_BIN_EXE_sealant");

/// One generated key pair per test binary (2048 bits keeps the suite fast; the CLI
/// default of 4096 is exercised by the `keys generate` test).
pub struct KeyPair {
    _dir: tempfile::TempDir,
    pub key: PathBuf,
    pub cert: PathBuf,
}

pub fn keypair() -> &'static KeyPair {
    static PAIR: OnceLock<KeyPair> = OnceLock::new();
    PAIR.get_or_init(|| generate_pair("test"))
}

/// A second, unrelated key pair (for wrong-key cases).
pub fn other_keypair() -> &'static KeyPair {
    static PAIR: OnceLock<KeyPair> = OnceLock::new();
    PAIR.get_or_init(|| generate_pair("other"))
}

fn generate_pair(cn: &str) -> KeyPair {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("keys");
    let result = keys_generate(&["--bits", "2048", "--cn", cn], &out);
    assert!(
        result.status.success(),
        "keys generate failed: {}",
        stderr(&result)
    );
    KeyPair {
        key: out.join("key.pem"),
        cert: out.join("cert.pem"),
        _dir: dir,
    }
}

/// `sealant keys generate` with `args` (type, size, name), writing the pair into `out`.
pub fn keys_generate(args: &[&str], out: &Path) -> Output {
    let mut all = vec!["keys", "generate"];
    all.extend(args);
    all.extend(["--out", path_str(out)]);
    run(&all, None)
}

/// `sealant unseal` of the SealedSecret(s) in `file`, opened with the private key `key`.
pub fn unseal_with(key: &Path, file: &Path) -> Output {
    run(
        &[
            "unseal",
            "--private-key",
            path_str(key),
            "-f",
            path_str(file),
        ],
        None,
    )
}

/// Fails, showing all of `text`, unless `text` contains `needle`.
#[track_caller]
pub fn assert_contains(text: &str, needle: &str) {
    assert!(text.contains(needle), "{text}");
}

pub fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    run_program(Path::new(BIN), args, stdin, &[])
}

pub fn run_env(args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Output {
    run_program(Path::new(BIN), args, stdin, env)
}

/// The binary under the name `kubeseal`, through a symlink, as users install it.
pub fn kubeseal_path() -> &'static Path {
    static LINK: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = LINK.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("kubeseal");
        std::os::unix::fs::symlink(BIN, &link).unwrap();
        (dir, link)
    });
    path
}

pub fn kubeseal(args: &[&str], stdin: Option<&[u8]>) -> Output {
    run_program(kubeseal_path(), args, stdin, &[])
}

pub fn kubeseal_env(args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Output {
    run_program(kubeseal_path(), args, stdin, env)
}

fn run_program(
    program: &Path,
    args: &[&str],
    stdin: Option<&[u8]>,
    env: &[(&str, &str)],
) -> Output {
    run_command(Command::new(program), args, stdin, env)
}

/// Run `cmd` (a program, maybe with environment of its own) with `args`, no certificate or
/// kubeconfig from the caller's environment, `env` added, and `stdin` fed from a thread.
pub fn run_command(
    mut cmd: Command,
    args: &[&str],
    stdin: Option<&[u8]>,
    env: &[(&str, &str)],
) -> Output {
    cmd.args(args)
        .env_remove("SEALANT_CERT")
        .env_remove("SEALED_SECRETS_CERT")
        .env_remove("KUBECONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.unwrap_or_default().to_vec();
    let writer = std::thread::spawn(move || {
        // The program may exit before reading everything; that is not a test failure.
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

pub fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// Parse the YAML or JSON stream the CLI printed into JSON values for assertions.
pub fn documents(text: &str) -> Vec<serde_json::Value> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        serde_json::Deserializer::from_str(text)
            .into_iter::<serde_json::Value>()
            .map(Result::unwrap)
            .collect()
    } else {
        serde_saphyr::from_multiple::<serde_json::Value>(text).unwrap()
    }
}

pub const SECRET_YAML: &str = "\
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: prod
  labels:
    app: shop
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{\"secret\":\"leak\"}'
type: Opaque
data:
  password: czNjcjN0LXBhc3N3b3Jk
stringData:
  user: admin-user-plain
";

/// base64 of the password above, decoded.
pub const PASSWORD: &str = "s3cr3t-password";
pub const USER: &str = "admin-user-plain";

/// `sealant seal --raw` of `plaintext` (read from a file) for `namespace/name`, with the
/// test certificate; the sealed value (the run must succeed).
pub fn seal_raw(plaintext: &str, namespace: &str, name: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "value", plaintext);
    let out = run(
        &[
            "seal",
            "--cert",
            path_str(&keypair().cert),
            "--raw",
            "--from-file",
            path_str(&file),
            "-n",
            namespace,
            "--name",
            name,
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

/// `sealant unseal --raw` of a sealed value for `namespace/name`, with the test key.
pub fn unseal_raw(sealed: &str, namespace: &str, name: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let sealed_file = write(dir.path(), "sealed", sealed);
    run(
        &[
            "unseal",
            "--private-key",
            path_str(&keypair().key),
            "--raw",
            "--from-file",
            path_str(&sealed_file),
            "-n",
            namespace,
            "--name",
            name,
        ],
        None,
    )
}
