//! SQL over the sealed columns. Table and column names come from the fixed list
//! `secrets::COLUMNS`, never from input.

use sqlx::AnyConnection;

use super::Column;
use crate::error::AppResult;

/// Every stored (non-empty) value of `col`, by row id.
pub async fn values(conn: &mut AnyConnection, col: Column) -> AppResult<Vec<(i64, String)>> {
    let sql = format!(
        "SELECT id, {c} FROM {t} WHERE {c} <> '' ORDER BY id",
        t = col.table,
        c = col.column
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(conn)
        .await?)
}

/// Replace the value of `col` in row `id` with `new`, if it still is `old`; whether it was.
pub async fn replace(
    conn: &mut AnyConnection,
    col: Column,
    id: i64,
    old: &str,
    new: &str,
) -> AppResult<bool> {
    let sql = format!(
        "UPDATE {t} SET {c} = $3 WHERE id = $1 AND {c} = $2",
        t = col.table,
        c = col.column
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(old.to_string())
        .bind(new.to_string())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
