//! Password hashing (argon2id, m=19 MiB, t=2, p=1) and the password policy.
//!
//! A hash costs ~56 ms of CPU and 19 MiB. It runs on a blocking thread behind a semaphore with
//! one permit per core (`App::password_permits`): on the async workers, 200 concurrent logins
//! stalled every other request for most of a second; unbounded on blocking threads, they would
//! take 19 MiB each at once.

use std::sync::Arc;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

const MAX_LENGTH: usize = 256;

/// The most common passwords of policy length and beyond, refused outright (lowercase).
const COMMON: &str = include_str!("common_passwords.txt");

/// One permit per core: hashes beyond that wait their turn instead of time-slicing the CPU.
pub fn permits() -> Arc<Semaphore> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Arc::new(Semaphore::new(cores))
}

fn hasher() -> AppResult<Argon2<'static>> {
    let params =
        Params::new(19 * 1024, 2, 1, None).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Run `work` on a blocking thread once a permit is free. The permit travels into the thread,
/// so a caller that goes away (a closed connection) does not free it while the hash still runs.
async fn off_runtime<T: Send + 'static>(
    permits: &Arc<Semaphore>,
    work: impl FnOnce() -> T + Send + 'static,
) -> AppResult<T> {
    let permit = permits
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| AppError::Internal("password permits closed".into()))?;
    tokio::task::spawn_blocking(move || {
        let out = work();
        drop(permit);
        out
    })
    .await
    .map_err(|e| AppError::Internal(format!("password task: {e}")))
}

fn hash_now(password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(e.to_string()))
}

fn verify_now(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    hasher()
        .map(|h| h.verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

pub async fn hash(permits: &Arc<Semaphore>, password: &str) -> AppResult<String> {
    let password = password.to_string();
    off_runtime(permits, move || hash_now(&password)).await?
}

pub async fn verify(permits: &Arc<Semaphore>, password: &str, stored: &str) -> bool {
    let (password, stored) = (password.to_string(), stored.to_string());
    off_runtime(permits, move || verify_now(&password, &stored))
        .await
        .unwrap_or(false)
}

/// Spend the same work as a verification when the account does not exist, so timing tells nothing.
pub async fn dummy_verify(permits: &Arc<Semaphore>, password: &str) {
    let _ = hash(permits, password).await;
}

/// What a new password must satisfy (from the configuration).
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub min_length: usize,
    /// How many of the four character classes (lower case, upper case, digits, anything
    /// else) it must mix; 0 for no such rule.
    pub classes: u8,
}

/// How many of the four character classes a password mixes.
fn classes_in(password: &str) -> u8 {
    let has = |f: fn(char) -> bool| u8::from(password.chars().any(f));
    has(char::is_lowercase)
        + has(char::is_uppercase)
        + has(|c| c.is_numeric())
        + has(|c| !c.is_alphanumeric())
}

/// The policy: length bounds, the optional mix of classes, not a common password, not the email.
pub fn check_policy(password: &str, policy: &Policy, email: &str) -> AppResult<()> {
    let min_length = policy.min_length;
    let length = password.chars().count();
    if length < min_length {
        return Err(AppError::invalid(
            "password",
            format!("must be at least {min_length} characters"),
        ));
    }
    if length > MAX_LENGTH {
        return Err(AppError::invalid(
            "password",
            format!("must be at most {MAX_LENGTH} characters"),
        ));
    }
    if classes_in(password) < policy.classes {
        return Err(AppError::invalid(
            "password",
            format!(
                "must mix at least {} of: lower case, upper case, digits, other characters",
                policy.classes
            ),
        ));
    }
    let lower = password.to_lowercase();
    if COMMON.lines().any(|c| c == lower) {
        return Err(AppError::invalid(
            "password",
            "is one of the most common passwords",
        ));
    }
    if !email.is_empty()
        && (lower == email.to_lowercase() || email.to_lowercase().starts_with(&format!("{lower}@")))
    {
        return Err(AppError::invalid(
            "password",
            "must not be your email address",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEN: Policy = Policy {
        min_length: 10,
        classes: 0,
    };

    #[test]
    fn an_optional_rule_asks_for_a_mix_of_character_classes() {
        let three = Policy {
            min_length: 10,
            classes: 3,
        };
        assert!(check_policy("tidak-mudah-ditebak", &three, "").is_err());
        assert!(check_policy("Tidak-mudah-ditebak", &three, "").is_ok());
        assert!(check_policy("tidakmudah42", &three, "").is_err());
        assert!(check_policy("Tidakmudah42", &three, "").is_ok());
        assert!(check_policy("ΚΑΛΗΜΈΡΑ-σας", &three, "").is_ok());
        assert!(check_policy("Tidak-mudah-ditebak", &TEN, "").is_ok());
    }

    #[tokio::test]
    async fn hash_verifies_only_the_right_password_and_is_argon2id() {
        let p = permits();
        let h = hash(&p, "correct horse battery").await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify(&p, "correct horse battery", &h).await);
        assert!(!verify(&p, "correct horse batterz", &h).await);
        assert!(!verify(&p, "x", "not a hash").await);
        // Every permit is back once the work is done.
        assert_eq!(p.available_permits(), permits().available_permits());
    }

    #[test]
    fn policy_refuses_short_common_and_email_passwords() {
        assert!(check_policy("short", &TEN, "").is_err());
        assert!(check_policy("1234567890", &TEN, "").is_err());
        assert!(check_policy("Password123", &TEN, "").is_err());
        assert!(check_policy("budi.santoso", &TEN, "budi.santoso@example.com").is_err());
        assert!(check_policy(&"x".repeat(300), &TEN, "").is_err());
        assert!(check_policy("tidak-mudah-ditebak", &TEN, "budi@example.com").is_ok());
    }
}
