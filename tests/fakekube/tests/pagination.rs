//! `limit`/`continue` pagination, and a kube-runtime watcher paging through 1200 objects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::{code, count_initial, secret, setup};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ListParams, PostParams};
use kube::runtime::watcher;
use kube::{Api, ResourceExt};

#[tokio::test(flavor = "multi_thread")]
async fn lists_page_through_1200_objects() {
    let (fk, client) = setup().await;
    let api: Api<Secret> = Api::namespaced(client.clone(), "ns");
    futures::stream::iter(0..1200)
        .map(|i| {
            let api = api.clone();
            async move {
                let mut s = secret(&format!("s{i:04}"), &[("k", "v")]);
                s.metadata.labels = Some([("parity".to_string(), (i % 2).to_string())].into());
                api.create(&PostParams::default(), &s).await.unwrap();
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<()>>()
        .await;
    // Another namespace is not part of the namespaced list.
    Api::<Secret>::namespaced(client.clone(), "zz")
        .create(&PostParams::default(), &secret("other", &[]))
        .await
        .unwrap();

    let mut names = Vec::new();
    let mut sizes = Vec::new();
    let mut rvs = BTreeSet::new();
    let mut lp = ListParams::default().limit(500);
    loop {
        let page = api.list(&lp).await.unwrap();
        sizes.push(page.items.len());
        rvs.insert(page.metadata.resource_version.clone().unwrap());
        names.extend(page.items.iter().map(|s| s.name_any()));
        match page.metadata.continue_ {
            Some(c) if !c.is_empty() => lp = lp.continue_token(&c),
            _ => break,
        }
    }
    assert_eq!(sizes, [500, 500, 200]);
    assert_eq!(
        rvs.len(),
        1,
        "every page reports the first page's resourceVersion"
    );
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, names);
    assert_eq!(names.len(), 1200);

    // Selectors apply before the limit.
    let lp = ListParams::default().labels("parity=1").limit(500);
    let first = api.list(&lp).await.unwrap();
    assert_eq!(first.items.len(), 500);
    let token = first.metadata.continue_.clone().unwrap();
    let rest = api.list(&lp.clone().continue_token(&token)).await.unwrap();
    assert_eq!(rest.items.len(), 100);
    assert!(rest.metadata.continue_.is_none_or(|c| c.is_empty()));

    // kube-runtime's watcher pages with limit=500 by default.
    let before = fk.fake.request_count("list", "secrets");
    let mut stream = watcher(api.clone(), watcher::Config::default()).boxed();
    assert_eq!(count_initial(&mut stream).await, 1200);
    assert_eq!(fk.fake.request_count("list", "secrets") - before, 3);

    // Once history past the token's resourceVersion is compacted, continuing is a 410;
    // garbage is a 400.
    api.create(&PostParams::default(), &secret("later", &[]))
        .await
        .unwrap();
    fk.fake.compact();
    assert_eq!(
        code(
            api.list(&ListParams::default().limit(500).continue_token(&token))
                .await
        ),
        410
    );
    assert_eq!(
        code(
            api.list(&ListParams::default().continue_token("garbage"))
                .await
        ),
        400
    );
}
