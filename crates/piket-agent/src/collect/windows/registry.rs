//! Reading the registry into [`facts`](super::facts): the OS's own description of itself and
//! the installed programs from the Uninstall keys ("Apps & features").

use winreg::enums::{
    HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, HKEY_USERS, KEY_READ, KEY_WOW64_32KEY, KEY_WOW64_64KEY,
};
use winreg::RegKey;

use super::facts::{CurrentVersionFacts, UninstallEntry, WindowsFacts};

const CURRENT_VERSION: &str = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion";
const UNINSTALL: &str = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall";

/// Fill the registry part of `facts`; a key that cannot be opened is skipped.
pub fn read(facts: &mut WindowsFacts) {
    let hklm = RegKey::predef(HKEY_LOCAL_MACHINE);
    // The 64-bit view: a 32-bit build on 64-bit Windows would otherwise be shown WOW6432Node.
    facts.current_version = hklm
        .open_subkey_with_flags(CURRENT_VERSION, KEY_READ | KEY_WOW64_64KEY)
        .ok()
        .map(|cv| CurrentVersionFacts {
            product_name: cv.get_value("ProductName").ok(),
            display_version: cv.get_value("DisplayVersion").ok(),
            release_id: cv.get_value("ReleaseId").ok(),
            current_build: cv.get_value("CurrentBuild").ok(),
            ubr: cv.get_value("UBR").ok(),
        });

    let mut keys: Vec<RegKey> = [KEY_WOW64_64KEY, KEY_WOW64_32KEY]
        .into_iter()
        .filter_map(|view| hklm.open_subkey_with_flags(UNINSTALL, KEY_READ | view).ok())
        .collect();
    keys.extend(
        RegKey::predef(HKEY_CURRENT_USER)
            .open_subkey(UNINSTALL)
            .ok(),
    );
    // Programs installed per user live in that user's hive. The service runs as SYSTEM, whose
    // HKCU is not a person's, so every loaded user hive (signed-in users) is read as well;
    // the duplicates with HKCU are removed by the mapping.
    let users = RegKey::predef(HKEY_USERS);
    for sid in users.enum_keys().filter_map(Result::ok) {
        if sid.starts_with("S-1-5-21-") && !sid.ends_with("_Classes") {
            keys.extend(users.open_subkey(format!(r"{sid}\{UNINSTALL}")).ok());
        }
    }
    facts.uninstall = keys.iter().flat_map(uninstall_entries).collect();
}

fn uninstall_entries(key: &RegKey) -> Vec<UninstallEntry> {
    key.enum_keys()
        .filter_map(Result::ok)
        .filter_map(|name| key.open_subkey(name).ok())
        .map(|entry| UninstallEntry {
            display_name: entry.get_value("DisplayName").ok(),
            display_version: entry.get_value("DisplayVersion").ok(),
            publisher: entry.get_value("Publisher").ok(),
            // A DWORD as documented; some installers write the string "1".
            system_component: entry.get_value::<u32, _>("SystemComponent").ok() == Some(1)
                || entry
                    .get_value::<String, _>("SystemComponent")
                    .ok()
                    .as_deref()
                    == Some("1"),
            has_parent: entry.get_value::<String, _>("ParentKeyName").is_ok(),
        })
        .collect()
}
