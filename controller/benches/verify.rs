//! Placeholder until the `/v1/verify` benchmark lands (keeps the manifest's bench entry valid).
fn main() {}
