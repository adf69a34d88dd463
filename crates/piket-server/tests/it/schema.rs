//! Schema drift: both migration folders applied to empty databases must give the same schema:
//! the same tables, the same columns with the same (normalised) types, nullability and primary
//! keys, and the same indexes with the same uniqueness and columns. The only difference allowed
//! is full-text search, which each backend does its own way (`SEARCH_TABLES`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use piket_server::db::Db;

/// Full text is FTS5 on SQLite (a virtual table and its shadow tables) and a `tsvector` table
/// with GIN indexes on PostgreSQL (docs/architecture.md): left out of the comparison.
const SEARCH_TABLES: &str = "ticket_search";

#[derive(Debug, Default, PartialEq)]
struct Schema {
    /// table -> column -> "type, null|not null[, pk]"
    columns: BTreeMap<String, BTreeMap<String, String>>,
    /// "table: unique? (columns)[ where …]" for every index but the primary keys'.
    indexes: BTreeSet<String>,
}

/// One name for a type both backends spell differently.
fn normal_type(declared: &str) -> String {
    let t = declared.trim().to_ascii_lowercase();
    let base = t.split('(').next().unwrap_or("").trim();
    match base {
        "integer" | "int" | "bigint" | "smallint" | "int2" | "int4" | "int8" | "serial"
        | "bigserial" => "int".into(),
        "text" | "varchar" | "character varying" | "char" | "character" | "clob" => "text".into(),
        "blob" | "bytea" => "bytes".into(),
        "real" | "double precision" | "double" | "float" | "float4" | "float8" | "numeric" => {
            "real".into()
        }
        "boolean" | "bool" => "bool".into(),
        other => other.into(),
    }
}

/// An index's column list as both backends print it: lower case, no spaces, quotes or casts.
fn normal_columns(list: &str) -> String {
    list.to_ascii_lowercase()
        .replace("::text", "")
        .replace(['"', ' '], "")
}

/// The part of `CREATE [UNIQUE] INDEX name ON table [USING m] (cols) [WHERE …]` after the
/// table: "(cols)" plus " where" when the index is partial.
fn index_shape(sql: &str) -> String {
    let open = sql.find('(').unwrap();
    let mut depth = 0;
    let mut close = open;
    for (i, c) in sql[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    close = open + i;
                    break;
                }
            }
            _ => {}
        }
    }
    let columns = normal_columns(&sql[open..=close]);
    let partial = sql[close..].to_ascii_lowercase().contains(" where ");
    format!("{columns}{}", if partial { " where" } else { "" })
}

async fn sqlite_schema(db: &Db) -> Schema {
    let mut schema = Schema::default();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         AND name NOT LIKE '\\_sqlx%' ESCAPE '\\' ORDER BY name",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    for table in tables {
        if table.starts_with(SEARCH_TABLES) {
            continue;
        }
        let columns: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid",
        )
        .bind(table.clone())
        .fetch_all(&db.pool)
        .await
        .unwrap();
        let entry = schema.columns.entry(table.clone()).or_default();
        for (name, declared, not_null, pk) in columns {
            // An INTEGER PRIMARY KEY is the rowid: never null, whatever it declares.
            let not_null = not_null != 0 || pk != 0;
            entry.insert(name, column(&declared, not_null, pk != 0));
        }
        let indexes: Vec<(String, i64, String)> = sqlx::query_as(
            "SELECT name, \"unique\", origin FROM pragma_index_list($1) ORDER BY name",
        )
        .bind(table.clone())
        .fetch_all(&db.pool)
        .await
        .unwrap();
        for (name, unique, origin) in indexes {
            if origin == "pk" {
                continue;
            }
            let shape = if origin == "c" {
                let sql: String = sqlx::query_scalar(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = $1",
                )
                .bind(name.clone())
                .fetch_one(&db.pool)
                .await
                .unwrap();
                index_shape(&sql)
            } else {
                // A UNIQUE constraint's index: its columns, in order.
                let cols: Vec<String> =
                    sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                        .bind(name.clone())
                        .fetch_all(&db.pool)
                        .await
                        .unwrap();
                format!("({})", cols.join(","))
            };
            schema.indexes.insert(index(&table, unique != 0, &shape));
        }
    }
    schema
}

