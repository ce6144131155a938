//! The controller's HTTP API, served on 127.0.0.1 from a key store of TEST-ONLY keys: probes,
//! cert.pem, verify and rotate, the CVE-2026-22728 regression, the oracle rule (every refusal
//! byte-identical), the body cap, the rate limit and 405s.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use sealant_api::SealedSecret;
use sealant_controller::{
    KeyStore, RsaPool,
    http::{AllowedRecipients, FAILURE_BODY, HttpState, Limits, Readiness, serve},
};
use sealant_crypto::{Label, Scope, decode_base64, encode_base64};
use sealant_keys::{CertificateOptions, KeyEntry, self_signed_certificate};
use std::collections::BTreeMap;
use time::{OffsetDateTime, macros::datetime};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

const NS: &str = "team";
const NAME: &str = "db";
const DATA: &[(&str, &str)] = &[("password", "hunter2"), ("user", "admin")];

/// A served API and the handles the controller would hold.
struct Api {
    base: String,
    keys: KeyStore,
    readiness: Readiness,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Api {
    /// Serve on an ephemeral port. The listener is bound before this returns, so requests
    /// connect at once: no sleeps.
    async fn start(limits: Limits) -> Self {
        Self::start_with(limits, AllowedRecipients::default()).await
    }

    /// [`Api::start`], wrapping for `allowed` keys besides its own (`/v1/recipients`).
    async fn start_with(limits: Limits, allowed: AllowedRecipients) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let keys = KeyStore::new();
        let readiness = Readiness::new();
        let state = HttpState::new(keys.clone(), RsaPool::new(2), readiness.clone(), limits)
            .unwrap()
            .with_allowed_recipients(allowed);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, state, async move {
            let _ = stopped.await;
        }));
        Self {
            base,
            keys,
            readiness,
            stop,
            task,
        }
    }

    /// No rate limit: for tests that send many requests.
    async fn unlimited() -> Self {
        Self::start(Limits {
            rate_burst: 0,
            ..Limits::default()
        })
        .await
    }

    /// Keys a (2024), b (2025) and c (2026, newest, seals).
    async fn with_keys(which: &[char]) -> Self {
        let api = Self::unlimited().await;
        for &k in which {
            api.add_key(k);
        }
        api
    }

    /// Add TEST-ONLY key `which`, with a certificate dated by its letter; returns its PEM.
    fn add_key(&self, which: char) -> String {
        let not_before = match which {
            'a' => datetime!(2024-01-01 0:00 UTC),
            'b' => datetime!(2025-01-01 0:00 UTC),
            _ => datetime!(2026-01-01 0:00 UTC),
        };
        add_key_dated(&self.keys, which, not_before)
    }

    async fn get(&self, path: &str) -> Reply {
        call("GET", format!("{}{path}", self.base), None).await
    }

    async fn post(&self, path: &str, body: impl Into<Vec<u8>>) -> Reply {
        call("POST", format!("{}{path}", self.base), Some(body.into())).await
    }

    async fn post_sealed(&self, path: &str, ss: &SealedSecret) -> Reply {
        self.post(path, serde_json::to_vec(ss).unwrap()).await
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
    }
}

fn add_key_dated(keys: &KeyStore, which: char, not_before: OffsetDateTime) -> String {
    let key = test_key(which);
    let cert = self_signed_certificate(&key, &CertificateOptions::new(not_before)).unwrap();
    let pem = cert.to_pem();
    keys.apply(
        &format!("sealed-secrets-key{which}"),
        KeyEntry::new(key, Some(cert)).unwrap(),
    );
    pem
}

#[derive(Debug, Clone, PartialEq)]
struct Reply {
    status: u16,
    content_type: Option<String>,
    retry_after: Option<String>,
    allow: Option<String>,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn sealed(&self) -> SealedSecret {
        assert_eq!(self.status, 200, "{}", self.text());
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// One request with ureq (blocking, so on a blocking thread); statuses are not errors.
async fn call(method: &'static str, url: String, body: Option<Vec<u8>>) -> Reply {
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        let result = match (method, body) {
            ("GET", _) => agent.get(&url).call(),
            (_, Some(body)) => agent.post(&url).send(&body[..]),
            (_, None) => agent.post(&url).send_empty(),
        };
        let mut response = result.unwrap();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let (content_type, retry_after, allow) = (
            header("content-type"),
            header("retry-after"),
            header("allow"),
        );
        Reply {
            status: response.status().as_u16(),
            content_type,
            retry_after,
            allow,
            body: response.body_mut().read_to_vec().unwrap(),
        }
    })
    .await
    .unwrap()
}

