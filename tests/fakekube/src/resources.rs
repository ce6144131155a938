//! The table of resource types the fake serves, and lookups into it.

/// A served resource type.
#[derive(Clone, Debug)]
pub struct ResourceType {
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    /// Has a `/status` subresource (writes to the main resource ignore `.status`, writes to
    /// `/status` change only `.status`).
    pub has_status: bool,
    /// Storage shared by every API version of the same objects: core/v1 `events` and
    /// `events.k8s.io/v1` `events` are one set of objects seen through two schemas, as in
    /// the real server.
    pub store: &'static str,
    /// A custom resource: PUT must carry `metadata.resourceVersion` (CRDs do not allow
    /// unconditional updates, unlike the built-in kinds).
    pub crd: bool,
    /// Field selector labels the real server accepts for this resource besides
    /// `metadata.name` and `metadata.namespace`; anything else is a 400.
    pub field_labels: &'static [&'static str],
    /// Short names advertised in discovery (`kubectl get cm`).
    pub short_names: &'static [&'static str],
}

impl ResourceType {
    /// `apiVersion` of objects served through this type.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
    /// Key "group/version/plural".
    pub fn key(&self) -> String {
        format!("{}/{}/{}", self.group, self.version, self.plural)
    }
    /// `plural` or `plural.group`, as the real server names resources in error messages.
    pub(crate) fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

const EVENT_FIELDS: &[&str] = &[
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
];

/// core/v1 Events; `events.k8s.io/v1` serves the same objects under the same `store`.
const CORE_EVENTS: ResourceType = ResourceType {
    group: "",
    version: "v1",
    plural: "events",
    kind: "Event",
    namespaced: true,
    has_status: false,
    store: "events",
    crd: false,
    field_labels: EVENT_FIELDS,
    short_names: &["ev"],
};

/// The resource types this fake serves.
/// The store of namespaces, which some handlers treat apart (see `namespaces.rs`).
pub(crate) const NAMESPACES: &str = "namespaces";

pub const RESOURCES: &[ResourceType] = &[
    ResourceType {
        group: "",
        version: "v1",
        plural: "secrets",
        kind: "Secret",
        namespaced: true,
        has_status: false,
        store: "secrets",
        crd: false,
        field_labels: &["type"],
        short_names: &[],
    },
    ResourceType {
        group: "",
        version: "v1",
        plural: "configmaps",
        kind: "ConfigMap",
        namespaced: true,
        has_status: false,
        store: "configmaps",
        crd: false,
        field_labels: &[],
        short_names: &["cm"],
    },
    CORE_EVENTS,
    ResourceType {
        group: "events.k8s.io",
        ..CORE_EVENTS
    },
    // Cluster-scoped; see `namespaces.rs` for what is and is not modeled.
    ResourceType {
        group: "",
        version: "v1",
        plural: "namespaces",
        kind: "Namespace",
        namespaced: false,
        has_status: false,
        store: NAMESPACES,
        crd: false,
        field_labels: &["status.phase"],
        short_names: &["ns"],
    },
    ResourceType {
        group: "coordination.k8s.io",
        version: "v1",
        plural: "leases",
        kind: "Lease",
        namespaced: true,
        has_status: false,
        store: "leases.coordination.k8s.io",
        crd: false,
        field_labels: &[],
        short_names: &[],
    },
    ResourceType {
        group: "bitnami.com",
        version: "v1alpha1",
        plural: "sealedsecrets",
        kind: "SealedSecret",
        namespaced: true,
        has_status: true,
        store: "sealedsecrets.bitnami.com",
        crd: true,
        field_labels: &[],
        short_names: &[],
    },
];

pub(crate) fn find_resource(
    group: &str,
    version: &str,
    plural: &str,
) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// The canonical (first listed) type of a store, used for objects found without a request
/// context (garbage collection, test accessors).
pub(crate) fn by_store(store: &str) -> Option<&'static ResourceType> {
    RESOURCES.iter().find(|r| r.store == store)
}

/// The type an `ownerReference` (apiVersion, kind) points at, if served.
pub(crate) fn by_api_version_kind(api_version: &str, kind: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.api_version() == api_version && r.kind == kind)
}

/// Resolve a resource name as tests spell it: "secrets", "leases.coordination.k8s.io" or
/// "coordination.k8s.io/v1/leases" (the `key()` form).
pub(crate) fn by_name(name: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.plural == name || r.store == name || r.key() == name)
}
