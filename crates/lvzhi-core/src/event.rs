//! Events and their hash chain.
//!
//! **Invariant:** every change is an event; events are append-only and each
//! carries the SHA-256 of its predecessor. The hash covers a canonical
//! serialisation (JSON with object keys sorted, no whitespace) of every
//! column of the event, so editing any of them, or removing or reordering an
//! event, breaks the chain at that event.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The hash the first event points back to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One event as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    /// UTC instant, fixed-width (see [`crate::time::stamp`]).
    pub at: String,
    /// The acting user's id (None for the system, e.g. `init`).
    pub actor: Option<i64>,
    /// The acting user's login name, kept so the log reads without joins.
    pub actor_name: String,
    /// What happened: `record.create`, `record.update`, `record.transition`,
    /// `record.void`, `record.urge`, `user.add`, `org.unit`…
    pub kind: String,
    /// The kind of thing changed: `record`, `user`, `unit`, `person`, `division`…
    pub entity: String,
    /// Its id (a record id, user id…), if it has one.
    pub entity_id: Option<String>,
    /// The ledger of a record event.
    pub ledger: Option<String>,
    /// The change: before/after of changed fields, the transition, the reason.
    pub data: Value,
    /// The previous event's hash.
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
}

/// Writes `v` as canonical JSON: keys sorted, no whitespace.
pub fn canonical_json(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                canonical_json(&m[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

impl Event {
    /// The hash this event must carry, given its fields and `prev_hash`.
    pub fn compute_hash(&self) -> String {
        let body = serde_json::json!({
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "actor_name": self.actor_name,
            "kind": self.kind,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "ledger": self.ledger,
            "data": self.data,
        });
        let mut s = String::with_capacity(256);
        s.push_str(&self.prev_hash);
        s.push('\n');
        canonical_json(&body, &mut s);
        hex::encode(Sha256::digest(s.as_bytes()))
    }

    /// Sets `hash` from the other fields.
    pub fn seal(mut self) -> Event {
        self.hash = self.compute_hash();
        self
    }
}

/// Where a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// An event's stored hash is not the hash of its contents.
    #[error("事件 #{seq} 的哈希与内容不符（内容被改动）/ event #{seq}: hash does not match its contents")]
    Hash {
        /// The event.
        seq: i64,
    },
    /// An event does not point to its predecessor's hash.
    #[error(
        "事件 #{seq} 的前序哈希与事件 #{prev} 不符（链被改动）/ event #{seq}: prev_hash does not match event #{prev}"
    )]
    Link {
        /// The event.
        seq: i64,
        /// Its predecessor.
        prev: i64,
    },
    /// A sequence number is missing or out of order.
    #[error(
        "事件序号不连续：应为 #{expected}，实际为 #{found}（有事件被删除或插入）/ sequence gap: expected #{expected}, found #{found}"
    )]
    Gap {
        /// The number that should come next.
        expected: i64,
        /// The number found.
        found: i64,
    },
}

/// Checks events one by one, in order, keeping only the last hash: memory
/// stays constant however long the chain is.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    next_seq: i64,
    prev_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            next_seq: 1,
            prev_hash: GENESIS.to_string(),
        }
    }
}

impl ChainVerifier {
    /// Feeds the next event.
    pub fn push(&mut self, e: &Event) -> Result<(), ChainError> {
        if e.seq != self.next_seq {
            return Err(ChainError::Gap {
                expected: self.next_seq,
                found: e.seq,
            });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainError::Link {
                seq: e.seq,
                prev: e.seq - 1,
            });
        }
        if e.compute_hash() != e.hash {
            return Err(ChainError::Hash { seq: e.seq });
        }
        self.next_seq += 1;
        self.prev_hash = e.hash.clone();
        Ok(())
    }

    /// How many events verified so far.
    pub fn count(&self) -> i64 {
        self.next_seq - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chain(n: i64) -> Vec<Event> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let e = Event {
                    seq,
                    at: "2026-11-25T01:00:00.000000Z".into(),
                    actor: Some(1),
                    actor_name: "admin".into(),
                    kind: "record.create".into(),
                    entity: "record".into(),
                    entity_id: Some(seq.to_string()),
                    ledger: Some("hazard".into()),
                    data: json!({"after": {"b": 1, "a": "隐患"}}),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                }
                .seal();
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn verify(events: &[Event]) -> Result<i64, ChainError> {
        let mut v = ChainVerifier::default();
        for e in events {
            v.push(e)?;
        }
        Ok(v.count())
    }

    #[test]
    fn canonical_json_sorts_keys() {
        let mut s = String::new();
        canonical_json(&json!({"b": [1, {"d": 1, "c": "x"}], "a": null}), &mut s);
        assert_eq!(s, r#"{"a":null,"b":[1,{"c":"x","d":1}]}"#);
    }

    #[test]
    fn detects_each_kind_of_tampering() {
        let events = chain(5);
        assert_eq!(verify(&events), Ok(5));
        let mut edited = events.clone();
        edited[2].data = json!({"after": {"a": "改过"}});
        assert_eq!(verify(&edited), Err(ChainError::Hash { seq: 3 }));
        let mut resealed = events.clone();
        resealed[2] = resealed[2].clone();
        resealed[2].actor_name = "someone".into();
        resealed[2] = resealed[2].clone().seal();
        assert_eq!(verify(&resealed), Err(ChainError::Link { seq: 4, prev: 3 }));
        let mut removed = events.clone();
        removed.remove(1);
        assert_eq!(verify(&removed), Err(ChainError::Gap { expected: 2, found: 3 }));
    }
}