fn label(scope: Scope, ns: &str, name: &str) -> Label {
    scope.label(ns, name).unwrap()
}

/// Open every value of `ss` with TEST-ONLY key `which` under `label`.
fn open_all(
    ss: &SealedSecret,
    which: char,
    label: &Label,
) -> Result<BTreeMap<String, String>, sealant_crypto::CryptoError> {
    let key = test_key(which);
    ss.spec
        .encrypted_data
        .iter()
        .map(|(k, v)| {
            let plain = sealant_crypto::open(&key, label, &decode_base64(v)?)?;
            Ok((
                k.clone(),
                String::from_utf8(plain.as_bytes().to_vec()).unwrap(),
            ))
        })
        .collect()
}

fn data_map() -> BTreeMap<String, String> {
    DATA.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn is_failure(reply: &Reply) -> bool {
    reply.status == 409 && reply.body == FAILURE_BODY.as_bytes()
}

// ---- probes and cert.pem ----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_always_and_readyz_after_keys_and_caches() {
    let api = Api::unlimited().await;
    assert_eq!(api.get("/healthz").await.status, 200);
    let r = api.get("/readyz").await;
    assert_eq!(
        (r.status, r.text()),
        (503, "not ready: keys not loaded yet\n".into())
    );

    api.readiness.set_keys_loaded();
    assert_eq!(api.get("/healthz").await.status, 200);
    let r = api.get("/readyz").await;
    assert_eq!(
        (r.status, r.text()),
        (503, "not ready: caches not synced yet\n".into())
    );

    api.readiness.set_caches_synced();
    assert_eq!(api.get("/readyz").await.status, 200);
    assert_eq!(api.get("/healthz").await.status, 200);
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cert_pem_is_the_newest_keys_certificate() {
    let api = Api::unlimited().await;
    let r = api.get("/v1/cert.pem").await;
    assert_eq!(r.status, 503, "{}", r.text());

    // Inserted out of order: the newest NotBefore wins, not the last insert.
    api.add_key('a');
    let newest = api.add_key('c');
    api.add_key('b');
    let r = api.get("/v1/cert.pem").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type.as_deref(), Some("application/x-pem-file"));
    assert_eq!(r.text(), newest);
    api.stop().await;
}

// ---- verify ------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_accepts_its_own_scope_and_refuses_another_name() {
    let api = Api::with_keys(&['a', 'c']).await;
    let ss = seal(&test_key('c'), NS, NAME, Scope::Strict, DATA);
    let r = api.post_sealed("/v1/verify", &ss).await;
    assert_eq!(r.status, 200, "{}", r.text());

    // An old key's object verifies too (every key opens).
    let old = seal(&test_key('a'), NS, NAME, Scope::Strict, DATA);
    assert_eq!(api.post_sealed("/v1/verify", &old).await.status, 200);

    // YAML is accepted as well as JSON.
    let yaml = sealant_api::write_document(&ss, sealant_api::OutputFormat::Yaml).unwrap();
    assert_eq!(api.post("/v1/verify", yaml).await.status, 200);

    let mut renamed = ss.clone();
    renamed.metadata.name = Some("other".into());
    let r = api.post_sealed("/v1/verify", &renamed).await;
    assert!(is_failure(&r), "{r:?}");
    assert_eq!(r.content_type.as_deref(), Some("text/plain; charset=utf-8"));
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_and_rotate_never_render_templates() {
    // `b64dec` fails at render time when the value is not base64: rendering would tell a
    // caller one bit of the plaintext. Both templates parse, so both answers must be equal.
    let api = Api::with_keys(&['c']).await;
    let base = seal(
        &test_key('c'),
        NS,
        NAME,
        Scope::Strict,
        &[("b64", "aGVsbG8="), ("plain", "hunter2!")],
    );
    let mut answers = Vec::new();
    for key in ["b64", "plain"] {
        let mut ss = base.clone();
        ss.spec
            .template
            .data
            .insert("probe".into(), Some(format!("{{{{ .{key} | b64dec }}}}")));
        let verified = api.post_sealed("/v1/verify", &ss).await;
        assert_eq!(verified.status, 200, "{}", verified.text());
        let rotated = api.post_sealed("/v1/rotate", &ss).await.sealed();
        assert_eq!(rotated.spec.template, ss.spec.template);
        answers.push(verified);
    }
    assert_eq!(answers[0], answers[1]);
    api.stop().await;
}

