//! placeholder, replaced by its issue work
