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

/// The most entries kept (all of the newest version: entries of older
/// versions are dropped as soon as a newer version is seen); past it, all go.
const MAX_ENTRIES: usize = 1024;

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
    entries: Arc<Mutex<Entries>>,
}

#[derive(Default)]
struct Entries {
    /// The newest version seen.
    newest: Option<Version>,
    map: HashMap<String, (Version, Slot)>,
}

impl Version {
    /// Whether `self` is later than `other`: a later event or day, or another
    /// history at the same seq (a restored database).
    fn supersedes(&self, other: &Version) -> bool {
        self.head.0 > other.head.0
            || self.today > other.today
            || (self.head.0 == other.head.0 && self.head.1 != other.head.1)
    }
}

impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.len();
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
        self.entries.lock().map(|m| m.map.len()).unwrap_or(0)
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
            let mut e = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if e.newest.as_ref().is_none_or(|n| v.supersedes(n)) {
                // Nothing older is of use any more (readers computing one keep their own slot).
                e.map.retain(|_, (ver, _)| ver == v);
                e.newest = Some(v.clone());
            }
            match e.map.get(&key) {
                Some((ver, slot)) if ver == v => slot.clone(),
                // A reader that started before the newest write computes for itself.
                _ if e.newest.as_ref() != Some(v) => Arc::new(OnceCell::new()),
                _ => {
                    if e.map.len() >= MAX_ENTRIES {
                        e.map.clear();
                    }
                    let slot: Slot = Arc::new(OnceCell::new());
                    e.map.insert(key, (v.clone(), slot.clone()));
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn ver(seq: i64, hash: &str) -> Version {
        Version {
            head: (seq, hash.into()),
            today: jiff::civil::date(2026, 11, 25),
        }
    }

    async fn get(c: &PageCache, v: &Version, key: &str, calls: &AtomicUsize, value: i64) -> i64 {
        *c.get(v, key.into(), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            Ok::<_, StoreError>(value)
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn values_live_exactly_as_long_as_their_version() {
        let c = PageCache::new();
        let calls = AtomicUsize::new(0);
        let (v1, v2) = (ver(1, "a"), ver(2, "b"));
        // Concurrent readers of a missing value: one computation.
        let (x, y) = tokio::join!(get(&c, &v1, "k", &calls, 10), get(&c, &v1, "k", &calls, 11));
        assert_eq!((x, y, calls.load(Ordering::SeqCst)), (10, 10, 1));
        assert_eq!(get(&c, &v1, "k", &calls, 12).await, 10);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Another key, another value; another type under the same key too.
        assert_eq!(get(&c, &v1, "other", &calls, 20).await, 20);
        let s: Arc<String> = c
            .get(&v1, "k".into(), || async { Ok::<_, StoreError>("text".to_string()) })
            .await
            .unwrap();
        assert_eq!(s.as_str(), "text");
        assert_eq!(c.len(), 3);
        // A newer version: recomputed, and the older entries are gone.
        assert_eq!(get(&c, &v2, "k", &calls, 30).await, 30);
        assert_eq!(c.len(), 1);
        // A reader still on the older version computes for itself and does not
        // replace the newer entry.
        assert_eq!(get(&c, &v1, "k", &calls, 40).await, 40);
        assert_eq!(get(&c, &v2, "k", &calls, 50).await, 30);
        // Same seq, another history (a restored database): not the same data.
        assert_eq!(get(&c, &ver(2, "c"), "k", &calls, 60).await, 60);
        // The next day: recomputed.
        let mut v3 = ver(2, "c");
        v3.today = jiff::civil::date(2026, 11, 26);
        assert_eq!(get(&c, &v3, "k", &calls, 70).await, 70);
        // Errors are returned, not kept.
        let e = c
            .get(&v3, "bad".into(), || async {
                Err::<i64, _>(StoreError::Internal("x".into()))
            })
            .await;
        assert!(e.is_err());
        assert_eq!(get(&c, &v3, "bad", &calls, 80).await, 80);
    }
}