// ---- rotate ------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_reencrypts_old_key_objects_under_the_newest_key() {
    let api = Api::with_keys(&['a', 'c']).await;
    for scope in Scope::ALL {
        let mut ss = seal(&test_key('a'), NS, NAME, scope, DATA);
        ss.spec.template.metadata.labels = Some([("app".into(), "db".into())].into());
        ss.spec
            .template
            .data
            .insert("dsn".into(), Some("{{ .user }}:{{ .password }}".into()));
        ss.spec.template.type_ = Some("Opaque".into());

        let out = api.post_sealed("/v1/rotate", &ss).await.sealed();
        let same_label = label(scope, NS, NAME);
        assert_eq!(
            open_all(&out, 'c', &same_label).unwrap(),
            data_map(),
            "{scope}"
        );
        assert!(open_all(&out, 'a', &same_label).is_err(), "{scope}");
        assert_ne!(out.spec.encrypted_data, ss.spec.encrypted_data);
        assert_eq!(out.metadata, ss.metadata);
        assert_eq!(out.spec.template, ss.spec.template);
        assert!(out.status.is_none());
        // The result is current: verifying it succeeds and rotating it again is a no-op.
        assert_eq!(api.post_sealed("/v1/verify", &out).await.status, 200);
        let again = api.post_sealed("/v1/rotate", &out).await.sealed();
        assert_eq!(again, out);
    }
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_returns_newest_key_objects_unchanged() {
    let api = Api::with_keys(&['a', 'c']).await;
    let ss = seal(&test_key('c'), NS, NAME, Scope::Strict, DATA);
    let out = api.post_sealed("/v1/rotate", &ss).await.sealed();
    assert_eq!(
        serde_json::to_vec(&out.spec).unwrap(),
        serde_json::to_vec(&ss.spec).unwrap()
    );
    assert_eq!(out, ss);

    // As for re-encrypted objects, status is dropped and a stale sealed-for hint updated;
    // the spec stays byte for byte.
    let mut stale = ss.clone();
    sealant_api::record_sealed_for(&mut stale, &public_key(&test_key('a')));
    stale.status = Some(sealant_api::SealedSecretStatus {
        observed_generation: Some(3),
        ..Default::default()
    });
    let out = api.post_sealed("/v1/rotate", &stale).await.sealed();
    assert_eq!(
        serde_json::to_vec(&out.spec).unwrap(),
        serde_json::to_vec(&ss.spec).unwrap()
    );
    assert!(out.status.is_none());
    assert_eq!(hinted_key(&out), test_key('c').fingerprint());
    api.stop().await;
}

