//! Secrets at rest: asset credentials and licence keys (and, later, mailbox passwords and bot
//! tokens) are sealed with XChaCha20-Poly1305 under a key kept in a file apart from the database.
//!
//! A sealed value is `v1:<key id>:<base64 of nonce ‖ ciphertext ‖ tag>` with a random 24-byte
//! nonce; its associated data names the table, column and row it belongs to, so a value copied
//! into another row or column does not open. The empty string stays empty ("nothing stored"), so
//! `column <> ''` still answers "is one set" in SQL. `keyfile` reads and writes the key, `startup`
//! checks it against the database and seals what older versions left in the clear, `rotate`
//! re-seals everything under a new key, `store` is their SQL, `pages` what a reveal page shows
//! when a value does not open.

pub mod keyfile;
pub mod pages;
pub mod rotate;
pub mod startup;
mod store;

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::AppError;

use keyfile::KeyBytes;

/// The format written today; the prefix of every sealed value.
const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// Hex digits of the key id.
const KEY_ID_LEN: usize = 8;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD_NO_PAD;

/// What a client is told when a stored secret does not open (API `409`, detail).
pub const UNREADABLE: &str = "The stored secret cannot be decrypted: it was changed in the \
     database, copied from another record, or sealed with another key. Set it again.";

/// A column whose values are sealed. Its table has an integer primary key `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub table: &'static str,
    pub column: &'static str,
}

impl Column {
    /// This column in row `row`: what a sealed value is bound to.
    pub const fn at(self, row: i64) -> Place {
        Place { column: self, row }
    }
}

pub const HARDWARE_CREDENTIAL: Column = Column {
    table: "hardware_assets",
    column: "credential",
};
pub const LICENSE_KEY: Column = Column {
    table: "licenses",
    column: "license_key",
};

/// A mailbox's password (issue #21).
pub const MAILBOX_PASSWORD: Column = Column {
    table: "mailboxes",
    column: "password",
};

/// Every sealed column: the start seals what older versions left in the clear there, `rotate`
/// re-seals them. A new kind of secret (bot tokens) adds its column here.
pub const COLUMNS: &[Column] = &[HARDWARE_CREDENTIAL, LICENSE_KEY, MAILBOX_PASSWORD];

/// One cell: a sealed value opens only where it was sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub column: Column,
    pub row: i64,
}

impl Place {
    fn associated_data(&self) -> Vec<u8> {
        format!(
            "piket:{PREFIX}{}.{}:{}",
            self.column.table, self.column.column, self.row
        )
        .into_bytes()
    }
}

/// What a stored value is, judged by its form alone.
#[derive(Debug, PartialEq, Eq)]
pub enum Stored<'a> {
    /// Nothing stored.
    Empty,
    /// Written in the clear by a version before sealing (the start seals it).
    Legacy(&'a str),
    /// Sealed under the key with this id.
    Sealed { key_id: &'a str, bytes: Vec<u8> },
    /// Has the sealed prefix but not its form: altered, or cut short.
    Broken,
}

pub fn classify(v: &str) -> Stored<'_> {
    if v.is_empty() {
        return Stored::Empty;
    }
    let Some(rest) = v.strip_prefix(PREFIX) else {
        return Stored::Legacy(v);
    };
    let Some((key_id, body)) = rest.split_once(':') else {
        return Stored::Broken;
    };
    let id_ok = key_id.len() == KEY_ID_LEN
        && key_id
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
    match B64.decode(body) {
        Ok(bytes) if id_ok && bytes.len() >= NONCE_LEN + TAG_LEN => {
            Stored::Sealed { key_id, bytes }
        }
        _ => Stored::Broken,
    }
}

/// The key id of a key: a short fingerprint, so a value names the key that sealed it and a
/// wrong key file is recognised at start without trying to decrypt.
pub fn key_id(key: &KeyBytes) -> String {
    let mut h = Sha256::new();
    h.update(b"piket secret key id\0");
    h.update(key.as_bytes());
    hex::encode(h.finalize())[..KEY_ID_LEN].to_string()
}

/// The key in memory; seals and opens values.
pub struct SecretBox {
    id: String,
    cipher: XChaCha20Poly1305,
    signing: [u8; 32],
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretBox({})", self.id)
    }
}

fn unreadable() -> AppError {
    AppError::Conflict(UNREADABLE.to_string())
}

/// Whether `e` is "this stored secret does not open" (pages show it in place of the secret).
pub fn is_unreadable(e: &AppError) -> bool {
    matches!(e, AppError::Conflict(m) if m == UNREADABLE)
}

impl SecretBox {
    pub fn new(key: &KeyBytes) -> SecretBox {
        SecretBox {
            id: key_id(key),
            cipher: XChaCha20Poly1305::new(key.as_bytes().into()),
            signing: Sha256::new()
                .chain_update(b"piket:signing-key:v1:")
                .chain_update(key.as_bytes())
                .finalize()
                .into(),
        }
    }

