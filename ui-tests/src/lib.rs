//! Compile tests of `#[gen_server]`; see `tests/`.
