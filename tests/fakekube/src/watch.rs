//! Watch streams: newline-delimited JSON events, replayed from the store's event log.
//!
//! Each stream keeps its own cursor (the last resourceVersion it has scanned) into the shared
//! log and wakes on the store's change signal, so a slow client never makes the fake drop
//! events (there is no broadcast buffer to lag behind) and one write costs each open watch a
//! log lookup, not a scan of the store.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::FakeKube;
use crate::reply::{bad_request, status_value};
use crate::request::{Output, Query, Target, flag};
use crate::resources::ResourceType;
use crate::selectors::Filter;
use crate::store::{EventType, LogEvent};
use crate::view::render;

/// Events scanned from the log per lock acquisition.
const BATCH: usize = 1000;

/// Counts an open stream; dropping it (stream ended or client gone) uncounts it.
struct OpenWatch(FakeKube);

impl Drop for OpenWatch {
    fn drop(&mut self) {
        self.0.lock().open_watches -= 1;
        self.0.bump();
    }
}

struct Stream {
    fake: FakeKube,
    res: &'static ResourceType,
    namespace: Option<String>,
    filter: Filter,
    out: Output,
    /// Last resourceVersion scanned in the log.
    rv: u64,
    pending: VecDeque<String>,
    epoch: u64,
    /// Events left before the stream ends (`end_watches_after`).
    budget: Option<usize>,
    deadline: Instant,
    rx: tokio::sync::watch::Receiver<u64>,
    /// Nothing more after `pending` (410 sent).
    done: bool,
    _open: OpenWatch,
}

fn line(kind: &str, object: &str) -> String {
    format!("{{\"type\":\"{kind}\",\"object\":{object}}}\n")
}

fn ndjson(body: Body) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

impl Stream {
    /// The event as this watch reports it: with a selector, an update that makes an object stop
    /// (start) matching is a DELETED (ADDED), as the real server reports it.
    fn event_line(&self, e: &LogEvent) -> Option<String> {
        if self.filter.is_empty() {
            return Some(line(
                e.kind.as_str(),
                &render(self.res, self.out, &e.object),
            ));
        }
        let now = self.filter.accepts(&e.object);
        let kind = match e.kind {
            EventType::Modified => {
                let before = e.prev.as_ref().is_some_and(|p| self.filter.accepts(p));
                match (before, now) {
                    (true, true) => EventType::Modified,
                    (false, true) => EventType::Added,
                    (true, false) => EventType::Deleted,
                    (false, false) => return None,
                }
            }
            k if now => k,
            _ => return None,
        };
        Some(line(kind.as_str(), &render(self.res, self.out, &e.object)))
    }

    /// Move log events after the cursor into `pending`. `None` if the stream must end now,
    /// else whether the log may hold more events past the scanned batch.
    fn refill(&mut self) -> Option<bool> {
        let more;
        let events: Vec<Arc<LogEvent>> = {
            let s = self.fake.lock();
            if s.watch_epoch != self.epoch {
                return None;
            }
            if s.faults.watches_held(self.res.plural) {
                return Some(false);
            }
            if self.rv < s.compacted_rv {
                // This watch fell behind a compaction: like a lagging real watch, it gets 410.
                let st = status_value(
                    410,
                    "Expired",
                    &format!("too old resource version: {} ({})", self.rv, s.compacted_rv),
                );
                self.pending.push_back(line("ERROR", &st.to_string()));
                self.done = true;
                return Some(false);
            }
            let start = s.log.partition_point(|e| e.rv <= self.rv);
            let scanned: Vec<&Arc<LogEvent>> = s.log.range(start..).take(BATCH).collect();
            if let Some(last) = scanned.last() {
                self.rv = last.rv;
            }
            more = scanned.len() == BATCH;
            scanned
                .into_iter()
                .filter(|e| {
                    e.store == self.res.store
                        && self.namespace.as_ref().is_none_or(|n| *n == e.namespace)
                })
                .cloned()
                .collect()
        };
        for e in &events {
            if let Some(l) = self.event_line(e) {
                self.pending.push_back(l);
            }
        }
        Some(more)
    }

