//! Record writes: thin wrappers that send a [`Cmd`] to the writer and wait
//! until it is committed.

use crate::db::P;
use crate::records::RecordRow;
use crate::writer::{Cmd, Out};
use crate::{Store, StoreError};
use lvzhi_core::access::Access;
use lvzhi_core::field::Fill;
use serde_json::{Map, Value};

fn record(out: Out) -> Result<RecordRow, StoreError> {
    match out {
        Out::Record(r) => Ok(*r),
        _ => Err(StoreError::Internal("unexpected writer output".into())),
    }
}

impl Store {
    /// Creates a record in `ledger`; durable when this returns.
    pub async fn create(&self, a: &Access, ledger: &str, fields: Map<String, Value>) -> Result<RecordRow, StoreError> {
        record(
            self.writer
                .send(Cmd::Create {
                    actor: a.clone(),
                    ledger: ledger.into(),
                    fields,
                })
                .await?,
        )
    }

    /// Creates many records, all or nothing; each may be placed in a given state.
    pub async fn create_many(
        &self,
        a: &Access,
        ledger: &str,
        rows: Vec<(Map<String, Value>, Option<String>)>,
        tag: Option<String>,
    ) -> Result<Vec<i64>, StoreError> {
        match self
            .writer
            .send(Cmd::CreateMany {
                actor: a.clone(),
                ledger: ledger.into(),
                rows,
                tag,
            })
            .await?
        {
            Out::Ids(ids) => Ok(ids),
            _ => Err(StoreError::Internal("unexpected writer output".into())),
        }
    }

    /// Changes fields of an open record; `version` must be the current one.
    pub async fn update(
        &self,
        a: &Access,
        id: i64,
        version: i64,
        fields: Map<String, Value>,
    ) -> Result<RecordRow, StoreError> {
        record(
            self.writer
                .send(Cmd::Update {
                    actor: a.clone(),
                    id,
                    version,
                    fields,
                })
                .await?,
        )
    }

    /// Takes the transition `name`, with the field values it requires and a reason.
    pub async fn transition(
        &self,
        a: &Access,
        id: i64,
        version: i64,
        name: &str,
        fields: Map<String, Value>,
        reason: Option<String>,
    ) -> Result<RecordRow, StoreError> {
        let mut fields = fields;
        self.fill_actor(a, id, name, &mut fields).await?;
        record(
            self.writer
                .send(Cmd::Transition {
                    actor: a.clone(),
                    id,
                    version,
                    name: name.into(),
                    fields,
                    reason,
                })
                .await?,
        )
    }

    /// Voids a record, with a reason.
    pub async fn void(&self, a: &Access, id: i64, version: i64, reason: &str) -> Result<RecordRow, StoreError> {
        record(
            self.writer
                .send(Cmd::Void {
                    actor: a.clone(),
                    id,
                    version,
                    reason: reason.into(),
                })
                .await?,
        )
    }

    /// Urges (催办) the responsible unit of an open record.
    pub async fn urge(&self, a: &Access, id: i64, note: &str) -> Result<RecordRow, StoreError> {
        record(
            self.writer
                .send(Cmd::Urge {
                    actor: a.clone(),
                    id,
                    note: note.into(),
                })
                .await?,
        )
    }

    /// Fills the fields of transition `name` that record who took it (`fill =
    /// "actor"` in the pack: 验收人, 审核人) with the acting user's name, unless
    /// the caller gave a value (an API client keying in a paper record). The UI
    /// shows them read-only and never sends them, so there they are never typed.
    pub(crate) async fn fill_actor(
        &self,
        a: &Access,
        id: i64,
        name: &str,
        fields: &mut Map<String, Value>,
    ) -> Result<(), StoreError> {
        let any = self
            .pack
            .ledgers
            .iter()
            .any(|k| k.fields.iter().any(|f| f.fill == Some(Fill::Actor)));
        if !any {
            return Ok(());
        }
        let mut c = self.pool.acquire().await?;
        let Some(r) = c
            .conn()
            .row(
                "SELECT r.ledger, u.display_name FROM records r, users u WHERE r.id = $1 AND u.id = $2",
                &[P::I(id), P::I(a.user_id)],
            )
            .await?
        else {
            // No such record (the writer says 404) or no such user.
            return Ok(());
        };
        drop(c);
        let Some(kind) = self.pack.ledger(&r.t(0)) else {
            return Ok(());
        };
        let Some(t) = kind
            .workflow
            .as_ref()
            .and_then(|w| w.transitions.iter().find(|t| t.name == name))
        else {
            return Ok(());
        };
        for f in kind.fields.iter().filter(|f| f.fill == Some(Fill::Actor)) {
            let given = fields
                .get(&f.key)
                .is_some_and(|v| v.as_str().is_some_and(|s| !s.trim().is_empty()));
            if t.requires.contains(&f.key) && !given {
                fields.insert(f.key.clone(), Value::String(r.t(1)));
            }
        }
        Ok(())
    }
}
