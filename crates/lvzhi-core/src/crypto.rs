//! The one small cryptographic interface of lvzhi.
//!
//! Everything lvzhi hashes for integrity or encrypts at rest goes through
//! [`Provider`]; the implementation here is RustCrypto's (`sm3`, `sha2`).
//! A certified cryptographic module (GB/T 37092 / 密码模块) replaces it by
//! implementing [`Provider`] and being returned from [`provider`] — no caller
//! changes.
//!
//! Algorithms are named, and the name is recorded with what it protects (an
//! event's hash carries `sm3:` in front; a SHA-256 hash has no prefix, as
//! every hash had before SM3), so old data stays verifiable after a switch.

use sha2::{Digest, Sha256};

/// A hash algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    /// SHA-256 (the chains written before SM3).
    Sha256,
    /// SM3 (GB/T 32905-2016): the chain of new databases.
    Sm3,
}

impl HashAlg {
    /// The prefix a hex digest of this algorithm carries (`""` for SHA-256).
    pub fn prefix(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "",
            HashAlg::Sm3 => "sm3:",
        }
    }

    /// The algorithm a stored digest was made with, from its prefix.
    pub fn of_digest(digest: &str) -> HashAlg {
        if digest.starts_with("sm3:") {
            HashAlg::Sm3
        } else {
            HashAlg::Sha256
        }
    }

    /// The name shown to people.
    pub fn name(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "SHA-256",
            HashAlg::Sm3 => "SM3",
        }
    }
}

/// The cryptographic operations lvzhi uses.
pub trait Provider: Send + Sync {
    /// The 32-byte digest of `data`.
    fn digest(&self, alg: HashAlg, data: &[u8]) -> [u8; 32];
    /// SM4-GCM encryption (GB/T 32907 block cipher, GCM per GB/T 17964 /
    /// NIST SP 800-38D): ciphertext with the 16-byte tag appended. `aad` is
    /// authenticated, not encrypted (what the value belongs to).
    fn sm4_gcm_seal(&self, key: &[u8; 16], nonce: &[u8; 12], aad: &[u8], plaintext: &[u8]) -> Vec<u8>;
    /// SM4-GCM decryption; `None` when the key, nonce, `aad` or ciphertext is wrong.
    fn sm4_gcm_open(&self, key: &[u8; 16], nonce: &[u8; 12], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>>;
    /// HMAC-SM3 of `data` under `key` (blind indexes for searching encrypted fields).
    fn hmac_sm3(&self, key: &[u8], data: &[u8]) -> [u8; 32];
}

/// RustCrypto's implementations.
#[derive(Debug, Clone, Copy, Default)]
pub struct RustCrypto;

impl Provider for RustCrypto {
    fn digest(&self, alg: HashAlg, data: &[u8]) -> [u8; 32] {
        match alg {
            HashAlg::Sha256 => Sha256::digest(data).into(),
            HashAlg::Sm3 => sm3::Sm3::digest(data).into(),
        }
    }

    fn sm4_gcm_seal(&self, key: &[u8; 16], nonce: &[u8; 12], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        use aes_gcm::aead::{Aead, KeyInit, Payload};
        let c = Sm4Gcm::new(key.into());
        // Encryption of an in-memory buffer with a valid key and nonce size cannot fail.
        c.encrypt(nonce.into(), Payload { msg: plaintext, aad })
            .unwrap_or_default()
    }

    fn sm4_gcm_open(&self, key: &[u8; 16], nonce: &[u8; 12], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        use aes_gcm::aead::{Aead, KeyInit, Payload};
        let c = Sm4Gcm::new(key.into());
        c.decrypt(nonce.into(), Payload { msg: sealed, aad }).ok()
    }

    fn hmac_sm3(&self, key: &[u8], data: &[u8]) -> [u8; 32] {
        use hmac::Mac;
        // HMAC takes a key of any length.
        let mut m = match hmac::Hmac::<sm3::Sm3>::new_from_slice(key) {
            Ok(m) => m,
            Err(_) => return [0; 32],
        };
        m.update(data);
        m.finalize().into_bytes().into()
    }
}

/// SM4 in GCM mode with a 96-bit nonce (RustCrypto's generic GCM over the `sm4` block cipher).
type Sm4Gcm = aes_gcm::AesGcm<sm4::Sm4, aes_gcm::aead::consts::U12>;

/// A field-encryption key: an id (named in every value it sealed, so keys
/// can be rotated) and 16 bytes. Kept outside the database (a key file or
/// the environment), never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct FieldKey {
    /// Its id (letters and digits).
    pub id: String,
    key: [u8; 16],
}

