//! The key file: one line of 64 hex digits (32 bytes from the OS random generator), readable by
//! its owner only (0600), never stored in the database. Files are written whole, synced, then
//! moved into place, so a crash leaves either the old file or the new one.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use rand::TryRngCore;

/// The 32 key bytes; never printed.
pub struct KeyBytes([u8; 32]);

impl std::fmt::Debug for KeyBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyBytes(…)")
    }
}

impl KeyBytes {
    pub fn from_bytes(bytes: [u8; 32]) -> KeyBytes {
        KeyBytes(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A new key straight from the operating system's generator.
    pub fn generate() -> Result<KeyBytes, String> {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng
            .try_fill_bytes(&mut bytes)
            .map_err(|e| format!("the operating system's random generator failed: {e}"))?;
        Ok(KeyBytes(bytes))
    }

    fn text(&self) -> String {
        format!("{}\n", hex::encode(self.0))
    }
}

/// `secret.key` → `secret.key.new` (a rotation's new key) or `secret.key.old`.
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

/// The key in `path`, or `None` when there is no such file.
pub fn read(path: &Path) -> Result<Option<KeyBytes>, String> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(format!(
                "cannot read the secret key file {}: {e}",
                path.display()
            ))
        }
    };
    warn_if_shared(path);
    let digits = text.trim();
    let bytes: [u8; 32] = hex::decode(digits)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            format!(
                "the secret key file {} is not a Piket key (one line of 64 hex digits)",
                path.display()
            )
        })?;
    Ok(Some(KeyBytes(bytes)))
}

#[cfg(unix)]
fn warn_if_shared(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(),
                "the secret key file is readable by others than its owner; chmod 600 it");
        }
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_path: &Path) {}

fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Write `key` to a fresh temporary file next to `path` and sync it; its path.
fn write_temp(path: &Path, key: &KeyBytes) -> Result<PathBuf, String> {
    let temp = sibling(
        path,
        &format!("tmp-{}", crate::auth::token::random_token(6)),
    );
    let written = create_private(&temp).and_then(|mut f| {
        f.write_all(key.text().as_bytes())?;
        f.sync_all()
    });
    written.map_err(|e| {
        let _ = fs::remove_file(&temp);
        format!("cannot write the secret key file {}: {e}", temp.display())
    })?;
    Ok(temp)
}

/// Make the directory entry of a rename or link durable.
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// Put `key` at `path` unless a file is there already (another node sharing the file may have
/// made it first): `false` then, and the caller reads that one.
pub fn create(path: &Path, key: &KeyBytes) -> Result<bool, String> {
    let temp = write_temp(path, key)?;
    // A hard link never replaces an existing file, unlike a rename.
    let linked = fs::hard_link(&temp, path);
    let _ = fs::remove_file(&temp);
    match linked {
        Ok(()) => {
            sync_dir(path);
            Ok(true)
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(format!(
            "cannot create the secret key file {}: {e}",
            path.display()
        )),
    }
}

/// Replace whatever is at `path` with `key`, atomically.
pub fn replace(path: &Path, key: &KeyBytes) -> Result<(), String> {
    let temp = write_temp(path, key)?;
    fs::rename(&temp, path).map_err(|e| {
        let _ = fs::remove_file(&temp);
        format!("cannot replace {}: {e}", path.display())
    })?;
    sync_dir(path);
    Ok(())
}

/// Move `from` over `to`, atomically.
pub fn promote(from: &Path, to: &Path) -> Result<(), String> {
    fs::rename(from, to)
        .map_err(|e| format!("cannot rename {} to {}: {e}", from.display(), to.display()))?;
    sync_dir(to);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_private_written_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        assert!(read(&path).unwrap().is_none());
        let key = KeyBytes::generate().unwrap();
        assert!(create(&path, &key).unwrap());
        // A second creator finds the first one's file and keeps it.
        assert!(!create(&path, &KeyBytes::generate().unwrap()).unwrap());
        assert_eq!(read(&path).unwrap().unwrap().as_bytes(), key.as_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let other = KeyBytes::generate().unwrap();
        replace(&path, &other).unwrap();
        assert_eq!(read(&path).unwrap().unwrap().as_bytes(), other.as_bytes());
        // Nothing but the key file is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        fs::write(&path, "not a key\n").unwrap();
        assert!(read(&path).unwrap_err().contains("not a Piket key"));
        assert_eq!(sibling(&path, "old"), dir.path().join("secret.key.old"));
    }
}
