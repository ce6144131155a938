//! A repository with creation rules: two clusters (the two RSA test key pairs) and an escrow
//! X-Wing key for everything under `clusters/`, one cluster's certificate for `dev/`.

use super::support::{escrow, secret};
use crate::common::{keypair, other_keypair};
use std::path::{Path, PathBuf};

pub const RULES: &str = "\
creation_rules:
  - path: 'clusters/**'
    recipients: [keys/cluster-a.pem, keys/cluster-b.pem, keys/escrow.pem]
    format: v2
  - path: 'dev/*.yaml'
    recipients: [keys/cluster-a.pem]
";

pub struct Repo {
    pub dir: tempfile::TempDir,
}

impl Repo {
    pub fn new() -> Self {
        Self::with_rules(RULES)
    }

    pub fn with_rules(rules: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("keys")).unwrap();
        std::fs::copy(&keypair().cert, root.join("keys/cluster-a.pem")).unwrap();
        std::fs::copy(&other_keypair().cert, root.join("keys/cluster-b.pem")).unwrap();
        std::fs::copy(&escrow().public, root.join("keys/escrow.pem")).unwrap();
        std::fs::create_dir_all(root.join("clusters/prod")).unwrap();
        std::fs::create_dir_all(root.join("dev")).unwrap();
        std::fs::write(root.join("clusters/prod/db.yaml"), secret("prod", "db")).unwrap();
        std::fs::write(root.join("dev/app.yaml"), secret("dev", "app")).unwrap();
        std::fs::write(root.join(".sealant.yaml"), rules).unwrap();
        Self { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root().join(relative)
    }
}