fn hinted_key(ss: &SealedSecret) -> sealant_crypto::Fingerprint {
    sealant_api::SealedFor::from_annotations(ss.metadata.annotations.as_ref().unwrap())
        .unwrap()
        .unwrap()
        .fingerprint
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_refreshes_the_sealed_for_hint() {
    let api = Api::with_keys(&['a', 'c']).await;
    let mut ss = seal(&test_key('a'), NS, NAME, Scope::Strict, DATA);
    sealant_api::record_sealed_for(&mut ss, &public_key(&test_key('a')));
    let out = api.post_sealed("/v1/rotate", &ss).await.sealed();
    assert_eq!(hinted_key(&out), test_key('c').fingerprint());
    assert_eq!(
        open_all(&out, 'c', &label(Scope::Strict, NS, NAME)).unwrap(),
        data_map()
    );
    api.stop().await;
}

/// CVE-2026-22728: Bitnami's rotate took the scope from the template's annotations, so a
/// strict object whose template claimed cluster-wide came back cluster-wide, unsealable
/// under any name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cve_2026_22728_rotate_keeps_a_strict_object_strict() {
    let api = Api::with_keys(&['a', 'c']).await;
    let mut ss = seal(&test_key('a'), NS, NAME, Scope::Strict, DATA);
    ss.spec.template.metadata.annotations = Some(
        [
            (
                "sealedsecrets.bitnami.com/cluster-wide".into(),
                "true".into(),
            ),
            (
                "sealedsecrets.bitnami.com/namespace-wide".into(),
                "true".into(),
            ),
        ]
        .into(),
    );

    let out = api.post_sealed("/v1/rotate", &ss).await.sealed();
    assert_eq!(out.metadata.annotations, ss.metadata.annotations);
    assert_eq!(out.spec.template, ss.spec.template);
    assert_eq!(out.scope(), Scope::Strict);
    assert_eq!(
        open_all(&out, 'c', &label(Scope::Strict, NS, NAME)).unwrap(),
        data_map()
    );
    for (what, wider) in [
        ("cluster-wide", label(Scope::ClusterWide, "", "")),
        ("namespace-wide", label(Scope::NamespaceWide, NS, "")),
        ("another name", label(Scope::Strict, NS, "other")),
        ("another namespace", label(Scope::Strict, "other", NAME)),
    ] {
        assert!(open_all(&out, 'c', &wider).is_err(), "opened {what}");
    }

    // Renamed, or moved, the rotated object does not verify.
    let mut renamed = out.clone();
    renamed.metadata.name = Some("other".into());
    assert!(is_failure(&api.post_sealed("/v1/verify", &renamed).await));
    let mut moved = out.clone();
    moved.metadata.namespace = Some("other".into());
    assert!(is_failure(&api.post_sealed("/v1/verify", &moved).await));
    api.stop().await;
}

// ---- the oracle rule ---------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_is_byte_identical() {
    // Key b is not in the ring: "wrong key".
    let api = Api::with_keys(&['a', 'c']).await;
    let good = seal(&test_key('c'), NS, NAME, Scope::Strict, DATA);
    let edit = |f: &dyn Fn(&mut SealedSecret)| {
        let mut ss = good.clone();
        f(&mut ss);
        serde_json::to_vec(&ss).unwrap()
    };
    let value = |ss: &mut SealedSecret, v: String| {
        ss.spec.encrypted_data.insert("password".into(), v);
    };

    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "wrong key",
            serde_json::to_vec(&seal(&test_key('b'), NS, NAME, Scope::Strict, DATA)).unwrap(),
        ),
        (
            "wrong label (another name)",
            edit(&|ss| ss.metadata.name = Some("other".into())),
        ),
        (
            "wrong label (scope annotation added)",
            edit(&|ss| {
                ss.metadata.annotations = Some(
                    [(
                        "sealedsecrets.bitnami.com/cluster-wide".into(),
                        "true".into(),
                    )]
                    .into(),
                )
            }),
        ),
        (
            "malformed envelope",
            edit(&|ss| value(ss, encode_base64(&[0, 9, 1, 2, 3]))),
        ),
        (
            "value sealed for another key size",
            edit(&|ss| {
                let mut sealed = vec![0x02, 0x00];
                sealed.extend([7u8; 512 + 16]);
                value(ss, encode_base64(&sealed))
            }),
        ),
        (
            "corrupted AES-GCM data",
            edit(&|ss| {
                let mut raw = decode_base64(&ss.spec.encrypted_data["password"]).unwrap();
                *raw.last_mut().unwrap() ^= 1;
                value(ss, encode_base64(&raw))
            }),
        ),
        ("bad base64", edit(&|ss| value(ss, "not base64!!".into()))),
        (
            "tampered template data",
            edit(&|ss| {
                ss.spec
                    .template
                    .data
                    .insert("dsn".into(), Some("{{ .password ".into()));
            }),
        ),
        (
            "empty encryptedData",
            edit(&|ss| ss.spec.encrypted_data.clear()),
        ),
        (
            "legacy and encrypted data both set",
            edit(&|ss| ss.spec.data = Some(good.spec.encrypted_data["user"].clone())),
        ),
        (
            "strict scope without a namespace",
            edit(&|ss| ss.metadata.namespace = None),
        ),
        ("garbage body", b"\x00\xffnot a manifest".to_vec()),
        ("empty body", Vec::new()),
        ("empty object", b"{}".to_vec()),
        (
            "a Secret, not a SealedSecret",
            b"{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"db\"}}".to_vec(),
        ),
        ("two SealedSecrets", {
            let one = serde_json::to_vec(&good).unwrap();
            [one.clone(), one].concat()
        }),
    ];

    for path in ["/v1/verify", "/v1/rotate"] {
        // The unmodified object is accepted, so each case fails for its own reason.
        assert_eq!(api.post_sealed(path, &good).await.status, 200);
        let mut replies = Vec::new();
        for (what, body) in &cases {
            let r = api.post(path, body.clone()).await;
            assert!(is_failure(&r), "{path} {what}: {r:?}");
            replies.push(r);
        }
        assert!(
            replies.windows(2).all(|w| w[0] == w[1]),
            "{path}: replies differ"
        );
    }
    // Verify and rotate refuse alike.
    assert_eq!(
        api.post("/v1/verify", cases[0].1.clone()).await,
        api.post("/v1/rotate", cases[0].1.clone()).await
    );
    api.stop().await;
}

