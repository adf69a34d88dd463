//! Case-insensitive unique names. SQLite's `lower()` folds only ASCII, so a unique index on
//! `lower(name)` let "ÉQUIPE" and "équipe" both in on SQLite while PostgreSQL refused the
//! second. Each such name has a key column holding the name lowercased here, in Rust, the same
//! on both backends; the unique index is on the key (as software's `name_key`, migration 0008).

use sqlx::AnyConnection;

/// The key a name is unique by: the name lowercased (Unicode, not only ASCII).
pub fn key(text: &str) -> String {
    text.to_lowercase()
}

/// The migration that added the key columns (filled with the database's `lower()`).
pub const KEYS_MIGRATION: i64 = 19;

/// The key columns and the column each folds: (table, text column, key column).
const KEYED: &[(&str, &str, &str)] = &[
    ("departments", "name", "name_key"),
    ("roles", "name", "name_key"),
    ("ticket_categories", "name", "name_key"),
    ("canned_responses", "name", "name_key"),
    ("hardware_assets", "asset_tag", "tag_key"),
];

/// Refill every key that differs from [`key`] of its text. Migration 0019 filled the keys with
/// the database's `lower()`, which on SQLite leaves letters beyond ASCII as they were; this runs
/// once, at the start that applies that migration (`Db::migrate`). A key that would collide with another row's (two names that differ only in the case of
/// such letters, let in before the fix) is left as it was and logged: an admin renames one.
pub async fn refold_keys(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    for (table, text, key_column) in KEYED {
        let rows: Vec<(i64, String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id, {text}, {key_column} FROM {table}"
        )))
        .fetch_all(&mut *conn)
        .await?;
        for (id, value, stored) in rows {
            let folded = key(&value);
            if folded == stored {
                continue;
            }
            let updated = sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {table} SET {key_column} = $1 WHERE id = $2"
            )))
            .bind(folded)
            .bind(id)
            .execute(&mut *conn)
            .await;
            match updated {
                Ok(_) => {}
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    tracing::warn!(
                        table,
                        id,
                        name = %value,
                        "another row has the same name but for case: rename one of them"
                    );
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_fold_letters_beyond_ascii() {
        assert_eq!(super::key("ÉQUIPE Nord"), "équipe nord");
        assert_eq!(super::key("ÉQUIPE"), super::key("équipe"));
        assert_ne!(super::key("Équipe"), super::key("Equipe"));
    }
}
