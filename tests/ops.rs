//! Integration tests of the engine core: one binary, one module per area.

#[path = "ops/api.rs"]
mod api;
#[path = "ops/checker.rs"]
mod checker;
#[path = "ops/gradcheck.rs"]
mod gradcheck;
#[path = "ops/guard.rs"]
mod guard;
#[path = "ops/kernels.rs"]
mod kernels;
#[path = "ops/limits.rs"]
mod limits;
#[path = "ops/nan.rs"]
mod nan;
#[path = "ops/precision.rs"]
mod precision;
#[path = "ops/tape.rs"]
mod tape;
