//! Headless reports: JSON and NDJSON for scripts, text for people.

pub mod call;
pub mod json;
pub mod memo;
pub mod ndjson;
pub mod text;
pub mod writer;
