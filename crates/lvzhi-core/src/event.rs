//! Events and their hash chain.
//!
//! **Invariant:** every change is an event; events are append-only and each
//! carries the hash of its predecessor. The hash covers a canonical
//! serialisation (JSON with object keys sorted, no whitespace) of every
//! column of the event, so editing any of them, or removing or reordering an
//! event, breaks the chain at that event.
//!
//! **Algorithms (国密).** A new chain is hashed with SM3; each event records
//! its algorithm in its hash (`sm3:<hex>`; a bare 64-hex hash is SHA-256).
//! A chain begun with SHA-256 (a database from before SM3) goes on in
//! SHA-256 until a sealing event (kind [`SEAL_KIND`]), the first SM3 event,
//! after which every event is SM3. The verifier refuses any other switch: an
//! SM3 event without a seal, or a SHA-256 event after SM3 (a downgrade).

use crate::crypto::{HashAlg, hex_digest};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The kind of the event that switches a SHA-256 chain to SM3.
pub const SEAL_KIND: &str = "chain.seal";

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
    canonical(v, out, false)
}

/// [`canonical_json`] as the event chain hashes it: a sealed personal value
/// (`enc:sm4gcm:…`) is replaced by its key-independent commitment
/// ([`crate::crypto::hash_form`]), so re-encrypting under a new key keeps
/// every hash while the stored ciphertext stays bound to the chain through
/// the commitment (which GCM authenticates).
pub fn canonical_json_hashed(v: &Value, out: &mut String) {
    canonical(v, out, true)
}

fn canonical(v: &Value, out: &mut String, hashed: bool) {
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
                canonical(&m[k.as_str()], out, hashed);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(x, out, hashed);
            }
            out.push(']');
        }
        Value::String(t) if hashed => match crate::crypto::hash_form(t) {
            Some(h) => out.push_str(&Value::String(h).to_string()),
            None => out.push_str(&v.to_string()),
        },
        other => out.push_str(&other.to_string()),
    }
}

impl Event {
    /// The algorithm a new event is hashed with: SM3 when the chain is new,
    /// already SM3, or sealed by this event; else (an old chain) SHA-256.
    pub fn writing_algorithm(&self) -> HashAlg {
        if self.prev_hash == GENESIS || HashAlg::of_digest(&self.prev_hash) == HashAlg::Sm3 || self.kind == SEAL_KIND {
            HashAlg::Sm3
        } else {
            HashAlg::Sha256
        }
    }

    /// The hash this event must carry, given its fields and `prev_hash`, with
    /// the algorithm its stored hash names (or, unsealed, the writing one).
    pub fn compute_hash(&self) -> String {
        let alg = if self.hash.is_empty() {
            self.writing_algorithm()
        } else {
            HashAlg::of_digest(&self.hash)
        };
        self.hash_with(alg)
    }

    /// The hash of this event under `alg`.
    pub fn hash_with(&self, alg: HashAlg) -> String {
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
        canonical_json_hashed(&body, &mut s);
        hex_digest(alg, s.as_bytes())
    }

    /// Sets `hash` from the other fields, with [`Event::writing_algorithm`].
    pub fn seal(mut self) -> Event {
        self.hash = self.hash_with(self.writing_algorithm());
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
    /// The hash algorithm changes where it may not: SM3 without a sealing
    /// event, or back to SHA-256 after SM3.
    #[error(
        "事件 #{seq} 的哈希算法切换不合规（只能由封存事件从 SHA-256 切换到 SM3，不能切回）/ event #{seq}: hash algorithm switched illegally"
    )]
    Algorithm {
        /// The event.
        seq: i64,
    },
}

impl ChainError {
    /// The seq of the event where the chain breaks.
    pub fn seq(&self) -> i64 {
        match self {
            ChainError::Hash { seq } | ChainError::Link { seq, .. } | ChainError::Algorithm { seq } => *seq,
            ChainError::Gap { found, .. } => *found,
        }
    }
}

/// Checks events one by one, in order, keeping only the last hash: memory
/// stays constant however long the chain is.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    next_seq: i64,
    prev_hash: String,
    sm3: i64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            next_seq: 1,
            prev_hash: GENESIS.to_string(),
            sm3: 0,
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
        let alg = HashAlg::of_digest(&e.hash);
        let prev_alg = HashAlg::of_digest(&self.prev_hash);
        let allowed = match (prev_alg, alg) {
            (HashAlg::Sm3, HashAlg::Sm3) | (HashAlg::Sha256, HashAlg::Sha256) => true,
            (HashAlg::Sha256, HashAlg::Sm3) => self.prev_hash == GENESIS || e.kind == SEAL_KIND,
            (HashAlg::Sm3, HashAlg::Sha256) => false,
        };
        if !allowed {
            return Err(ChainError::Algorithm { seq: e.seq });
        }
        if e.hash_with(alg) != e.hash {
            return Err(ChainError::Hash { seq: e.seq });
        }
        if alg == HashAlg::Sm3 {
            self.sm3 += 1;
        }
        self.next_seq += 1;
        self.prev_hash = e.hash.clone();
        Ok(())
    }

    /// How many events verified so far.
    pub fn count(&self) -> i64 {
        self.next_seq - 1
    }

    /// How many of them are hashed with SM3 (the rest: SHA-256).
    pub fn sm3_count(&self) -> i64 {
        self.sm3
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

    fn next(prev: &Event, kind: &str) -> Event {
        Event {
            seq: prev.seq + 1,
            kind: kind.into(),
            prev_hash: prev.hash.clone(),
            hash: String::new(),
            ..prev.clone()
        }
    }

    #[test]
    fn new_chains_are_sm3_and_old_ones_switch_at_a_seal() {
        let new = chain(3);
        assert!(new.iter().all(|e| e.hash.starts_with("sm3:") && e.hash.len() == 68));
        let mut v = ChainVerifier::default();
        for e in &new {
            v.push(e).unwrap();
        }
        assert_eq!(v.sm3_count(), 3);

        // An old chain: SHA-256 from the start (as written before SM3).
        let first = Event {
            hash: String::new(),
            ..new[0].clone()
        };
        let first = Event {
            hash: first.hash_with(HashAlg::Sha256),
            ..first
        };
        let second = next(&first, "record.update").seal();
        assert_eq!(second.hash.len(), 64, "an old chain goes on in SHA-256");
        let seal = next(&second, SEAL_KIND).seal();
        assert!(seal.hash.starts_with("sm3:"));
        let after = next(&seal, "record.update").seal();
        assert!(after.hash.starts_with("sm3:"));
        let mut v = ChainVerifier::default();
        for e in [&first, &second, &seal, &after] {
            v.push(e).unwrap();
        }
        assert_eq!((v.count(), v.sm3_count()), (4, 2));

        // SM3 without a seal, and back to SHA-256 after SM3, are refused.
        let unsealed = next(&second, "record.update");
        let unsealed = Event {
            hash: unsealed.hash_with(HashAlg::Sm3),
            ..unsealed
        };
        assert_eq!(
            verify(&[first.clone(), second.clone(), unsealed]),
            Err(ChainError::Algorithm { seq: 3 })
        );
        let down = next(&seal, "record.update");
        let down = Event {
            hash: down.hash_with(HashAlg::Sha256),
            ..down
        };
        assert_eq!(
            verify(&[first, second, seal, down]),
            Err(ChainError::Algorithm { seq: 4 })
        );
    }
}