impl std::fmt::Debug for FieldKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FieldKey({}, …)", self.id)
    }
}

/// The prefix of a value sealed by [`FieldKey::seal`].
pub const SEALED_PREFIX: &str = "enc:sm4gcm:";

/// What the event chain hashes in place of a sealed value: its commitment.
pub const COMMITTED_PREFIX: &str = "enc:sm3c:";

impl FieldKey {
    /// Parses `id:32-hex-digits`.
    pub fn parse(text: &str) -> Option<FieldKey> {
        let (id, hexkey) = text.trim().split_once(':')?;
        if id.is_empty() || id.len() > 32 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        let bytes = hex::decode(hexkey).ok()?;
        Some(FieldKey {
            id: id.to_string(),
            key: bytes.try_into().ok()?,
        })
    }

    /// A key from its id and 16 bytes (from a random source).
    pub fn new(id: &str, key: [u8; 16]) -> FieldKey {
        FieldKey {
            id: id.to_string(),
            key,
        }
    }

    /// The key as a key-file line: `id:32-hex-digits`.
    pub fn to_line(&self) -> String {
        format!("{}:{}", self.id, hex::encode(self.key))
    }

    /// Seals `plaintext` for the field `aad` (e.g. `petition/id_card`) with
    /// `nonce` (12 random bytes, never reused with this key) and `salt` (16
    /// random bytes):
    /// `enc:sm4gcm:<key id>:<commitment>:<hex nonce‖ciphertext‖tag>`.
    ///
    /// The commitment is SM3 over the field, the salt and the plaintext. It
    /// does not depend on the key, so re-sealing under another key with the
    /// same salt ([`reseal`]) keeps it; the event chain hashes the commitment
    /// instead of the ciphertext ([`hash_form`]), so a key rotation leaves the
    /// chain verifiable. GCM authenticates the field and the commitment too,
    /// so a ciphertext cannot be moved to another field or value.
    pub fn seal(&self, nonce: &[u8; 12], salt: &[u8; 16], aad: &str, plaintext: &str) -> String {
        let c = commitment(aad, salt, plaintext);
        let mut inner = Vec::with_capacity(16 + plaintext.len());
        inner.extend_from_slice(salt);
        inner.extend_from_slice(plaintext.as_bytes());
        let ct = provider().sm4_gcm_seal(&self.key, nonce, format!("{aad}\n{c}").as_bytes(), &inner);
        format!(
            "{SEALED_PREFIX}{}:{c}:{}{}",
            self.id,
            hex::encode(nonce),
            hex::encode(ct)
        )
    }

    /// The blind index of a normalised value: HMAC-SM3 under a key derived
    /// from this one, so equal values are found without decrypting.
    pub fn blind_index(&self, aad: &str, normalised: &str) -> String {
        let k = provider().hmac_sm3(&self.key, b"lvzhi blind index");
        hex::encode(provider().hmac_sm3(&k, format!("{aad}\n{normalised}").as_bytes()))
    }
}

/// The commitment of a sealed value (64 hex digits).
fn commitment(aad: &str, salt: &[u8; 16], plaintext: &str) -> String {
    let mut m = Vec::with_capacity(aad.len() + 32 + plaintext.len());
    m.extend_from_slice(b"lvzhi commitment\n");
    m.extend_from_slice(aad.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(salt);
    m.extend_from_slice(plaintext.as_bytes());
    hex::encode(provider().digest(HashAlg::Sm3, &m))
}

/// The parts of a sealed value: key id, commitment, body (hex).
fn parts(sealed: &str) -> Option<(&str, &str, &str)> {
    let rest = sealed.strip_prefix(SEALED_PREFIX)?;
    let (id, rest) = rest.split_once(':')?;
    let (c, body) = rest.split_once(':')?;
    (c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit())).then_some((id, c, body))
}

