//! # The service layer: one [`App`] per server
//!
//! Everything a request needs beyond its own input lives in the [`App`] held
//! in the axum state ([`crate::AppState`]): the store (and through it the
//! pack), the indicator engine and the pack's files, the page cache
//! ([`cache`]), the ballot-code guard ([`assess::Guard`]) and the uploaded
//! files waiting between the import screens ([`staging`]). Nothing is kept
//! in process-wide statics, so two servers in one process on two databases
//! share nothing.
//!
//! The adapters — [`crate::api`] (JSON) and [`crate::ui`] (pages) — call this
//! layer and never import each other (a unit test in `lib.rs` scans the sources); logic
//! both need, and rules pages must not hold, live here ([`export`], [`assess`],
//! [`targets`]).

pub mod accounts;
pub mod assess;
pub mod attachments;
pub mod cache;
pub mod dashboard;
pub mod export;
pub mod staging;
pub mod supervise;
pub mod targets;

use lvzhi_core::ledger::Pack;
use lvzhi_metrics::{DefError, Engine};
use lvzhi_store::Store;

/// The application: the store and everything built from it for one server.
pub struct App {
    /// The store (scope, masking and validation are its own).
    pub store: Store,
    /// Whether cookies get the `Secure` flag (behind TLS).
    pub secure_cookies: bool,
    /// The county pack's files (indicator definitions, report templates).
    files: Vec<(String, String)>,
    /// The indicator engine over the pack's definitions.
    engine: Engine,
    /// Memoised page data of this server ([`cache`]).
    pub cache: cache::PageCache,
    /// Failed ballot-code guesses per client ([`assess::Guard`]).
    pub guard: assess::Guard,
    /// Uploaded files between the import screens ([`staging`]).
    pub staging: staging::Staging,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("secure_cookies", &self.secure_cookies)
            .field("cache", &self.cache)
            .field("staged", &self.staging.len())
            .finish_non_exhaustive()
    }
}

impl App {
    /// The application over `store` with the county pack's files; the
    /// indicator definitions are checked against the store's pack here, so a
    /// bad pack stops the server at start rather than on the first page.
    pub fn new(store: Store, secure_cookies: bool) -> Result<App, DefError> {
        let files = lvzhi_packs::county_files();
        let engine = lvzhi_metrics::engine_from_files(&files, store.pack())?;
        Ok(App {
            store,
            secure_cookies,
            files,
            engine,
            cache: cache::PageCache::new(),
            guard: assess::Guard::default(),
            staging: staging::Staging::default(),
        })
    }

    /// The indicator engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The pack's files (indicator definitions, report templates).
    pub fn files(&self) -> &[(String, String)] {
        &self.files
    }

    /// The store's pack (ledgers, fields, states).
    pub fn pack(&self) -> &Pack {
        self.store.pack()
    }
}
