//! Headless reports: JSON for scripts, text for people.

pub mod json;
pub mod text;