/// The key id a sealed value names.
pub fn sealed_key_id(sealed: &str) -> Option<&str> {
    parts(sealed).map(|(id, _, _)| id)
}

/// What the event chain hashes for a stored string: `enc:sm3c:<commitment>`
/// for a sealed value, `None` (the string itself) for any other.
pub fn hash_form(s: &str) -> Option<String> {
    parts(s).map(|(_, c, _)| format!("{COMMITTED_PREFIX}{c}"))
}

/// Opens a sealed value to its salt and plaintext, checking the commitment.
fn open_parts(keys: &[FieldKey], aad: &str, sealed: &str) -> Option<([u8; 16], String)> {
    let (id, c, body) = parts(sealed)?;
    let key = keys.iter().find(|k| k.id == id)?;
    let bytes = hex::decode(body).ok()?;
    if bytes.len() < 12 + 16 + 16 {
        return None;
    }
    let (nonce, ct) = bytes.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    let inner = provider().sm4_gcm_open(&key.key, &nonce, format!("{aad}\n{c}").as_bytes(), ct)?;
    let (salt, pt) = inner.split_at(16);
    let salt: [u8; 16] = salt.try_into().ok()?;
    let pt = String::from_utf8(pt.to_vec()).ok()?;
    (commitment(aad, &salt, &pt) == c).then_some((salt, pt))
}

/// Opens a value sealed by [`FieldKey::seal`] with whichever of `keys` it names.
/// `None`: not sealed, an unknown key, or tampered (GCM's tag or the commitment fails).
pub fn open_sealed(keys: &[FieldKey], aad: &str, sealed: &str) -> Option<String> {
    open_parts(keys, aad, sealed).map(|(_, pt)| pt)
}

/// Re-seals a sealed value under `to` with a new nonce, keeping its salt and
/// so its commitment (what the event chain covers). `None` when it cannot be opened.
pub fn reseal(keys: &[FieldKey], to: &FieldKey, nonce: &[u8; 12], aad: &str, sealed: &str) -> Option<String> {
    let (salt, pt) = open_parts(keys, aad, sealed)?;
    Some(to.seal(nonce, &salt, aad, &pt))
}

/// The provider in use.
pub fn provider() -> &'static dyn Provider {
    &RustCrypto
}

/// The digest of `data` as stored: the algorithm's prefix, then lower-case hex.
pub fn hex_digest(alg: HashAlg, data: &[u8]) -> String {
    format!("{}{}", alg.prefix(), hex::encode(provider().digest(alg, data)))
}

/// A digest computed piece by piece (files streamed to disk): the same
/// algorithms and the same prefixed hex form as [`hex_digest`].
#[derive(Clone)]
pub enum Hasher {
    /// SHA-256.
    Sha256(Sha256),
    /// SM3.
    Sm3(sm3::Sm3),
}

impl Hasher {
    /// A new hasher for `alg`.
    pub fn new(alg: HashAlg) -> Hasher {
        match alg {
            HashAlg::Sha256 => Hasher::Sha256(Sha256::new()),
            HashAlg::Sm3 => Hasher::Sm3(sm3::Sm3::new()),
        }
    }