async fn postgres_schema(db: &Db) -> Schema {
    let mut schema = Schema::default();
    let columns: Vec<(String, String, String, String, bool)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.is_nullable::text, \
           EXISTS (SELECT 1 FROM information_schema.key_column_usage k \
             JOIN information_schema.table_constraints t \
               ON t.constraint_name = k.constraint_name AND t.table_schema = k.table_schema \
             WHERE t.constraint_type = 'PRIMARY KEY' AND k.table_schema = c.table_schema \
               AND k.table_name = c.table_name AND k.column_name = c.column_name) \
         FROM information_schema.columns c \
         WHERE c.table_schema = current_schema() AND c.table_name NOT LIKE '\\_sqlx%' \
         ORDER BY c.table_name, c.ordinal_position",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    for (table, name, declared, nullable, pk) in columns {
        if table.starts_with(SEARCH_TABLES) {
            continue;
        }
        schema
            .columns
            .entry(table)
            .or_default()
            .insert(name, column(&declared, nullable == "NO", pk));
    }
    let indexes: Vec<(String, bool, String)> = sqlx::query_as(
        "SELECT t.relname::text, x.indisunique, pg_get_indexdef(x.indexrelid) \
         FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = current_schema() AND NOT x.indisprimary AND t.relname NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    for (table, unique, sql) in indexes {
        if table.starts_with(SEARCH_TABLES) {
            continue;
        }
        // `… USING btree (cols) WHERE …`: the shape starts at the column list.
        let from = sql.find(" USING ").unwrap();
        schema
            .indexes
            .insert(index(&table, unique, &index_shape(&sql[from..])));
    }
    schema
}

fn column(declared: &str, not_null: bool, pk: bool) -> String {
    format!(
        "{}, {}{}",
        normal_type(declared),
        if not_null { "not null" } else { "null" },
        if pk { ", pk" } else { "" }
    )
}

fn index(table: &str, unique: bool, shape: &str) -> String {
    format!("{table}: {}{shape}", if unique { "unique " } else { "" })
}

/// A fresh PostgreSQL database on `PIKET_TEST_DATABASE_URL` (or the local default), or None
/// when no server answers.
async fn postgres() -> Option<Db> {
    let base = std::env::var("PIKET_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let url = tokio::time::timeout(
        Duration::from_secs(5),
        crate::common::fresh_postgres_database(&base),
    )
    .await
    .ok()??;
    Some(Db::connect(&url, Some(2)).await.unwrap())
}

#[tokio::test]
async fn both_backends_migrate_to_the_same_schema() {
    let Some(pg) = postgres().await else {
        eprintln!(
            "SKIPPED: no PostgreSQL at PIKET_TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("drift.db").display()
    );
    let sqlite = Db::connect(&url, Some(1)).await.unwrap();
    sqlite.migrate().await.unwrap();
    pg.migrate().await.unwrap();
    let (sqlite, postgres) = (sqlite_schema(&sqlite).await, postgres_schema(&pg).await);
    assert!(sqlite.columns.len() > 20, "{:?}", sqlite.columns.keys());
    assert!(sqlite.indexes.len() > 20, "{:?}", sqlite.indexes);

    let tables = |s: &Schema| s.columns.keys().cloned().collect::<BTreeSet<_>>();
    assert_eq!(tables(&sqlite), tables(&postgres), "tables");
    let mut drift = Vec::new();
    for (table, columns) in &sqlite.columns {
        for (name, shape) in columns {
            let other = postgres.columns[table].get(name);
            if other != Some(shape) {
                drift.push(format!(
                    "{table}.{name}: sqlite {shape} / postgres {other:?}"
                ));
            }
        }
        for name in postgres.columns[table].keys() {
            if !columns.contains_key(name) {
                drift.push(format!("{table}.{name}: only on postgres"));
            }
        }
    }
    for only in sqlite.indexes.difference(&postgres.indexes) {
        drift.push(format!("index only on sqlite: {only}"));
    }
    for only in postgres.indexes.difference(&sqlite.indexes) {
        drift.push(format!("index only on postgres: {only}"));
    }
    assert!(drift.is_empty(), "schema drift:\n{}", drift.join("\n"));
}

#[test]
fn types_and_index_shapes_are_normalised() {
    assert_eq!(normal_type("BIGINT"), "int");
    assert_eq!(normal_type("INTEGER"), normal_type("bigint"));
    assert_eq!(normal_type("character varying"), "text");
    assert_ne!(normal_type("TEXT"), normal_type("BIGINT"));
    assert_eq!(
        index_shape("CREATE UNIQUE INDEX a ON t (lower(name), x) WHERE x <> ''"),
        "(lower(name),x) where"
    );
    assert_eq!(
        index_shape(" USING btree (lower(name), x) WHERE (x <> ''::text)"),
        "(lower(name),x) where"
    );
}
