//! Record writes: thin wrappers that send a [`Cmd`] to the writer and wait
//! until it is committed.

use crate::records::RecordRow;
use crate::writer::{Cmd, Out};
use crate::{Store, StoreError};
use lvzhi_core::access::Access;
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
}
