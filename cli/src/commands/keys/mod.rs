//! `sealant keys`: `generate` (offline) and the cluster key lifecycle (`list`, `rotate`,
//! `retire`) through the controller's `GET /v1/keys` and RBAC-governed annotations.

mod generate;
mod lifecycle;

pub use generate::generate;
pub use lifecycle::{list, retire, rotate};
