//! Envelope v2 at the command line (docs/envelope-v2.md): recipients named on the command
//! line or by `.sealant.yaml` creation rules, X-Wing key files, and the v2 sides of `seal`,
//! `unseal`, `edit`, `reencrypt`, `check` and `merge-into`.

mod keygen;
pub mod recipients;
pub mod rules;
pub mod seal_plan;

pub use keygen::{KeyTypeArg, generate_request, generate_xwing};
pub use seal_plan::{SealPlan, SealV2Args};
pub mod edit;
pub mod merge;
pub mod private_keys;
pub mod seal;
pub mod update_recipients;
