//! Per-user settings of the web UI (table `ui_prefs`, migration 0023): the
//! columns a user chose for a ledger's list. A setting is the user's own: read
//! and written only for `a.user_id`; each write goes through the writer with an
//! event (`ui.prefs`), like every other change.

use crate::db::P;
use crate::writer::Cmd;
use crate::{Store, StoreError};
use lvzhi_core::access::Access;
use serde_json::json;

/// The longest setting value kept (a list of field keys).
pub const MAX_PREF_LEN: usize = 2000;

impl Store {
    /// The reader's own setting `key`, if set.
    pub async fn user_pref(&self, a: &Access, key: &str) -> Result<Option<String>, StoreError> {
        let mut c = self.pool.acquire().await?;
        Ok(c.conn()
            .row(
                "SELECT value FROM ui_prefs WHERE user_id = $1 AND key = $2",
                &[P::I(a.user_id), P::T(key.into())],
            )
            .await?
            .map(|r| r.t(0)))
    }

    /// Sets the reader's own setting `key` to `value` (an empty value removes it).
    pub async fn set_user_pref(&self, a: &Access, key: &str, value: &str) -> Result<(), StoreError> {
        if key.is_empty() || key.len() > 200 || value.len() > MAX_PREF_LEN {
            return Err(StoreError::BadRequest("设置项过长".into()));
        }
        let now = lvzhi_core::time::stamp(self.now());
        let statement = if value.is_empty() {
            (
                "DELETE FROM ui_prefs WHERE user_id = $1 AND key = $2".to_string(),
                vec![P::I(a.user_id), P::T(key.into())],
            )
        } else {
            (
                "INSERT INTO ui_prefs (user_id, key, value, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
                    .to_string(),
                vec![P::I(a.user_id), P::T(key.into()), P::T(value.into()), P::T(now)],
            )
        };
        self.writer
            .send(Cmd::Plain {
                actor: a.clone(),
                statements: vec![statement],
                kind: "ui.prefs".into(),
                entity: "user".into(),
                entity_id: Some(a.user_id.to_string()),
                data: json!({ "key": key, "value": value }),
            })
            .await?;
        Ok(())
    }
}
