//! The verbs on resource objects: get, create, update (PUT), patch, delete, deletecollection.
//! (list is in `list.rs`, watch in `watch.rs`.)

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::FakeKube;
use crate::fields;
use crate::gc;
use crate::list::select;
use crate::object::{meta_str, normalize, prepare_create, prepare_update, validate_name};
use crate::patch::{PatchType, apply, decode, patch_type};
use crate::reply::{
    ApiError, Cause, Reply, already_exists, bad_request, conflict, invalid, not_found,
    precondition_failed, status, status_value,
};
use crate::request::{Output, Query, Target};
use crate::resources::{ResourceType, by_store};
use crate::store::State;
use crate::view::{from_view, object_reply, render_list, text_reply, to_view};

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
}

/// A create/update body: JSON only (no protobuf), a JSON object in the request's namespace,
/// converted to storage schema. Parsed before `create` and `update` run.
pub(crate) fn parse_object(t: &Target, headers: &HeaderMap, body: &[u8]) -> Reply<Value> {
    let ct = content_type(headers);
    if !ct.starts_with("application/json") && !ct.is_empty() {
        return Err(status(
            415,
            "UnsupportedMediaType",
            &format!(
                "the body of the request was in an unknown format ({ct}); the fake accepts application/json"
            ),
        ));
    }
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| bad_request(&format!("invalid JSON body: {e}")))?;
    if !v.is_object() {
        return Err(bad_request("the body must be a JSON object"));
    }
    let obj = from_view(t.res, v);
    check_namespace(t, &obj)?;
    Ok(obj)
}

