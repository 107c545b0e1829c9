//! The shared folder as files: where it is, listing, writing, and paths
//! and errors named relative to it.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::session::Session;
use crate::vault::write_atomic;

use super::file::Layout;

pub(super) fn rel(layout: &Layout, path: &Path) -> String {
    path.strip_prefix(layout.root())
        .unwrap_or(path)
        .display()
        .to_string()
}

pub(super) fn folder_err(path: &Path, detail: impl Into<String>) -> Error {
    Error::SyncFolder {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}

pub(super) fn read_dir_names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    }
    write_atomic(path, bytes)
}

impl Session {
    pub(super) fn layout(&self) -> Result<Layout> {
        let folder = self.store.meta("sync_folder")?.ok_or(Error::SyncNotSetUp)?;
        let path = PathBuf::from(folder);
        if !path.is_dir() {
            return Err(folder_err(
                &path,
                "it is not there; check that the shared drive is connected",
            ));
        }
        Ok(Layout::new(&path))
    }
}
