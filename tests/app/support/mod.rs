//! Shared by the end-to-end and measurement targets.
pub mod webdriver;
