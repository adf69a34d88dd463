//! `ticket_machines`: the machine block of a ticket (see `tickets::machine`).

use sqlx::AnyConnection;

use super::machine::Machine;
use crate::error::AppResult;

pub async fn save(conn: &mut AnyConnection, ticket_id: i64, m: &Machine) -> AppResult<()> {
    let details = serde_json::to_string(&m.state).unwrap_or_else(|_| "{}".into());
    sqlx::query("INSERT INTO ticket_machines (ticket_id, details, public_ip) VALUES ($1, $2, $3)")
        .bind(ticket_id)
        .bind(details)
        .bind(&m.public_ip)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, ticket_id: i64) -> AppResult<Option<Machine>> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT details, public_ip FROM ticket_machines WHERE ticket_id = $1")
            .bind(ticket_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(details, public_ip)| Machine {
        // Written by `save` from a checked block; a row that no longer parses shows empty.
        state: serde_json::from_str(&details).unwrap_or_default(),
        public_ip,
    }))
}
