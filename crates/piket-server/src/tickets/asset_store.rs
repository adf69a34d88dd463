//! SQL for the links between tickets and hardware assets (`ticket_assets`).

use sqlx::AnyConnection;

use super::store::{self, TicketRow};
use super::LinkedAsset;
use crate::auth::actor::Actor;
use crate::db::sql::Arg;
use crate::error::AppResult;

/// The assets a ticket references, by id.
pub async fn of_ticket(conn: &mut AnyConnection, ticket_id: i64) -> AppResult<Vec<LinkedAsset>> {
    Ok(sqlx::query_as(
        "SELECT h.id, h.name, h.asset_tag, h.hostname FROM ticket_assets ta \
         JOIN hardware_assets h ON h.id = ta.asset_id WHERE ta.ticket_id = $1 ORDER BY h.id",
    )
    .bind(ticket_id)
    .fetch_all(conn)
    .await?)
}

/// Make the ticket's links exactly `ids` (links kept keep their time).
pub async fn replace(
    conn: &mut AnyConnection,
    ticket_id: i64,
    old: &[i64],
    ids: &[i64],
    now: i64,
) -> AppResult<()> {
    for gone in old.iter().filter(|o| !ids.contains(o)) {
        sqlx::query("DELETE FROM ticket_assets WHERE ticket_id = $1 AND asset_id = $2")
            .bind(ticket_id)
            .bind(gone)
            .execute(&mut *conn)
            .await?;
    }
    for new in ids.iter().filter(|i| !old.contains(i)) {
        sqlx::query(
            "INSERT INTO ticket_assets (ticket_id, asset_id, created_at) VALUES ($1, $2, $3)",
        )
        .bind(ticket_id)
        .bind(new)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The newest tickets referencing an asset, within what the actor sees (`tickets.read` checked
/// by the scope).
pub async fn tickets_of(
    conn: &mut AnyConnection,
    actor: &Actor,
    asset_id: i64,
    limit: i64,
) -> AppResult<Vec<TicketRow>> {
    let mut sql = store::rows_head();
    sql.push(" AND t.id IN (SELECT ticket_id FROM ticket_assets WHERE asset_id = ")
        .bind(Arg::Int(asset_id))
        .push(")");
    super::policy::push_scope(&mut sql, actor)?;
    sql.push(" ORDER BY t.id DESC LIMIT ").bind(Arg::Int(limit));
    Ok(sql.query_as().fetch_all(conn).await?)
}
