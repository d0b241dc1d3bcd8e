//! Bench helpers (see benches/README.md).
