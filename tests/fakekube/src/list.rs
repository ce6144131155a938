//! list and deletecollection's selection, with `limit`/`continue` pagination.

use std::ops::Bound;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::FakeKube;
use crate::reply::{Reply, bad_request, status};
use crate::request::{Output, Query, Target};
use crate::selectors::Filter;
use crate::store::{ObjKey, State};
use crate::view::{render_list, text_reply};

/// Where a paginated list resumes: after (namespace, name), at the first page's resourceVersion
/// (every page reports it, so a watch from it replays whatever changed while paging).
struct Continue {
    rv: u64,
    namespace: String,
    name: String,
}

impl Continue {
    fn encode(&self) -> String {
        let v =
            json!({"v": "meta.k8s.io/v1", "rv": self.rv, "ns": self.namespace, "name": self.name});
        STANDARD.encode(v.to_string())
    }

    fn decode(token: &str) -> Option<Continue> {
        let bytes = STANDARD.decode(token).ok()?;
        let v: Value = serde_json::from_slice(&bytes).ok()?;
        Some(Continue {
            rv: v.get("rv")?.as_u64()?,
            namespace: v.get("ns")?.as_str()?.to_string(),
            name: v.get("name")?.as_str()?.to_string(),
        })
    }
}

/// One page of a list.
pub(crate) struct Page {
    pub items: Vec<Arc<Value>>,
    pub keys: Vec<ObjKey>,
    pub resource_version: u64,
    pub continue_token: Option<String>,
}

/// Select the objects of `t` matching the request's selectors, honouring `limit`/`continue`.
/// The fake keeps no old snapshots, so later pages show the current objects (the real server
/// serves them as of the first page's resourceVersion).
pub(crate) fn select(s: &State, t: &Target, q: &Query) -> Reply<Page> {
    let filter = Filter::new(t.res, q).map_err(|e| bad_request(&e))?;
    let limit = match q.get("limit").map(String::as_str) {
        None | Some("") => usize::MAX,
        Some(v) => match v.parse::<usize>() {
            Ok(0) => usize::MAX,
            Ok(n) => n,
            Err(_) => return Err(bad_request(&format!("invalid limit: {v}"))),
        },
    };
    let cont = match q.get("continue").filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(Continue::decode(c).ok_or_else(|| bad_request("invalid continue token"))?),
    };
    if let Some(c) = &cont
        && c.rv < s.compacted_rv
    {
        return Err(status(
            410,
            "Expired",
            "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
        ));
    }
    let store = t.res.store;
    let lower = match &cont {
        Some(c) => Bound::Excluded((store, c.namespace.clone(), c.name.clone())),
        None => Bound::Included((store, t.ns().to_string(), String::new())),
    };
    let in_scope =
        |(st, ns, _): &ObjKey| *st == store && t.namespace.as_ref().is_none_or(|want| want == ns);
    let mut range = s
        .objects
        .range((lower, Bound::Unbounded))
        .take_while(|(k, _)| in_scope(k));
    let mut page = Page {
        items: Vec::new(),
        keys: Vec::new(),
        resource_version: cont.as_ref().map_or(s.rv, |c| c.rv),
        continue_token: None,
    };
    for (k, o) in range.by_ref() {
        if filter.accepts(o) {
            page.items.push(o.clone());
            page.keys.push(k.clone());
            if page.items.len() == limit {
                break;
            }
        }
    }
    if page.items.len() == limit
        && range.next().is_some()
        && let Some(last) = page.keys.last()
    {
        page.continue_token = Some(
            Continue {
                rv: page.resource_version,
                namespace: last.1.clone(),
                name: last.2.clone(),
            }
            .encode(),
        );
    }
    Ok(page)
}

impl FakeKube {
    pub(crate) fn list(&self, t: &Target, q: &Query, out: Output) -> Response {
        let page = {
            let s = self.lock();
            match select(&s, t, q) {
                Ok(p) => p,
                Err(r) => return r.into_response(),
            }
        };
        let mut meta = json!({"resourceVersion": page.resource_version.to_string()});
        if let Some(c) = &page.continue_token {
            meta["continue"] = json!(c);
        }
        let body = render_list(t.res, out, &meta, page.items.iter().map(|o| o.as_ref()));
        text_reply(StatusCode::OK, out, true, body)
    }
}