fn check_namespace(t: &Target, obj: &Value) -> Reply<()> {
    let ns = meta_str(obj, "namespace");
    if !ns.is_empty() && ns != t.ns() {
        return Err(bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    Ok(())
}

/// A body naming an object must name the one on the URL.
fn check_name(t: &Target, name: &str) -> Reply<()> {
    if name != t.name() {
        return Err(bad_request(&format!(
            "the name of the object ({name}) does not match the name on the URL ({})",
            t.name()
        )));
    }
    Ok(())
}

/// 409 for a uid precondition that `obj` does not meet.
fn uid_mismatch(t: &Target, uid: &str, obj: &Value) -> ApiError {
    precondition_failed(
        t.res,
        t.name(),
        &format!(
            "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
            meta_str(obj, "uid")
        ),
    )
}

/// resourceVersion and uid preconditions carried by an update body or patch result.
fn check_preconditions(t: &Target, old: &Value, new: &Value, put: bool) -> Reply<()> {
    let name = t.name();
    let want = meta_str(new, "resourceVersion");
    if want.is_empty() {
        if put && t.res.crd {
            return Err(invalid(
                t.res,
                name,
                &[Cause {
                    reason: "FieldValueInvalid",
                    field: "metadata.resourceVersion".into(),
                    message: "Invalid value: 0x0: must be specified for an update".into(),
                }],
            ));
        }
    } else if want != meta_str(old, "resourceVersion") {
        return Err(conflict(t.res, name));
    }
    let uid = meta_str(new, "uid");
    if !uid.is_empty() && uid != meta_str(old, "uid") {
        return Err(uid_mismatch(t, uid, old));
    }
    Ok(())
}

/// The storage type of `res` (core/v1 for events.k8s.io Events).
fn storage(res: &'static ResourceType) -> &'static ResourceType {
    by_store(res.store).unwrap_or(res)
}

impl FakeKube {
    pub(crate) fn get(&self, t: &Target, out: Output) -> Response {
        let obj = self.lock().get(&t.key(t.name()));
        match obj {
            Some(o) => object_reply(StatusCode::OK, t.res, out, &o),
            None => not_found(t.res, t.name()).into_response(),
        }
    }

    /// Count the request, then answer with the object a write left or its error.
    fn write_reply(&self, t: &Target, out: Output, r: Reply<(StatusCode, Arc<Value>)>) -> Response {
        self.bump();
        match r {
            Ok((code, o)) => object_reply(code, t.res, out, &o),
            Err(e) => e.into_response(),
        }
    }

    /// Store a new object named `name` (already normalised) and run GC on it.
    fn insert_new(
        &self,
        s: &mut State,
        t: &Target,
        name: &str,
        obj: Value,
        by: Writer<'_>,
    ) -> Reply<Arc<Value>> {
        let key = t.key(name);
        if s.objects.contains_key(&key) {
            return Err(already_exists(t.res, name));
        }
        if t.res.namespaced {
            crate::namespaces::ensure(s, t.ns());
        }
        let uid = s.new_uid();
        let obj = prepare_create(t.res, storage(t.res), t.ns(), name, uid, obj);
        let stored = s.insert(key.clone(), obj);
        fields::record_write(
            s.owners.entry(key.clone()).or_default(),
            &Value::Null,
            &to_view(t.res, &stored),
            by.manager,
            by.applied,
        );
        s.record_write(by.verb, &t.log_resource(), t.ns(), name);
        // An object created with only dangling ownerReferences is collected right away.
        gc::collect(s, vec![key]);
        Ok(stored)
    }

    /// Record the write; store `new` unless it equals `old` (the real server neither bumps
    /// the resourceVersion nor emits an event for a no-op write).
    fn commit(
        &self,
        s: &mut State,
        t: &Target,
        old: Arc<Value>,
        new: Value,
        by: Writer<'_>,
    ) -> Arc<Value> {
        let name = t.name();
        s.record_write(by.verb, &t.log_resource(), t.ns(), name);
        if new == *old {
            return old;
        }
        let key = t.key(name);
        let stored = s.update(key.clone(), new);
        fields::record_write(
            s.owners.entry(key.clone()).or_default(),
            &to_view(t.res, &old),
            &to_view(t.res, &stored),
            by.manager,
            by.applied,
        );
        gc::collect(s, vec![key]);
        stored
    }

    pub(crate) fn create(&self, t: &Target, q: &Query, obj: Reply<Value>, out: Output) -> Response {
        let r: Reply<_> = (|| {
            let mut obj = obj?;
            if !meta_str(&obj, "resourceVersion").is_empty() {
                return Err(status(
                    500,
                    "InternalError",
                    "resourceVersion should not be set on objects to be created",
                ));
            }
            let given = meta_str(&obj, "name").to_string();
            let prefix = meta_str(&obj, "generateName").to_string();
            if given.is_empty() && prefix.is_empty() {
                return Err(invalid(
                    t.res,
                    "",
                    &[Cause {
                        reason: "FieldValueRequired",
                        field: "metadata.name".into(),
                        message: "Required value: name or generateName is required".into(),
                    }],
                ));
            }
            normalize(t.res, &given, &mut obj)?;
            let mut s = self.lock();
            let name = if given.is_empty() {
                s.generate_name(t.res.store, t.ns(), &prefix)
            } else {
                given
            };
            validate_name(t.res, &name)?;
            self.insert_new(&mut s, t, &name, obj, Writer::new("create", q, None))
                .map(|o| (StatusCode::CREATED, o))
        })();
        self.write_reply(t, out, r)
    }

    pub(crate) fn update(&self, t: &Target, q: &Query, obj: Reply<Value>, out: Output) -> Response {
        let r: Reply<_> = (|| {
            let mut obj = obj?;
            check_name(t, meta_str(&obj, "name"))?;
            let mut s = self.lock();
            let old = s
                .get(&t.key(t.name()))
                .ok_or_else(|| not_found(t.res, t.name()))?;
            check_preconditions(t, &old, &obj, true)?;
            normalize(t.res, t.name(), &mut obj)?;
            let new = prepare_update(t.res, &old, obj, t.status)?;
            Ok((
                StatusCode::OK,
                self.commit(&mut s, t, old, new, Writer::new("update", q, None)),
            ))
        })();
        self.write_reply(t, out, r)
    }

    pub(crate) fn patch(
        &self,
        t: &Target,
        q: &Query,
        headers: &HeaderMap,
        body: &[u8],
        out: Output,
    ) -> Response {
        let r: Reply<_> = (|| {
            let ct = content_type(headers);
            let Some(pt) = patch_type(ct).filter(|pt| !(t.res.crd && *pt == PatchType::Strategic))
            else {
                return Err(status(
                    415,
                    "UnsupportedMediaType",
                    &format!(
                        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml{} (got {ct})",
                        if t.res.crd {
                            ""
                        } else {
                            ", application/strategic-merge-patch+json"
                        }
                    ),
                ));
            };
            let patch = decode(pt, body).map_err(|e| bad_request(&e))?;
            if pt == PatchType::Apply {
                check_apply(t, q, &patch)?;
            }
            let mut s = self.lock();
            let Some(old) = s.get(&t.key(t.name())) else {
                if pt != PatchType::Apply || t.status {
                    return Err(not_found(t.res, t.name()));
                }
                // Server-side apply creates missing objects.
                let mut obj = from_view(t.res, patch.clone());
                obj["metadata"]["name"] = json!(t.name());
                if !meta_str(&obj, "resourceVersion").is_empty() {
                    return Err(not_found(t.res, t.name()));
                }
                normalize(t.res, t.name(), &mut obj)?;
                validate_name(t.res, t.name())?;
                return self
                    .insert_new(
                        &mut s,
                        t,
                        t.name(),
                        obj,
                        Writer::new("patch", q, Some(&patch)),
                    )
                    .map(|o| (StatusCode::CREATED, o));
            };
            let mut doc = to_view(t.res, &old).into_owned();
            let applied = (pt == PatchType::Apply).then_some(&patch);
            if let Some(applied) = applied
                && q.get("force").is_none_or(|f| f != "true")
            {
                check_apply_conflicts(&s, t, &doc, applied, field_manager(q))?;
            }
            apply(pt, &mut doc, &patch).map_err(|e| {
                status(
                    422,
                    "Invalid",
                    &format!("the patch could not be applied: {e}"),
                )
            })?;
            check_preconditions(t, &old, &doc, false)?;
            let mut new = from_view(t.res, doc);
            normalize(t.res, t.name(), &mut new)?;
            let new = prepare_update(t.res, &old, new, t.status)?;
            Ok((
                StatusCode::OK,
                self.commit(&mut s, t, old, new, Writer::new("patch", q, applied)),
            ))
        })();
        self.write_reply(t, out, r)
    }

    pub(crate) fn delete(&self, t: &Target, q: &Query, body: &[u8], out: Output) -> Response {
        let r: Reply<_> = (|| {
            let opts = DeleteOptions::parse(q, body)?;
            let mut s = self.lock();
            let key = t.key(t.name());
            let old = s.get(&key).ok_or_else(|| not_found(t.res, t.name()))?;
            opts.check(t, &old)?;
            let gone = s.remove(&key).ok_or_else(|| not_found(t.res, t.name()))?;
            s.record_write("delete", &t.log_resource(), t.ns(), t.name());
            gc::owner_deleted(&mut s, meta_str(&gone, "uid"), opts.orphan);
            Ok(gone)
        })();
        self.bump();
        match r {
            // Custom resources answer with the deleted object, built-in kinds with a Status.
            Ok(o) if t.res.crd => object_reply(StatusCode::OK, t.res, out, &o),
            Ok(o) => crate::reply::json_reply(
                StatusCode::OK,
                "application/json",
                &json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","code":200,
                    "details":{"name": t.name(), "group": t.res.group, "kind": t.res.plural, "uid": meta_str(&o, "uid")}}),
            ),
            Err(e) => e.into_response(),
        }
    }

    pub(crate) fn delete_collection(
        &self,
        t: &Target,
        q: &Query,
        body: &[u8],
        out: Output,
    ) -> Response {
        let r: Reply<_> = (|| {
            let opts = DeleteOptions::parse(q, body)?;
            let mut s = self.lock();
            let mut all = q.clone();
            all.remove("limit");
            all.remove("continue");
            let page = select(&s, t, &all)?;
            let mut gone = Vec::new();
            for key in page.keys {
                if let Some(o) = s.remove(&key) {
                    s.record_write("deletecollection", &t.log_resource(), &key.1, &key.2);
                    gc::owner_deleted(&mut s, meta_str(&o, "uid"), opts.orphan);
                    gone.push(o);
                }
            }
            Ok((gone, s.rv))
        })();
        self.bump();
        match r {
            Ok((gone, rv)) => {
                let meta = json!({"resourceVersion": rv.to_string()});
                let body = render_list(t.res, out, &meta, gone.iter().map(|o| o.as_ref()));
                text_reply(StatusCode::OK, out, true, body)
            }
            Err(e) => e.into_response(),
        }
    }
}

/// Who writes and how: the write-log verb, the field manager, and for server-side apply
/// the applied configuration (whose fields the manager claims).
#[derive(Clone, Copy)]
struct Writer<'a> {
    verb: &'a str,
    manager: &'a str,
    applied: Option<&'a Value>,
}

