//! Runnable examples; see `examples/`. The web service of
//! `examples/web_service.rs` lives in [`web_service`], so its integration
//! test can drive it too.

pub mod web_service;
