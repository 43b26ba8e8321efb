//! Readers for the run stores researchers already have.
//!
//! Each format is one module in [`readers`] implementing the [`Reader`] trait: it
//! detects stores during a folder walk ([`discover`]) and reads a store into plain
//! records ([`Update`]s: experiments, runs, params, tags, metric points, artifact
//! listings, warnings), resuming from the [`FileMark`]s of the previous scan.
//!
//! This crate never writes anywhere: not into the stores (SQLite stores are opened
//! read-only, see [`sqlite_ro`]) and not into an index; it has no GUI and no index
//! dependency. Problems inside a store are [`Warning`]s, never panics.

pub mod discover;
pub mod lenient_json;
pub mod location;
pub mod model;
pub mod reader;
pub mod readers;
pub mod sqlite_ro;
pub mod util;

#[doc(hidden)]
pub mod fuzzing;

pub use discover::{DiscoverError, Discovery, FoundStore, discover, discover_with};
pub use location::{Location, LocationError, Url};
pub use model::*;
pub use reader::{Detected, DirView, ReadError, Reader, ScanContext, Sink};

/// Every reader this build knows, in detection order.
pub fn all_readers() -> Vec<Box<dyn Reader>> {
    vec![
        Box::new(readers::MlflowFile),
        Box::new(readers::MlflowSqlite),
        Box::new(readers::Tensorboard),
        Box::new(readers::Wandb),
        Box::new(readers::Neptune),
        Box::new(readers::Sacred),
        Box::new(readers::Dvclive),
        Box::new(readers::Trackio),
        Box::new(readers::HfTrainer),
        Box::new(readers::CsvLogger),
    ]
}

/// The first of `readers` that reads stores at `url` ([`Reader::accepts_url`]).
pub fn reader_for_url<'r>(readers: &'r [Box<dyn Reader>], url: &Url) -> Option<&'r dyn Reader> {
    readers.iter().find(|r| r.accepts_url(url)).map(|r| r.as_ref())
}

/// The reader with the given [`Reader::id`].
pub fn reader_by_id(id: &str) -> Option<Box<dyn Reader>> {
    all_readers().into_iter().find(|r| r.id() == id)
}
