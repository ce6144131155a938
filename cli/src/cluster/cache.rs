//! The local certificate cache: one JSON file per (API server URL, cluster identity,
//! controller) under `$XDG_CACHE_HOME/sealant/certificates` (else
//! `~/.cache/sealant/certificates`). It holds a public certificate, its fingerprint, where it
//! came from and when; it is fresh for `--cert-cache-ttl`. Certificates are public, so the
//! file is not secret; it is still only trusted while its fingerprint matches its certificate.
//!
//! A stale entry is kept: it is the last certificate seen for that cluster and controller,
//! which a fresh fetch is compared with (see `trust.rs`).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::{
    path::{Path, PathBuf},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// Default freshness.
pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CacheEntry {
    pub server: String,
    /// The cluster identity (`trust::cluster_identity`). Entries written before it existed
    /// lack it, fail to parse, and are fetched afresh.
    pub cluster: String,
    pub controller: String,
    /// The source the certificate was fetched from.
    pub source: String,
    /// Seconds since the Unix epoch.
    pub fetched_at: u64,
    /// SHA-256 of the public key (as `sealant cert inspect` prints it).
    pub fingerprint: String,
    pub certificate: String,
}

impl CacheEntry {
    /// Age at `now`; an entry from the future counts as just fetched.
    pub fn age(&self, now: SystemTime) -> Duration {
        let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Duration::from_secs(now.saturating_sub(self.fetched_at))
    }

    /// Fresh while younger than `ttl` (a TTL of zero: never).
    pub fn is_fresh(&self, ttl: Duration, now: SystemTime) -> bool {
        !ttl.is_zero() && self.age(now) < ttl
    }
}

/// The cache directory, if the environment names one.
pub fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|home| PathBuf::from(home).join(".cache"))
        })?;
    Some(base.join("sealant").join("certificates"))
}

/// What an entry is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey {
    pub server: String,
    pub cluster: String,
    pub controller: String,
}

/// The file for a key: a digest, so odd URLs make safe file names.
pub fn entry_path(dir: &Path, key: &CacheKey) -> PathBuf {
    let digest =
        Sha256::digest(format!("{}\n{}\n{}", key.server, key.cluster, key.controller).as_bytes());
    dir.join(format!("{}.json", hex::encode(&digest[..16])))
}

/// Read an entry; `None` if missing, unreadable or for another key (then the cluster is
/// asked).
pub fn read(path: &Path, key: &CacheKey) -> Option<CacheEntry> {
    let text = std::fs::read_to_string(path).ok()?;
    let entry: CacheEntry = serde_json::from_str(&text).ok()?;
    (entry.server == key.server
        && entry.cluster == key.cluster
        && entry.controller == key.controller)
        .then_some(entry)
}

/// Write an entry atomically (a reader never sees half a file).
pub fn write(path: &Path, entry: &CacheEntry) -> Result<(), String> {
    let dir = path.parent().ok_or("cache path has no directory")?;
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let text = serde_json::to_string_pretty(entry).map_err(|e| e.to_string())?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| format!("writing in {}: {e}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())
        .map_err(|e| format!("writing in {}: {e}", dir.display()))?;
    tmp.persist(path)
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(())
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn entry(fetched_at: u64) -> CacheEntry {
        CacheEntry {
            server: "https://k:6443/".into(),
            cluster: "ca sha256:00".into(),
            controller: "kube-system/sealed-secrets-controller".into(),
            source: "ConfigMap".into(),
            fetched_at,
            fingerprint: "ab".into(),
            certificate: "pem".into(),
        }
    }

    #[test]
    fn freshness_follows_the_ttl() {
        let now = UNIX_EPOCH + Duration::from_secs(10_000);
        let e = entry(10_000 - 100);
        assert!(e.is_fresh(Duration::from_secs(101), now));
        assert!(!e.is_fresh(Duration::from_secs(100), now));
        assert!(!e.is_fresh(Duration::ZERO, now), "ttl 0 disables the cache");
        assert!(entry(20_000).is_fresh(Duration::from_secs(1), now));
    }

    #[test]
    fn round_trip_and_key_separation() {
        let dir = tempfile::tempdir().unwrap();
        let e = entry(5);
        let key = CacheKey {
            server: e.server.clone(),
            cluster: e.cluster.clone(),
            controller: e.controller.clone(),
        };
        let path = entry_path(dir.path(), &key);
        let other = |f: fn(&mut CacheKey)| {
            let mut k = key.clone();
            f(&mut k);
            k
        };
        let other_controller = other(|k| k.controller = "other/ns".into());
        let other_cluster = other(|k| k.cluster = "ca sha256:11".into());
        let other_server = other(|k| k.server = "https://other/".into());
        for k in [&other_controller, &other_cluster, &other_server] {
            assert_ne!(path, entry_path(dir.path(), k));
        }
        write(&path, &e).unwrap();
        assert_eq!(read(&path, &key), Some(e.clone()));
        for k in [&other_controller, &other_cluster, &other_server] {
            assert_eq!(read(&path, k), None);
        }
        std::fs::write(&path, "not json").unwrap();
        assert_eq!(read(&path, &key), None);
    }
}
