//! Bulk SQL for the seeder: multi-row inserts in one transaction per batch.

use rand::rngs::StdRng;
use rand::Rng;
use sqlx::AnyConnection;

use super::{GenTicket, People, CATEGORIES, DEPARTMENTS};
use crate::db::fold;
use crate::db::sql::{Arg, Sql};
use crate::db::Backend;
use crate::error::{AppError, AppResult};

pub async fn ticket_count(conn: &mut AnyConnection) -> AppResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM tickets")
        .fetch_one(conn)
        .await?)
}

async fn role_id(conn: &mut AnyConnection, name: &str) -> AppResult<i64> {
    sqlx::query_scalar("SELECT id FROM roles WHERE name = $1")
        .bind(name)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| AppError::Internal(format!("built-in role {name} missing")))
}

async fn insert_user(
    conn: &mut AnyConnection,
    email: &str,
    name: &str,
    role: i64,
    department: i64,
    now: i64,
) -> AppResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (email, name, role_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
         ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name RETURNING id",
    )
    .bind(email)
    .bind(name)
    .bind(role)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO user_departments (user_id, department_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(department)
    .execute(conn)
    .await?;
    Ok(id)
}

async fn named(
    conn: &mut AnyConnection,
    table: &'static str,
    name: &str,
    now: i64,
) -> AppResult<i64> {
    let mut sql = Sql::new("SELECT id FROM ");
    sql.push(table)
        .push(" WHERE name = ")
        .bind(Arg::Text(name.into()));
    if let Some(id) = sql.query_as::<(i64,)>().fetch_optional(&mut *conn).await? {
        return Ok(id.0);
    }
    let mut sql = Sql::new("INSERT INTO ");
    sql.push(table)
        .push(" (name, description, created_at, updated_at, name_key) VALUES (")
        .bind(Arg::Text(name.into()))
        .push(", '', ")
        .bind(Arg::Int(now))
        .push(", ")
        .bind(Arg::Int(now))
        .push(", ")
        .bind(Arg::Text(fold::key(name)))
        .push(") RETURNING id");
    Ok(sql.query_as::<(i64,)>().fetch_one(conn).await?.0)
}

/// Departments, categories, four technicians per department and 200 requesters (no passwords:
/// set one with `piket user set-password` to sign in as them).
pub(super) async fn people(
    conn: &mut AnyConnection,
    rng: &mut StdRng,
    now: i64,
) -> AppResult<People> {
    let tech_role = role_id(conn, "Technician").await?;
    let requester_role = role_id(conn, "Requester").await?;
    let mut departments = Vec::new();
    for d in DEPARTMENTS {
        departments.push(named(conn, "departments", d, now).await?);
    }
    let mut categories = Vec::new();
    for c in CATEGORIES {
        categories.push(named(conn, "ticket_categories", c, now).await?);
    }
    let mut techs = Vec::new();
    for (i, d) in departments.iter().enumerate() {
        let mut ids = Vec::new();
        for j in 0..4 {
            let email = format!("tech{i}{j}@seed.example");
            ids.push(
                insert_user(
                    conn,
                    &email,
                    &format!("Technician {i}{j}"),
                    tech_role,
                    *d,
                    now,
                )
                .await?,
            );
        }
        techs.push(ids);
    }
    let mut requesters = Vec::new();
    for k in 0..200 {
        let d = departments[rng.random_range(0..departments.len())];
        let email = format!("user{k}@seed.example");
        requesters.push(
            insert_user(
                conn,
                &email,
                &format!("Requester {k}"),
                requester_role,
                d,
                now,
            )
            .await?,
        );
    }
    Ok(People {
        techs,
        requesters,
        departments,
        categories,
    })
}

