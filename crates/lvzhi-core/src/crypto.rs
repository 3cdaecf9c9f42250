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
}

/// The provider in use.
pub fn provider() -> &'static dyn Provider {
    &RustCrypto
}

/// The digest of `data` as stored: the algorithm's prefix, then lower-case hex.
pub fn hex_digest(alg: HashAlg, data: &[u8]) -> String {
    format!("{}{}", alg.prefix(), hex::encode(provider().digest(alg, data)))
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
}