// ---- limits and methods ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_cap_get_413() {
    let api = Api::start(Limits {
        max_body_bytes: 4096,
        rate_burst: 0,
        ..Limits::default()
    })
    .await;
    api.add_key('c');
    for path in ["/v1/verify", "/v1/rotate"] {
        let r = api.post(path, vec![b' '; 4097]).await;
        assert_eq!(r.status, 413, "{path}: {}", r.text());
        // At the cap exactly, the body is read (and refused as not a SealedSecret).
        assert!(is_failure(&api.post(path, vec![b' '; 4096]).await));
    }
    api.stop().await;

    // The default cap (1 MiB) is in force on a default server.
    let api = Api::start(Limits::default()).await;
    api.add_key('c');
    let r = api
        .post(
            "/v1/verify",
            vec![b' '; sealant_controller::http::DEFAULT_MAX_BODY_BYTES + 1],
        )
        .await;
    assert_eq!(r.status, 413);
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_and_rotate_share_a_rate_limit() {
    // Four requests' worth: each costs one token per value.
    let api = Api::start(Limits {
        rate_burst: 4 * DATA.len() as u32,
        // Effectively no refill during the test.
        rate_per_second: 0.001,
        ..Limits::default()
    })
    .await;
    api.add_key('c');
    let ss = seal(&test_key('c'), NS, NAME, Scope::Strict, DATA);
    for path in ["/v1/verify", "/v1/rotate", "/v1/verify", "/v1/rotate"] {
        assert_eq!(api.post_sealed(path, &ss).await.status, 200, "{path}");
    }
    for path in ["/v1/verify", "/v1/rotate"] {
        let r = api.post_sealed(path, &ss).await;
        assert_eq!(r.status, 429, "{path}: {}", r.text());
        let retry: u64 = r.retry_after.as_deref().unwrap().parse().unwrap();
        assert!(retry >= 1);
    }
    // Probes and cert.pem are not limited.
    assert_eq!(api.get("/healthz").await.status, 200);
    assert_eq!(api.get("/v1/cert.pem").await.status, 200);
    api.stop().await;
}

/// A strict-scope SealedSecret for NS/NAME with `n` values (`v0`, `v1`, ...), sealed with
/// TEST-ONLY key `which`.
fn with_values(which: char, n: usize) -> SealedSecret {
    let data: Vec<(String, String)> = (0..n)
        .map(|i| (format!("v{i}"), format!("value-{i}")))
        .collect();
    let data: Vec<(&str, &str)> = data.iter().map(|(k, v)| (&k[..], &v[..])).collect();
    seal(&test_key(which), NS, NAME, Scope::Strict, &data)
}

/// Issue 12 §4: the rate limit is charged per RSA operation. A body of N values takes N
/// tokens, so one request cannot spend a whole burst's worth of RSA work per token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_charged_one_token_per_value() {
    const BURST: usize = 8;
    let limits = Limits {
        rate_burst: BURST as u32,
        // Effectively no refill during the test.
        rate_per_second: 0.001,
        ..Limits::default()
    };
    let api = Api::start(limits).await;
    api.add_key('c');
    // The burst's worth of values in one request passes ...
    let r = api
        .post_sealed("/v1/verify", &with_values('c', BURST))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // ... and has spent the bucket: one more value is refused, with a time to come back.
    for path in ["/v1/verify", "/v1/rotate"] {
        let r = api.post_sealed(path, &with_values('c', 1)).await;
        assert_eq!(r.status, 429, "{path}: {}", r.text());
        let retry: u64 = r.retry_after.as_deref().unwrap().parse().unwrap();
        assert!(retry >= 1);
    }
    api.stop().await;

    // More values than a bucket can ever hold: refused before any RSA work, and without
    // spending the bucket, so the burst's worth still passes afterwards.
    let api = Api::start(limits).await;
    api.add_key('c');
    let before = api.keys.rsa_operations();
    let r = api
        .post_sealed("/v1/verify", &with_values('c', BURST + 1))
        .await;
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(api.keys.rsa_operations(), before);
    let r = api
        .post_sealed("/v1/verify", &with_values('c', BURST))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    api.stop().await;
}

