//! The integration tests of `tresor-core`, one binary: real SQLCipher vaults
//! on disk, driven through the public API.

mod attacks;
mod backup;
mod bulk;
mod clocked;
mod consent;
mod corpus;
mod erasure_files;
mod export;
mod followups;
mod import;
mod merge;
mod op_order;
mod report_snapshots;
mod retention;
mod sync;
mod sync_merge;
mod table;