pub(super) async fn insert_tickets(conn: &mut AnyConnection, batch: &[GenTicket]) -> AppResult<()> {
    let mut sql = Sql::new(
        "INSERT INTO tickets (id, title, description, requester_id, department_id, category_id, \
         priority, status, assignee_id, source, created_at, updated_at, first_response_at, resolved_at, closed_at) VALUES ",
    );
    for (i, t) in batch.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        let answered = t.comments.first().map(|c| c.created_at);
        let resolved = matches!(t.status, "resolved" | "closed").then_some(t.updated_at);
        let closed = (t.status == "closed").then_some(t.updated_at);
        sql.push("(")
            .bind(Arg::Int(t.id))
            .push(", ")
            .bind(Arg::Text(t.title.clone()))
            .push(", ")
            .bind(Arg::Text(t.description.clone()))
            .push(", ")
            .bind(Arg::Int(t.requester_id))
            .push(", ")
            .bind(Arg::Int(t.department_id))
            .push(", ")
            .bind(Arg::Int(t.category_id))
            .push(", ")
            .bind(Arg::Int(t.priority))
            .push(", ")
            .bind(Arg::Text(t.status.into()))
            .push(", ");
        match t.assignee_id {
            Some(a) => sql.bind(Arg::Int(a)),
            None => sql.push("NULL"),
        };
        sql.push(", 'web', ")
            .bind(Arg::Int(t.created_at))
            .push(", ")
            .bind(Arg::Int(t.updated_at));
        for v in [answered, resolved, closed] {
            sql.push(", ");
            match v {
                Some(v) => sql.bind(Arg::Int(v)),
                None => sql.push("NULL"),
            };
        }
        sql.push(")");
    }
    sql.query().execute(conn).await?;
    Ok(())
}

pub(super) async fn insert_comments(
    conn: &mut AnyConnection,
    batch: &[GenTicket],
) -> AppResult<u64> {
    let rows: Vec<(i64, &super::GenComment)> = batch
        .iter()
        .flat_map(|t| t.comments.iter().map(move |c| (t.id, c)))
        .collect();
    for chunk in rows.chunks(1000) {
        let mut sql = Sql::new(
            "INSERT INTO ticket_comments (ticket_id, author_id, body, internal, created_at) VALUES ",
        );
        for (i, (ticket, c)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(Arg::Int(*ticket))
                .push(", ")
                .bind(Arg::Int(c.author_id))
                .push(", ")
                .bind(Arg::Text(c.body.clone()))
                .push(", ")
                .bind(Arg::Int(i64::from(c.internal)))
                .push(", ")
                .bind(Arg::Int(c.created_at))
                .push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(rows.len() as u64)
}

/// The search documents, built the same way `tickets::search::reindex` builds them.
pub(super) async fn index(
    conn: &mut AnyConnection,
    backend: Backend,
    batch: &[GenTicket],
) -> AppResult<()> {
    let mut sql = match backend {
        Backend::Sqlite => {
            Sql::new("INSERT INTO ticket_search (rowid, title, body, notes) VALUES ")
        }
        Backend::Postgres => {
            Sql::new("INSERT INTO ticket_search (ticket_id, public_doc, all_doc) VALUES ")
        }
    };
    for (i, t) in batch.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        let mut public = format!("{}\n", t.description);
        let mut notes = String::new();
        for c in &t.comments {
            let target = if c.internal { &mut notes } else { &mut public };
            target.push_str(&c.body);
            target.push('\n');
        }
        match backend {
            Backend::Sqlite => {
                sql.push("(")
                    .bind(Arg::Int(t.id))
                    .push(", ")
                    .bind(Arg::Text(t.title.clone()))
                    .push(", ")
                    .bind(Arg::Text(public))
                    .push(", ")
                    .bind(Arg::Text(notes))
                    .push(")");
            }
            Backend::Postgres => {
                crate::tickets::search::pg_document(&mut sql, t.id, &t.title, &public, &notes)
            }
        }
    }
    sql.query().execute(conn).await?;
    Ok(())
}

/// Explicit ids do not move PostgreSQL's identity sequences; move them past the seeded rows.
pub(super) async fn sync_sequences(conn: &mut AnyConnection) -> AppResult<()> {
    for table in ["tickets", "ticket_comments"] {
        let mut sql = Sql::new("SELECT setval(pg_get_serial_sequence('");
        sql.push(table)
            .push("', 'id'), (SELECT COALESCE(MAX(id), 1) FROM ")
            .push(table)
            .push("))::text");
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Fresh planner statistics after a bulk load; on PostgreSQL also the search indexes' pending
/// lists merged into the indexes, as autovacuum would do later (every search reads them).
pub(super) async fn analyze(conn: &mut AnyConnection, backend: Backend) -> AppResult<()> {
    sqlx::query("ANALYZE").execute(&mut *conn).await?;
    if backend == Backend::Postgres {
        sqlx::query(
            "SELECT gin_clean_pending_list(CAST('ticket_search_public' AS regclass)) \
             + gin_clean_pending_list(CAST('ticket_search_all' AS regclass)) \
             + gin_clean_pending_list(CAST('ticket_search_window' AS regclass))",
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