/// A refusal is padded to one RSA operation per key (oracle.rs); that padding is work the
/// client made us do, so it is charged too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_charged_their_padding() {
    let api = Api::start(Limits {
        rate_burst: 3,
        rate_per_second: 0.001,
        ..Limits::default()
    })
    .await;
    api.add_key('a');
    api.add_key('c');
    // Key b is not in the ring: one value, refused after trying both keys.
    let r = api.post_sealed("/v1/verify", &with_values('b', 1)).await;
    assert!(is_failure(&r), "{r:?}");
    // Two of the three tokens are gone (one per value would have left two): two values no
    // longer fit.
    let r = api.post_sealed("/v1/verify", &with_values('c', 2)).await;
    assert_eq!(r.status, 429, "{}", r.text());
    api.stop().await;
}

/// Issue 12 §4: HTTP RSA work waits in a bounded queue; past it the answer is 503 with
/// `Retry-After`, not one more body held in memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_http_queue_answers_503_with_retry_after() {
    const CONCURRENT: usize = 6;
    // One HTTP job may hold the only worker, one more may wait: two admitted.
    const ADMITTED: usize = 2;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let keys = KeyStore::new();
    add_key_dated(&keys, 'c', datetime!(2026-01-01 0:00 UTC));
    let limits = Limits {
        rate_burst: 0,
        reserved_rsa_workers: 0,
        http_queue: ADMITTED - 1,
        ..Limits::default()
    };
    let pool = RsaPool::new(1);
    let state = HttpState::new(keys.clone(), pool.clone(), Readiness::new(), limits).unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, state, async move {
        let _ = stopped.await;
    }));

    // A reconcile holds the only worker until released, so admitted requests stay queued.
    let (release, released) = std::sync::mpsc::channel::<()>();
    let (holding, held) = oneshot::channel::<()>();
    let reconcile = tokio::spawn({
        let pool = pool.clone();
        async move {
            pool.run(move || {
                let _ = holding.send(());
                let _ = released.recv();
            })
            .await
        }
    });
    held.await.unwrap();

    let body = serde_json::to_vec(&seal(&test_key('c'), NS, NAME, Scope::Strict, DATA)).unwrap();
    let mut replies: futures::stream::FuturesUnordered<_> = (0..CONCURRENT)
        .map(|_| call("POST", format!("{base}/v1/verify"), Some(body.clone())))
        .collect();
    // Every request past the admitted ones is turned away at once, worker or not.
    let turned_away = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        let mut turned_away = Vec::new();
        while turned_away.len() < CONCURRENT - ADMITTED {
            turned_away.push(futures::StreamExt::next(&mut replies).await.unwrap());
        }
        turned_away
    })
    .await
    .expect("no request was turned away while the queue was full");
    for r in &turned_away {
        assert_eq!(r.status, 503, "{}", r.text());
        let retry: u64 = r.retry_after.as_deref().unwrap().parse().unwrap();
        assert!(retry >= 1);
    }
    // The admitted ones are answered once the worker is free.
    release.send(()).unwrap();
    reconcile.await.unwrap().unwrap();
    while let Some(r) = futures::StreamExt::next(&mut replies).await {
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let _ = stop.send(());
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_methods_get_405_and_unknown_paths_404() {
    let api = Api::with_keys(&['c']).await;
    for path in ["/v1/verify", "/v1/rotate"] {
        let r = api.get(path).await;
        assert_eq!(r.status, 405, "{path}");
        assert_eq!(r.text(), "method not allowed\n");
        assert_eq!(r.allow.as_deref(), Some("POST"));
    }
    let r = api.post("/v1/cert.pem", "x").await;
    assert_eq!(r.status, 405);
    assert!(r.allow.unwrap().contains("GET"));
    let r = api.get("/v1/nothing").await;
    assert_eq!((r.status, r.text()), (404, "not found\n".into()));
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_before_any_key_is_503_not_a_refusal() {
    let api = Api::unlimited().await;
    let ss = seal(&test_key('c'), NS, NAME, Scope::Strict, DATA);
    for path in ["/v1/verify", "/v1/rotate"] {
        let r = api.post_sealed(path, &ss).await;
        assert_eq!(r.status, 503, "{path}: {}", r.text());
    }
    api.stop().await;
}

// ---- server-side logs --------------------------------------------------------------------

/// Collects everything the global tracing subscriber writes.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_logged_with_object_and_real_reason_but_no_values() {
    // The only test in this binary that installs a subscriber (it is process-wide, because
    // the handlers run on runtime and pool threads).
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "sealant_controller=debug",
        ))
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .unwrap();

    let api = Api::with_keys(&['c']).await;
    let secret = "PLAINTEXT-SENTINEL-41d7";
    let good = seal(
        &test_key('c'),
        "logged",
        "obj",
        Scope::Strict,
        &[("k", secret)],
    );
    let mut renamed = good.clone();
    renamed.metadata.name = Some("renamed".into());
    let mut bad_b64 = good.clone();
    bad_b64.metadata.name = Some("b64".into());
    bad_b64.spec.encrypted_data.insert("k".into(), "%%%".into());
    let mut template = good.clone();
    template.metadata.name = Some("tmpl".into());
    template
        .spec
        .template
        .data
        .insert("t".into(), Some("{{ $x }}".into()));
    for ss in [&renamed, &bad_b64, &template] {
        assert!(is_failure(&api.post_sealed("/v1/verify", ss).await));
    }
    assert!(is_failure(&api.post("/v1/rotate", "garbage").await));
    api.stop().await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = |object: &str| {
        logs.lines()
            .find(|l| l.contains("request refused") && l.contains(object))
            .unwrap_or_else(|| panic!("no refusal logged for {object}:\n{logs}"))
            .to_owned()
    };
    assert!(line("logged/renamed").contains("cannot decrypt"));
    assert!(line("logged/b64").contains("not valid base64"));
    assert!(line("logged/tmpl").contains("template"));
    // Other tests in this binary run concurrently and also send unparseable bodies, so
    // look for this test's rotate refusal specifically.
    assert!(
        logs.lines().any(|l| l.contains("request refused")
            && l.contains("<unparsed body>")
            && l.contains("/v1/rotate")),
        "no refusal logged for the garbage rotate body:\n{logs}"
    );
    assert!(!logs.contains(secret), "{logs}");
}