    /// A key for MACs (the ticket tokens in mail), derived from the sealing key: rotating
    /// that key also retires the tokens in mail sent before.
    pub fn signing_key(&self) -> &[u8; 32] {
        &self.signing
    }

    pub fn key_id(&self) -> &str {
        &self.id
    }

    /// `plaintext` sealed for `at`; empty stays empty.
    pub fn seal(&self, at: Place, plaintext: &str) -> Result<String, AppError> {
        if plaintext.is_empty() {
            return Ok(String::new());
        }
        let mut nonce = [0u8; NONCE_LEN];
        // The thread generator is a CSPRNG seeded from the OS; 192-bit random nonces do not
        // collide in any number of values this server will ever seal.
        rand::rng().fill_bytes(&mut nonce);
        let aad = at.associated_data();
        let sealed = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| AppError::Internal("sealing a secret failed".into()))?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}:{}", self.id, B64.encode(bytes)))
    }

    /// The plaintext of `stored`, which must have been sealed for `at` with this key. A value
    /// an older version wrote in the clear is returned as it is (the next start seals it).
    pub fn open(&self, at: Place, stored: &str) -> Result<String, AppError> {
        let (key_id, bytes) = match classify(stored) {
            Stored::Empty => return Ok(String::new()),
            Stored::Legacy(v) => return Ok(v.to_string()),
            Stored::Broken => {
                tracing::warn!(
                    table = at.column.table,
                    column = at.column.column,
                    row = at.row,
                    "a stored secret is malformed"
                );
                return Err(unreadable());
            }
            Stored::Sealed { key_id, bytes } => (key_id, bytes),
        };
        if key_id != self.id {
            tracing::warn!(table = at.column.table, column = at.column.column, row = at.row,
                sealed_with = key_id, key = %self.id, "a stored secret was sealed with another key");
            return Err(unreadable());
        }
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| unreadable())?;
        let aad = at.associated_data();
        let plain = self
            .cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: body,
                    aad: &aad,
                },
            )
            .map_err(|_| {
                tracing::warn!(
                    table = at.column.table,
                    column = at.column.column,
                    row = at.row,
                    "a stored secret does not open here: altered, or copied from another place"
                );
                unreadable()
            })?;
        String::from_utf8(plain).map_err(|_| unreadable())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a_box(byte: u8) -> SecretBox {
        SecretBox::new(&KeyBytes::from_bytes([byte; 32]))
    }

    #[test]
    fn a_value_opens_only_in_its_own_place_and_under_its_own_key() {
        let b = a_box(1);
        let here = HARDWARE_CREDENTIAL.at(7);
        let sealed = b.seal(here, "admin:S3cret!").unwrap();
        assert!(sealed.starts_with(&format!("v1:{}:", b.key_id())));
        assert!(!sealed.contains("S3cret"));
        assert_eq!(b.open(here, &sealed).unwrap(), "admin:S3cret!");
        // Fresh nonce each time: the same secret never seals to the same text.
        assert_ne!(b.seal(here, "admin:S3cret!").unwrap(), sealed);
        for elsewhere in [HARDWARE_CREDENTIAL.at(8), LICENSE_KEY.at(7)] {
            assert!(is_unreadable(&b.open(elsewhere, &sealed).unwrap_err()));
        }
        assert!(is_unreadable(&a_box(2).open(here, &sealed).unwrap_err()));
        // One flipped character of the ciphertext.
        let mut chars: Vec<char> = sealed.chars().collect();
        let last = chars.len() - 3;
        chars[last] = if chars[last] == 'A' { 'B' } else { 'A' };
        let tampered: String = chars.into_iter().collect();
        assert!(is_unreadable(&b.open(here, &tampered).unwrap_err()));
    }

    #[test]
    fn empty_legacy_and_broken_values_are_told_apart() {
        let b = a_box(3);
        let here = LICENSE_KEY.at(1);
        assert_eq!(b.seal(here, "").unwrap(), "");
        assert_eq!(b.open(here, "").unwrap(), "");
        assert_eq!(classify("root:toor"), Stored::Legacy("root:toor"));
        assert_eq!(b.open(here, "root:toor").unwrap(), "root:toor");
        for broken in [
            "v1:",
            "v1:abc",
            "v1:0123abcd:",
            "v1:0123ABCD:AAAA",
            "v1:0123abcd:%%%",
        ] {
            assert_eq!(classify(broken), Stored::Broken, "{broken}");
            assert!(is_unreadable(&b.open(here, broken).unwrap_err()));
        }
        let sealed = b.seal(here, "KEY-1").unwrap();
        assert!(matches!(classify(&sealed), Stored::Sealed { key_id, .. } if key_id == b.key_id()));
    }
}