    async fn next_chunk(&mut self) -> Option<Bytes> {
        loop {
            if self.budget == Some(0) {
                return None;
            }
            if !self.pending.is_empty() {
                let n = self
                    .budget
                    .map_or(self.pending.len(), |b| b.min(self.pending.len()));
                if let Some(b) = self.budget.as_mut() {
                    *b -= n;
                }
                let chunk: String = self.pending.drain(..n).collect();
                return Some(Bytes::from(chunk));
            }
            if self.done {
                return None;
            }
            // Mark the signal seen before reading the log: a write after this wakes us.
            self.rx.borrow_and_update();
            let more = self.refill()?;
            if self.pending.is_empty() && !self.done && !more {
                tokio::select! {
                    changed = self.rx.changed() => if changed.is_err() { return None },
                    () = tokio::time::sleep_until(self.deadline) => return None,
                }
            }
        }
    }
}

impl FakeKube {
    pub(crate) fn watch(&self, t: &Target, q: &Query, out: Output) -> Response {
        let filter = match Filter::new(t.res, q) {
            Ok(f) => f,
            Err(e) => return bad_request(&e).into_response(),
        };
        let from: Option<u64> = match q.get("resourceVersion").map(String::as_str) {
            None | Some("") | Some("0") => None,
            Some(v) => match v.parse() {
                Ok(rv) => Some(rv),
                Err(_) => {
                    return bad_request(&format!("invalid resource version: {v}")).into_response();
                }
            },
        };
        let timeout = q
            .get("timeoutSeconds")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(1800);
        let initial_events = match q.get("sendInitialEvents").map(String::as_str) {
            Some("true" | "1") => true,
            Some(_) => false,
            None => from.is_none(),
        };
        let end_bookmark = flag(q, "sendInitialEvents");
        let mut s = self.lock();
        if let Some(rv) = from
            && rv < s.compacted_rv
        {
            let st = status_value(
                410,
                "Expired",
                &format!("too old resource version: {rv} ({})", s.compacted_rv),
            );
            return ndjson(Body::from(line("ERROR", &st.to_string())));
        }
        let initial: Vec<Arc<Value>> = if initial_events {
            let ns = t.namespace.clone().unwrap_or_default();
            let lo = (t.res.store, ns, String::new());
            s.objects
                .range(lo..)
                .take_while(|((st, n, _), _)| {
                    *st == t.res.store && t.namespace.as_ref().is_none_or(|want| want == n)
                })
                .map(|(_, o)| o.clone())
                .collect()
        } else {
            Vec::new()
        };
        s.open_watches += 1;
        let budget = s.faults.take_watch_limit();
        let mut stream = Stream {
            fake: self.clone(),
            res: t.res,
            namespace: t.namespace.clone(),
            filter,
            out,
            rv: from.unwrap_or(s.rv),
            pending: VecDeque::new(),
            epoch: s.watch_epoch,
            budget,
            deadline: Instant::now() + Duration::from_secs(timeout),
            rx: self.signal.subscribe(),
            done: false,
            _open: OpenWatch(self.clone()),
        };
        drop(s);
        self.bump();
        for o in initial.iter().filter(|o| stream.filter.accepts(o)) {
            let l = line("ADDED", &render(t.res, out, o));
            stream.pending.push_back(l);
        }
        if end_bookmark {
            let (kind, api_version) = match out {
                Output::Meta => (
                    "PartialObjectMetadata".to_string(),
                    "meta.k8s.io/v1".to_string(),
                ),
                Output::Full => (t.res.kind.to_string(), t.res.api_version()),
            };
            let bm = json!({"kind": kind, "apiVersion": api_version, "metadata": {
                "resourceVersion": stream.rv.to_string(),
                "annotations": {"k8s.io/initial-events-end": "true"}}});
            stream.pending.push_back(line("BOOKMARK", &bm.to_string()));
        }
        let body = futures::stream::unfold(stream, |mut st| async move {
            let chunk = st.next_chunk().await?;
            Some((Ok::<_, std::io::Error>(chunk), st))
        });
        ndjson(Body::from_stream(body))
    }
}
