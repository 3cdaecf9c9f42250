//! Uploaded files waiting between the import screens (upload → mapping →
//! preview → confirm → result), in memory, per [`crate::service::App`].
//!
//! **Invariants:** an entry is bound to the user who uploaded it (another
//! user's id finds nothing); at most [`STAGED_MAX`] files are kept (the oldest
//! goes first), each for [`STAGED_TTL`].

use lvzhi_io::import::ImportReport;
use lvzhi_io::mapping::Mapping;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Files kept between the screens, at most.
pub const STAGED_MAX: usize = 32;

/// How long an uploaded file waits for its confirmation.
pub const STAGED_TTL: Duration = Duration::from_secs(3600);

/// An uploaded file between the screens.
#[derive(Clone, Debug)]
pub struct Upload {
    /// The user who uploaded it.
    pub user: i64,
    /// The ledger it is imported into.
    pub ledger: String,
    /// The file's name.
    pub name: String,
    /// The file.
    pub bytes: Arc<Vec<u8>>,
    /// The column mapping chosen so far.
    pub mapping: Mapping,
    /// When it was uploaded.
    pub at: Instant,
    /// The import's outcome, once confirmed.
    pub report: Option<ImportReport>,
}

/// The uploaded files of one server, by a random id.
#[derive(Default)]
pub struct Staging(Mutex<HashMap<String, Upload>>);

impl Staging {
    /// Keeps `u` and returns its id (dropping expired entries, and the
    /// oldest ones past [`STAGED_MAX`]).
    pub fn put(&self, u: Upload) -> String {
        let id = lvzhi_store::auth::random_token();
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        m.retain(|_, x| x.at.elapsed() < STAGED_TTL);
        while m.len() >= STAGED_MAX {
            let Some(oldest) = m.iter().min_by_key(|(_, x)| x.at).map(|(k, _)| k.clone()) else {
                break;
            };
            m.remove(&oldest);
        }
        m.insert(id.clone(), u);
        id
    }

    /// The upload `id` of `user`, if it is still kept.
    pub fn get(&self, id: &str, user: i64) -> Option<Upload> {
        let m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        m.get(id)
            .filter(|e| e.user == user && e.at.elapsed() < STAGED_TTL)
            .cloned()
    }

    /// Changes the upload `id` in place (no-op when it is gone).
    pub fn update(&self, id: &str, f: impl FnOnce(&mut Upload)) {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = m.get_mut(id) {
            f(e);
        }
    }

    /// How many uploads are kept.
    pub fn len(&self) -> usize {
        self.0.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn upload(user: i64) -> Upload {
        Upload {
            user,
            ledger: "hazard".into(),
            name: "a.csv".into(),
            bytes: Arc::new(b"x".to_vec()),
            mapping: Mapping::default(),
            at: Instant::now(),
            report: None,
        }
    }

    #[test]
    fn bound_to_the_uploader_and_bounded() {
        let s = Staging::default();
        let id = s.put(upload(7));
        assert!(s.get(&id, 7).is_some());
        assert!(s.get(&id, 8).is_none(), "another user finds nothing");
        s.update(&id, |u| u.name = "b.csv".into());
        assert_eq!(s.get(&id, 7).unwrap().name, "b.csv");
        for _ in 0..STAGED_MAX + 5 {
            s.put(upload(1));
        }
        assert_eq!(s.len(), STAGED_MAX);
        assert!(s.get(&id, 7).is_none(), "the oldest went first");
    }
}