impl<'a> Writer<'a> {
    fn new(verb: &'a str, q: &'a Query, applied: Option<&'a Value>) -> Self {
        Self {
            verb,
            manager: field_manager(q),
            applied,
        }
    }
}

/// The writer's field manager; the real server derives one from the user agent when the
/// request names none.
fn field_manager(q: &Query) -> &str {
    q.get("fieldManager")
        .map(String::as_str)
        .filter(|m| !m.is_empty())
        .unwrap_or("unknown")
}

/// 409 when an (unforced) apply would change a field that another manager set.
fn check_apply_conflicts(
    s: &State,
    t: &Target,
    current: &Value,
    applied: &Value,
    manager: &str,
) -> Reply<()> {
    let Some(owners) = s.owners.get(&t.key(t.name())) else {
        return Ok(());
    };
    let conflicts = fields::apply_conflicts(owners, current, applied, manager);
    if conflicts.is_empty() {
        return Ok(());
    }
    let api_version = current["apiVersion"].as_str().unwrap_or_default();
    let mut body = status_value(
        409,
        "Conflict",
        &fields::conflict_message(&conflicts, api_version),
    );
    body["details"] = json!({
        "name": t.name(),
        "group": t.res.group,
        "kind": t.res.plural,
        "causes": fields::conflict_causes(&conflicts, api_version),
    });
    Err(body.into())
}

