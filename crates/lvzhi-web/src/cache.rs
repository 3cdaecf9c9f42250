//! Memoised page data: results that change only when an event is written.
//!
//! Every change to records, the organisation and users writes an event
//! (ARCHITECTURE.md, invariant *events*), so a value computed from the
//! database is still right as long as the event log's head (newest seq and
//! its hash, `Store::head_event`; the hash covers the whole chain before it)
//! has not moved — whichever process
//! wrote. Values whose meaning depends on the date (red/yellow warnings) also
//! key on the store's `today`.
//!
//! **Invariants:**
//! - the head is read *before* the value is computed, so a value is never
//!   filed under a head newer than the data it saw (a write in between only
//!   makes the next reader recompute);
//! - an entry is used only when its head and date equal the reader's exactly;
//! - the caller puts everything the value depends on into the key — above all
//!   the reader's [`Access`] ([`PageCache::access_key`]) for anything scoped.
//!
//! One [`PageCache`] lives in each router built by [`crate::app`] (an axum
//! extension), so servers on different databases never share entries.
//! Concurrent readers of a missing entry wait for one computation.

use lvzhi_core::access::Access;
use lvzhi_store::{Store, StoreError};
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// The most entries kept; past it, entries of older heads go first, then all.
const MAX_ENTRIES: usize = 2048;

/// The state of the data a value was computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// The event log's head: the newest event's seq and hash.
    pub head: (i64, String),
    /// The store's date.
    pub today: jiff::civil::Date,
}

impl Version {
    /// The store's current version.
    pub async fn of(store: &Store) -> Result<Version, StoreError> {
        Ok(Version {
            head: store.head_event().await?,
            today: store.today(),
        })
    }
}

type Value = Arc<dyn Any + Send + Sync>;
type Slot = Arc<OnceCell<Value>>;

/// Values memoised per key and [`Version`].
#[derive(Clone, Default)]
pub struct PageCache {
    entries: Arc<Mutex<HashMap<String, (Version, Slot)>>>,
}

impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.entries.lock().map(|m| m.len()).unwrap_or(0);
        f.debug_struct("PageCache").field("entries", &n).finish()
    }
}

impl PageCache {
    /// An empty cache.
    pub fn new() -> PageCache {
        PageCache::default()
    }

    /// The part of a key that scopes a value to what `a` may see.
    pub fn access_key(a: &Access) -> String {
        format!("{a:?}")
    }

    /// How many entries are kept (tests).
    pub fn len(&self) -> usize {
        self.entries.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Whether no entry is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of `key` at version `v`: the memoised one, or `f()`'s
    /// (computed once however many readers ask at the same time; an error is
    /// returned and not kept). `v` must have been read before any of the data
    /// `f` reads.
    pub async fn get<T, E, F, Fut>(&self, v: &Version, key: String, f: F) -> Result<Arc<T>, E>
    where
        T: Send + Sync + 'static,
        E: From<StoreError>,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        let key = format!("{}|{key}", std::any::type_name::<T>());
        let slot: Slot = {
            let mut m = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            match m.get(&key) {
                Some((ver, slot)) if ver == v => slot.clone(),
                _ => {
                    if m.len() >= MAX_ENTRIES {
                        m.retain(|_, (ver, _)| ver == v);
                        if m.len() >= MAX_ENTRIES {
                            m.clear();
                        }
                    }
                    let slot: Slot = Arc::new(OnceCell::new());
                    m.insert(key, (v.clone(), slot.clone()));
                    slot
                }
            }
        };
        let value = slot
            .get_or_try_init(|| async { f().await.map(|t| Arc::new(t) as Value) })
            .await?
            .clone();
        // The key carries the type's name, so this always succeeds.
        value
            .downcast::<T>()
            .map_err(|_| E::from(StoreError::Internal("page cache: type mismatch".into())))
    }
}