    /// Adds bytes.
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sm3(h) => h.update(data),
        }
    }

    /// The prefixed hex digest (`sm3:<hex>`, or bare hex for SHA-256).
    pub fn finish_hex(self) -> String {
        let (alg, bytes): (HashAlg, [u8; 32]) = match self {
            Hasher::Sha256(h) => (HashAlg::Sha256, h.finalize().into()),
            Hasher::Sm3(h) => (HashAlg::Sm3, h.finalize().into()),
        };
        format!("{}{}", alg.prefix(), hex::encode(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        // GB/T 32905-2016 appendix A.1 and FIPS 180-2 B.1.
        assert_eq!(
            hex_digest(HashAlg::Sm3, b"abc"),
            "sm3:66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(
            hex_digest(HashAlg::Sha256, b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(HashAlg::of_digest("sm3:00"), HashAlg::Sm3);
        assert_eq!(HashAlg::of_digest("ba78"), HashAlg::Sha256);
    }

    #[test]
    fn sm4_known_answer_and_gcm_round_trip() {
        // GB/T 32907-2016 appendix A.1: one block, key = plaintext.
        use sm4::cipher::{BlockEncrypt, KeyInit};
        let k = hex::decode("0123456789abcdeffedcba9876543210").unwrap_or_default();
        let c = sm4::Sm4::new_from_slice(&k).ok();
        let mut block = sm4::cipher::generic_array::GenericArray::clone_from_slice(&k);
        if let Some(c) = c {
            c.encrypt_block(&mut block);
        }
        assert_eq!(hex::encode(block), "681edf34d206965e86b3e94f536e4246");

        let key = FieldKey::parse("k1:0123456789abcdeffedcba9876543210");
        let key2 = FieldKey::parse("k2:00112233445566778899aabbccddeeff");
        let (Some(key), Some(key2)) = (key, key2) else {
            unreachable!("valid keys parse")
        };
        let sealed = key.seal(&[7; 12], &[3; 16], "petition/id_card", "620902199001011234");
        assert!(sealed.starts_with("enc:sm4gcm:k1:"));
        assert_eq!(sealed_key_id(&sealed), Some("k1"));
        // Re-sealing under another key keeps the commitment, so the chain's hash form is unchanged.
        let moved =
            reseal(std::slice::from_ref(&key), &key2, &[9; 12], "petition/id_card", &sealed).unwrap_or_default();
        assert!(moved.starts_with("enc:sm4gcm:k2:"));
        assert_ne!(moved, sealed);
        assert_eq!(hash_form(&moved), hash_form(&sealed));
        assert!(hash_form(&sealed).is_some_and(|h| h.starts_with(COMMITTED_PREFIX)));
        assert_eq!(hash_form("620902199001011234"), None);
        assert_eq!(
            open_sealed(std::slice::from_ref(&key2), "petition/id_card", &moved).as_deref(),
            Some("620902199001011234")
        );
        // Another salt: another commitment (equal values are not linkable).
        assert_ne!(
            hash_form(&key.seal(&[7; 12], &[4; 16], "petition/id_card", "620902199001011234")),
            hash_form(&sealed)
        );
        // A commitment edited in place fails GCM.
        let (head, tail) = sealed.split_at(SEALED_PREFIX.len() + 3);
        let flipped = format!("{head}{}{}", if tail.starts_with('0') { '1' } else { '0' }, &tail[1..]);
        assert_eq!(open_sealed(&keys_of(&key), "petition/id_card", &flipped), None);
        assert!(!sealed.contains("620902199001011234"));
        let keys = [key2.clone(), key.clone()];
        assert_eq!(
            open_sealed(&keys, "petition/id_card", &sealed).as_deref(),
            Some("620902199001011234")
        );
        // Wrong field, missing key, or one flipped character: nothing.
        assert_eq!(open_sealed(&keys, "petition/phone", &sealed), None);
        assert_eq!(
            open_sealed(std::slice::from_ref(&key2), "petition/id_card", &sealed),
            None
        );
        let mut bad = sealed.clone().into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            open_sealed(&keys, "petition/id_card", &String::from_utf8(bad).unwrap_or_default()),
            None
        );
        // Blind indexes: equal for equal values under one key, unrelated across keys.
        assert_eq!(key.blind_index("f", "138"), key.blind_index("f", "138"));
        assert_ne!(key.blind_index("f", "138"), key.blind_index("f", "139"));
        assert_ne!(key.blind_index("f", "138"), key2.blind_index("f", "138"));
        assert_eq!(FieldKey::parse("bad key:00"), None);
        assert!(!format!("{key:?}").contains("0123"), "the key is not printed");
        assert_eq!(FieldKey::parse(&key.to_line()), Some(key));
    }

    fn keys_of(k: &FieldKey) -> Vec<FieldKey> {
        vec![k.clone()]
    }

    #[test]
    fn streamed_digest_equals_one_shot() {
        for alg in [HashAlg::Sha256, HashAlg::Sm3] {
            let mut h = Hasher::new(alg);
            h.update(b"ab");
            h.update(b"c");
            assert_eq!(h.finish_hex(), hex_digest(alg, b"abc"));
        }
    }
}