/// Server-side apply needs a field manager and a body naming this object's type and name.
fn check_apply(t: &Target, q: &Query, patch: &Value) -> Reply<()> {
    if q.get("fieldManager").is_none_or(String::is_empty) {
        return Err(json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
                "message":"PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                "reason":"Invalid","code":422,
                "details":{"group":"meta.k8s.io","kind":"PatchOptions",
                    "causes":[{"reason":"FieldValueRequired","message":"Required value: is required for apply patch","field":"fieldManager"}]}})
        .into());
    }
    let s = |k: &str| patch.get(k).and_then(Value::as_str).unwrap_or("");
    if s("apiVersion") != t.res.api_version() || s("kind") != t.res.kind {
        return Err(bad_request(&format!(
            "an apply patch must set apiVersion {:?} and kind {:?} (got {:?}, {:?})",
            t.res.api_version(),
            t.res.kind,
            s("apiVersion"),
            s("kind")
        )));
    }
    let name = meta_str(patch, "name");
    if name.is_empty() {
        return Ok(());
    }
    check_name(t, name)
}

/// `DeleteOptions` from the body and/or query string.
struct DeleteOptions {
    orphan: bool,
    uid: Option<String>,
    resource_version: Option<String>,
}

impl DeleteOptions {
    fn parse(q: &Query, body: &[u8]) -> Reply<Self> {
        let v: Value = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(body)
                .map_err(|e| bad_request(&format!("invalid DeleteOptions: {e}")))?
        };
        let policy = v
            .get("propagationPolicy")
            .and_then(Value::as_str)
            .or(q.get("propagationPolicy").map(String::as_str));
        if let Some(p) = policy
            && !matches!(p, "Orphan" | "Background" | "Foreground")
        {
            return Err(bad_request(&format!(
                "propagationPolicy: Unsupported value: {p:?}: supported values: \"Foreground\", \"Background\", \"Orphan\""
            )));
        }
        let orphan = policy == Some("Orphan")
            || v.get("orphanDependents") == Some(&Value::Bool(true))
            || q.get("orphanDependents").map(String::as_str) == Some("true");
        let pre = |k: &str| {
            v.pointer(&format!("/preconditions/{k}"))
                .and_then(Value::as_str)
                .map(String::from)
        };
        Ok(DeleteOptions {
            orphan,
            uid: pre("uid"),
            resource_version: pre("resourceVersion"),
        })
    }

    fn check(&self, t: &Target, obj: &Value) -> Reply<()> {
        if let Some(uid) = &self.uid
            && uid != meta_str(obj, "uid")
        {
            return Err(uid_mismatch(t, uid, obj));
        }
        if let Some(rv) = &self.resource_version
            && rv != meta_str(obj, "resourceVersion")
        {
            return Err(precondition_failed(
                t.res,
                t.name(),
                &format!(
                    "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                    meta_str(obj, "resourceVersion")
                ),
            ));
        }
        Ok(())
    }
}
