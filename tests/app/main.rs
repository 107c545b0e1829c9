//! The app's integration tests, one binary: the real app window driven over
//! WebDriver (`e2e`), and the measurements of its speed (`measure`, run with
//! `--ignored`).

#![cfg(feature = "custom-protocol")]

mod e2e;
mod measure;
mod no_server;
mod support;
