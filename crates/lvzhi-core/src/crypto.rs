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

impl FieldKey {
    /// Parses `id:32-hex-digits`.
    pub fn parse(text: &str) -> Option<FieldKey> {
        let (id, hexkey) = text.trim().split_once(':')?;
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        let bytes = hex::decode(hexkey).ok()?;
        Some(FieldKey {
            id: id.to_string(),
            key: bytes.try_into().ok()?,
        })
    }

    /// Seals `plaintext` for the field `aad` (e.g. `petition/id_card`) with
    /// `nonce` (12 random bytes, never reused with this key):
    /// `enc:sm4gcm:<key id>:<hex nonce‖ciphertext‖tag>`.
    pub fn seal(&self, nonce: &[u8; 12], aad: &str, plaintext: &str) -> String {
        let ct = provider().sm4_gcm_seal(&self.key, nonce, aad.as_bytes(), plaintext.as_bytes());
        format!("{SEALED_PREFIX}{}:{}{}", self.id, hex::encode(nonce), hex::encode(ct))
    }

    /// The blind index of a normalised value: HMAC-SM3 under a key derived
    /// from this one, so equal values are found without decrypting.
    pub fn blind_index(&self, aad: &str, normalised: &str) -> String {
        let k = provider().hmac_sm3(&self.key, b"lvzhi blind index");
        hex::encode(provider().hmac_sm3(&k, format!("{aad}\n{normalised}").as_bytes()))
    }
}

/// Opens a value sealed by [`FieldKey::seal`] with whichever of `keys` it names.
/// `None`: not sealed, an unknown key, or tampered (GCM's tag fails).
pub fn open_sealed(keys: &[FieldKey], aad: &str, sealed: &str) -> Option<String> {
    let rest = sealed.strip_prefix(SEALED_PREFIX)?;
    let (id, body) = rest.split_once(':')?;
    let key = keys.iter().find(|k| k.id == id)?;
    let bytes = hex::decode(body).ok()?;
    if bytes.len() < 12 + 16 {
        return None;
    }
    let (nonce, ct) = bytes.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    let pt = provider().sm4_gcm_open(&key.key, &nonce, aad.as_bytes(), ct)?;
    String::from_utf8(pt).ok()
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
        let sealed = key.seal(&[7; 12], "petition/id_card", "620902199001011234");
        assert!(sealed.starts_with("enc:sm4gcm:k1:"));
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