// ---- /v1/recipients ---------------------------------------------------------------------

/// A `/v1/recipients` body: `ss` and the key ids.
fn recipients_request(ss: &SealedSecret, ids: &[sealant_crypto::Fingerprint]) -> Vec<u8> {
    serde_json::to_vec(&sealant_api::contract::RecipientsRequest {
        sealed_secret: serde_json::to_value(ss).unwrap(),
        recipients: ids.iter().map(|id| id.to_hex()).collect(),
    })
    .unwrap()
}

fn seal_v2_for(recipients: &[sealant_crypto::v2::Recipient<'_>]) -> SealedSecret {
    let opts = sealant_api::SealOptions {
        scope: Some(Scope::Strict),
        ..Default::default()
    };
    sealant_api::seal_secret_to(
        &plain(NS, NAME, DATA),
        sealant_api::SealTo::V2(recipients),
        &opts,
    )
    .unwrap()
}

fn stanza_ids(ss: &SealedSecret) -> Vec<sealant_crypto::Fingerprint> {
    let mut ids: Vec<_> = sealant_api::envelope_v2::recipients(ss)
        .iter()
        .map(|r| r.key_id)
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recipients_wraps_for_own_and_allowed_keys_only_and_refuses_others_before_key_work() {
    use sealant_crypto::{XWingPrivateKey, v2::Recipient};
    let escrow = XWingPrivateKey::generate().unwrap();
    let stranger = XWingPrivateKey::generate().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("escrow.pem"), escrow.public_key().to_pem()).unwrap();
    // A hidden entry, as a mounted ConfigMap has, is not read.
    std::fs::create_dir(dir.path().join("..data")).unwrap();
    let allowed = AllowedRecipients::load(&[dir.path().to_owned()]).unwrap();
    assert_eq!(allowed.len(), 1);
    let api = Api::start_with(
        Limits {
            rate_burst: 0,
            ..Limits::default()
        },
        allowed,
    )
    .await;
    api.add_key('a');
    api.add_key('c');
    let (a, c) = (public_key(&test_key('a')), public_key(&test_key('c')));
    let ss = seal_v2_for(&[Recipient::Rsa(&a)]);

    // Hostile: a key neither the controller's nor allowed. 403, naming it, with no key work.
    let before = api.keys.rsa_operations();
    let reply = api
        .post(
            "/v1/recipients",
            recipients_request(&ss, &[a.fingerprint(), stranger.key_id()]),
        )
        .await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    assert!(reply.text().contains(&stranger.key_id().to_hex()));
    assert_eq!(
        api.keys.rsa_operations(),
        before,
        "refused before any key work"
    );
    // A stanza naming a key is the writer's claim, not the administrator's: still 403.
    let claims_stranger =
        seal_v2_for(&[Recipient::Rsa(&a), Recipient::XWing(stranger.public_key())]);
    let reply = api
        .post(
            "/v1/recipients",
            recipients_request(&claims_stranger, &[stranger.key_id()]),
        )
        .await;
    assert_eq!(reply.status, 403, "{}", reply.text());

    // Own keys and the allowed escrow key: re-wrapped, values byte for byte.
    let wanted = [a.fingerprint(), c.fingerprint(), escrow.key_id()];
    let reply = api
        .post("/v1/recipients", recipients_request(&ss, &wanted))
        .await;
    let rewrapped = reply.sealed();
    let mut expected = wanted.to_vec();
    expected.sort();
    assert_eq!(stanza_ids(&rewrapped), expected);
    for key in ["password", "user"] {
        assert_eq!(
            rewrapped.spec.encrypted_data[key], ss.spec.encrypted_data[key],
            "{key}"
        );
    }
    // The escrow key alone now opens it, offline.
    let mut ring = sealant_keys::KeyRing::new();
    ring.insert_hybrid(sealant_keys::HybridEntry::new(escrow, None));
    let mut opener = sealant_keys::RingOpener::new(&ring, None);
    assert!(sealant_api::unseal(&rewrapped, &mut opener).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recipients_refusals_of_the_object_are_rotates_refusal_and_bad_requests_are_400() {
    use sealant_crypto::v2::Recipient;
    let api = Api::with_keys(&['a', 'c']).await;
    let a = public_key(&test_key('a'));
    let ids = [a.fingerprint()];
    let honest = seal_v2_for(&[Recipient::Rsa(&a)]);

    // Every refusal of the object: the one padded 409 of /v1/rotate, byte for byte.
    let mut tampered = honest.clone();
    tampered
        .spec
        .template
        .data
        .insert("leak".to_owned(), Some("{{ .password }}".to_owned()));
    let mut renamed = honest.clone();
    renamed.metadata.name = Some("other".to_owned());
    let v1 = seal(&test_key('a'), NS, NAME, Scope::Strict, DATA);
    let rotate_refusal = api.post_sealed("/v1/rotate", &renamed).await;
    assert!(is_failure(&rotate_refusal));
    for (what, ss) in [("tampered", &tampered), ("renamed", &renamed), ("v1", &v1)] {
        let reply = api
            .post("/v1/recipients", recipients_request(ss, &ids))
            .await;
        assert_eq!(reply, rotate_refusal, "{what}");
    }

    // Not a recipients request: 400, whatever the object.
    let too_many: Vec<_> = (0..17u8)
        .map(|i| sealant_crypto::Fingerprint::of_spki_der(&[i]))
        .collect();
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("a bare SealedSecret", serde_json::to_vec(&honest).unwrap()),
        ("no recipient", recipients_request(&honest, &[])),
        ("17 recipients", recipients_request(&honest, &too_many)),
        ("twice", recipients_request(&honest, &[ids[0], ids[0]])),
        (
            "a prefix",
            br#"{"sealedSecret":{},"recipients":["abcd"]}"#.to_vec(),
        ),
    ];
    for (what, body) in bodies {
        let reply = api.post("/v1/recipients", body).await;
        assert_eq!(reply.status, 400, "{what}: {}", reply.text());
    }
}
