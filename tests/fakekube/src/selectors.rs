//! Label and field selectors (`labelSelector`, `fieldSelector` query parameters).

use serde_json::Value;

use crate::request::Query;
use crate::resources::ResourceType;

/// One selector requirement.
#[derive(Debug)]
enum Req {
    Eq(String, String),
    Ne(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

impl Req {
    fn key(&self) -> &str {
        match self {
            Req::Eq(k, _)
            | Req::Ne(k, _)
            | Req::In(k, _)
            | Req::NotIn(k, _)
            | Req::Exists(k)
            | Req::NotExists(k) => k,
        }
    }
}

/// Split on commas that are not inside `( )`, so `a in (x,y),b` is two requirements.
fn split_top(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

fn parse_set(s: &str) -> Vec<String> {
    s.trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split(',')
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

fn parse_selector(s: &str) -> Vec<Req> {
    split_top(s)
        .into_iter()
        .filter_map(|part| {
            let p = part.trim();
            if let Some((k, v)) = p.split_once(" notin ") {
                Some(Req::NotIn(k.trim().into(), parse_set(v)))
            } else if let Some((k, v)) = p.split_once(" in ") {
                Some(Req::In(k.trim().into(), parse_set(v)))
            } else if let Some((k, v)) = p.split_once("!=") {
                Some(Req::Ne(k.trim().into(), v.trim().into()))
            } else if let Some((k, v)) = p.split_once("==") {
                Some(Req::Eq(k.trim().into(), v.trim().into()))
            } else if let Some((k, v)) = p.split_once('=') {
                Some(Req::Eq(k.trim().into(), v.trim().into()))
            } else if let Some(k) = p.strip_prefix('!') {
                Some(Req::NotExists(k.trim().into()))
            } else if p.is_empty() {
                None
            } else {
                Some(Req::Exists(p.into()))
            }
        })
        .collect()
}

fn matches(reqs: &[Req], get: &dyn Fn(&str) -> Option<String>) -> bool {
    reqs.iter().all(|r| match r {
        Req::Eq(k, v) => get(k).as_deref() == Some(v.as_str()),
        Req::Ne(k, v) => get(k).as_deref() != Some(v.as_str()),
        Req::In(k, vs) => get(k).is_some_and(|x| vs.contains(&x)),
        Req::NotIn(k, vs) => get(k).is_none_or(|x| !vs.contains(&x)),
        Req::Exists(k) => get(k).is_some(),
        Req::NotExists(k) => get(k).is_none(),
    })
}

/// The selectors of one list/watch request.
pub(crate) struct Filter {
    labels: Vec<Req>,
    fields: Vec<Req>,
}

impl Filter {
    /// Parse the selectors of `q`. Field selectors are checked the way the real server does:
    /// only `=`, `==`, `!=`, and only field labels the resource supports (else 400).
    pub fn new(res: &ResourceType, q: &Query) -> Result<Self, String> {
        let labels = q
            .get("labelSelector")
            .map(|s| parse_selector(s))
            .unwrap_or_default();
        let fields = q
            .get("fieldSelector")
            .map(|s| parse_selector(s))
            .unwrap_or_default();
        for f in &fields {
            if !matches!(f, Req::Eq(..) | Req::Ne(..)) {
                return Err(format!(
                    "invalid field selector: only =, == and != are supported: {}",
                    f.key()
                ));
            }
            let k = f.key();
            if !matches!(k, "metadata.name" | "metadata.namespace")
                && !res.field_labels.contains(&k)
            {
                return Err(format!("field label not supported: {k}"));
            }
        }
        Ok(Filter { labels, fields })
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.fields.is_empty()
    }

    /// Whether the stored object `obj` is selected.
    pub fn accepts(&self, obj: &Value) -> bool {
        let labels = obj.get("metadata").and_then(|m| m.get("labels"));
        let lget = |k: &str| {
            labels
                .and_then(|l| l.get(k))
                .and_then(Value::as_str)
                .map(String::from)
        };
        let fget = |k: &str| field_value(obj, k);
        matches(&self.labels, &lget) && matches(&self.fields, &fget)
    }
}

/// The value of a field label. Missing fields compare as "" (the real server's field sets
/// always carry every supported label).
fn field_value(obj: &Value, label: &str) -> Option<String> {
    // `source` on Events is the component of the event source.
    let path = if label == "source" {
        "source.component"
    } else {
        label
    };
    let v = path.split('.').try_fold(obj, |v, seg| v.get(seg));
    Some(match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::resources::RESOURCES;
    use serde_json::json;

    fn filter(labels: &str, fields: &str) -> Result<Filter, String> {
        let mut q = Query::new();
        q.insert("labelSelector".into(), labels.into());
        q.insert("fieldSelector".into(), fields.into());
        Filter::new(&RESOURCES[0], &q)
    }

    #[test]
    fn selectors() {
        let o = json!({"type":"Opaque","metadata":{"name":"a","namespace":"ns","labels":{"app":"x","tier":"web"}}});
        let ok = |s: &str| filter(s, "").unwrap().accepts(&o);
        assert!(ok("app=x"));
        assert!(ok("app==x,tier!=db"));
        assert!(ok("app in (x, y)"));
        assert!(!ok("app notin (x,y)"));
        assert!(ok("tier"));
        assert!(ok("!missing"));
        assert!(!ok("missing"));
        let f = filter("", "metadata.name=a,metadata.namespace!=other,type=Opaque").unwrap();
        assert!(f.accepts(&o));
        assert!(filter("", "spec.x=1").is_err());
        assert!(filter("", "metadata.name in (a)").is_err());
    }
}
