//! The demo organization and its emulator, shared by `cargo xtask demo` and the end-to-end
//! tests: [`emulator`] installs moto into a project-local virtualenv and runs it on a free
//! loopback port; [`seed`] builds an organization in it with planted incidents through the
//! real AWS SDK for Rust; [`browser`] drives Chromium for the report's browser tests and the
//! scale benchmark.

pub mod buckets;
pub mod emulator;
pub mod seed;
pub mod targets;
pub mod tools;

use std::path::PathBuf;

/// The workspace root (this crate lives in `crates/demo`).
pub fn workspace_root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}
