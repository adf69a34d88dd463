//! Rules for canned responses: `settings.manage` keeps them; staff who work tickets list and use
//! those offered to them; requesters never see them. Filling one in for a ticket is a plain,
//! single-pass string replacement of the known placeholders: the text is never run as a template,
//! and a value that itself looks like a placeholder stays as it is.

use super::{store, written, CannedResponse, ExpandedResponse, NewCannedResponse, PLACEHOLDERS};
use crate::audit::{self, to_json, Change};
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::tickets::{self, policy};
use crate::validate::Check;

const MAX_NAME: usize = 100;

/// What the placeholders stand for in one reply.
pub struct Values<'a> {
    pub requester_name: &'a str,
    pub ticket_id: i64,
    pub ticket_title: &'a str,
    pub agent_name: &'a str,
}

/// Every `{{name}}` in `text` (spaces inside the braces allowed) as (start, end, name).
/// Only identifier characters may stand between the braces, so the scan stays linear.
fn scan(text: &str) -> Vec<(usize, usize, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text.get(from..).and_then(|rest| rest.find("{{")) {
        let start = from + at;
        let inner = start + 2;
        let rest = text.get(inner..).unwrap_or("");
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ' '))
            .unwrap_or(rest.len());
        let name = rest.get(..len).unwrap_or("").trim();
        if rest.get(len..).is_some_and(|r| r.starts_with("}}"))
            && !name.is_empty()
            && !name.contains(' ')
        {
            let end = inner + len + 2;
            found.push((start, end, name));
            from = end;
        } else {
            from = start + 1;
        }
    }
    found
}

/// The placeholders in `body` that are not ours (most likely typos).
pub fn unknown_placeholders(body: &str) -> Vec<&str> {
    let mut out: Vec<&str> = scan(body)
        .into_iter()
        .map(|(_, _, name)| name)
        .filter(|name| !PLACEHOLDERS.contains(name))
        .collect();
    out.dedup();
    out
}

/// Replace each known placeholder once; anything else is copied as written.
pub fn expand(body: &str, v: &Values<'_>) -> String {
    let number = format!("#{}", v.ticket_id);
    let mut out = String::with_capacity(body.len() + 64);
    let mut last = 0;
    for (start, end, name) in scan(body) {
        let value = match name {
            "requester_name" => v.requester_name,
            "ticket_number" => &number,
            "ticket_title" => v.ticket_title,
            "agent_name" => v.agent_name,
            _ => continue,
        };
        out.push_str(body.get(last..start).unwrap_or(""));
        out.push_str(value);
        last = end;
    }
    out.push_str(body.get(last..).unwrap_or(""));
    out
}

/// Whether a canned response is offered to this (staff) actor: unrestricted ones to all staff,
/// a department's to those who reach that department.
fn offered_to(actor: &Actor, c: &CannedResponse) -> bool {
    policy::is_staff(actor) && c.department_id.is_none_or(|d| actor.reaches(&[d], None))
}

/// The admin list (`settings.manage`: all of them) or, for staff, those offered to them.
pub async fn list(state: &AppState, actor: &Actor) -> AppResult<Vec<CannedResponse>> {
    let manage = actor.can("settings.manage");
    if !(manage || policy::is_staff(actor)) {
        return Err(AppError::Forbidden);
    }
    let mut conn = state.db.pool.acquire().await?;
    let all = store::all(&mut conn).await?;
    Ok(if manage {
        all
    } else {
        all.into_iter().filter(|c| offered_to(actor, c)).collect()
    })
}

/// The choices of a reply box: what this actor may insert (nothing for requesters).
pub async fn offered(state: &AppState, actor: &Actor) -> AppResult<Vec<CannedResponse>> {
    if !policy::is_staff(actor) {
        return Ok(Vec::new());
    }
    let all = state
        .parts
        .get::<crate::canned::Cache>()
        .get_or_load(state.now(), || async {
            let mut conn = state.db.pool.acquire().await?;
            store::all(&mut conn).await
        })
        .await?;
    Ok(all
        .iter()
        .filter(|c| offered_to(actor, c))
        .cloned()
        .collect())
}

pub async fn get(state: &AppState, actor: &Actor, id: i64) -> AppResult<CannedResponse> {
    let manage = actor.can("settings.manage");
    if !(manage || policy::is_staff(actor)) {
        return Err(AppError::Forbidden);
    }
    let mut conn = state.db.pool.acquire().await?;
    let c = store::get(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    if manage || offered_to(actor, &c) {
        Ok(c)
    } else {
        Err(AppError::NotFound)
    }
}

/// A canned response filled in for a ticket the actor sees (else 404) by the actor replying.
pub async fn expand_for_ticket(
    state: &AppState,
    actor: &Actor,
    ticket_id: i64,
    canned_id: i64,
) -> AppResult<ExpandedResponse> {
    // A ticket out of reach is a 404 first, for requesters too.
    let ticket = tickets::service::get(state, actor, ticket_id).await?;
    if !policy::is_staff(actor) {
        return Err(AppError::Forbidden);
    }
    let c = {
        let mut conn = state.db.pool.acquire().await?;
        store::get(&mut conn, canned_id).await?
    }
    .filter(|c| offered_to(actor, c))
    .ok_or(AppError::NotFound)?;
    let t = &ticket.summary;
    let values = Values {
        requester_name: &t.requester_name,
        ticket_id: t.id,
        ticket_title: &t.title,
        agent_name: &actor.name,
    };
    Ok(ExpandedResponse {
        canned_id: c.id,
        ticket_id: t.id,
        body: expand(&c.body, &values),
        name: c.name,
    })
}

/// Create (`id` = None) or replace a canned response.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    id: Option<i64>,
    input: NewCannedResponse,
) -> AppResult<CannedResponse> {
    actor.require("settings.manage")?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = match id {
        Some(id) => Some(store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?),
        None => None,
    };
    let mut c = Check::new();
    let name = c.text("name", &input.name, 1, MAX_NAME);
    let body = c.text("body", &input.body, 1, tickets::model::MAX_TEXT);
    let unknown = unknown_placeholders(&body);
    if !unknown.is_empty() {
        let list = |names: &[&str]| {
            names
                .iter()
                .map(|n| written(n))
                .collect::<Vec<_>>()
                .join(", ")
        };
        c.fail(
            "body",
            format!(
                "unknown placeholder {}; use {}",
                list(&unknown),
                list(PLACEHOLDERS)
            ),
        );
    }
    if let Some(d) = input.department_id {
        if !crate::departments::service::exists(&mut tx, d).await? {
            c.fail("department_id", "no such department");
        }
    }
    c.finish()?;
    if store::name_taken(&mut tx, &name, id.unwrap_or(0)).await? {
        return Err(AppError::Conflict(format!(
            "a canned response named {name} exists"
        )));
    }
    let id = match id {
        Some(id) => {
            store::update(&mut tx, id, &name, &body, input.department_id, now).await?;
            id
        }
        None => store::insert(&mut tx, &name, &body, input.department_id, now).await?,
    };
    let after = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let change = Change {
        action: if before.is_some() {
            "canned_response.update"
        } else {
            "canned_response.create"
        },
        object_kind: "canned_response",
        object_id: Some(id),
        before: before.as_ref().and_then(to_json),
        after: to_json(&after),
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    state.parts.get::<crate::canned::Cache>().invalidate();
    Ok(after)
}

pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> AppResult<()> {
    actor.require("settings.manage")?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    store::delete(&mut tx, id).await?;
    let change = Change {
        action: "canned_response.delete",
        object_kind: "canned_response",
        object_id: Some(id),
        before: to_json(&before),
        after: None,
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    state.parts.get::<crate::canned::Cache>().invalidate();
    Ok(())
}

/// The admin page (the list and its form) is for `settings.manage`.
pub async fn admin_list(state: &AppState, actor: &Actor) -> AppResult<Vec<CannedResponse>> {
    actor.require("settings.manage")?;
    list(state, actor).await
}

/// A canned response for the admin page's edit form.
pub async fn for_edit(state: &AppState, actor: &Actor, id: i64) -> AppResult<CannedResponse> {
    actor.require("settings.manage")?;
    get(state, actor, id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<'a>(requester: &'a str) -> Values<'a> {
        Values {
            requester_name: requester,
            ticket_id: 1042,
            ticket_title: "Printer jams",
            agent_name: "Tono",
        }
    }

    #[test]
    fn fills_every_placeholder_once_and_leaves_other_text_alone() {
        let body = "Hi {{requester_name}}, about {{ ticket_number }} ({{ticket_title}}): \
                    done. {{agent_name}} {{ not a placeholder }} {{{agent_name}}} {{";
        assert_eq!(
            expand(body, &values("Rina")),
            "Hi Rina, about #1042 (Printer jams): done. Tono {{ not a placeholder }} {Tono} {{"
        );
    }

    #[test]
    fn values_are_not_expanded_again_nor_escaped() {
        let sneaky = "<script>x</script> {{agent_name}}";
        assert_eq!(
            expand("Dear {{requester_name}}", &values(sneaky)),
            format!("Dear {sneaky}")
        );
    }

    #[test]
    fn finds_unknown_placeholders_but_not_braces_in_prose() {
        assert_eq!(
            unknown_placeholders("{{requester}} {{ticket_number}} {{x_y}} {{ a b }} {x}"),
            vec!["requester", "x_y"]
        );
        assert!(unknown_placeholders("{{agent_name}}").is_empty());
        // A long run of braces or identifier characters is scanned once, not per brace.
        let long = "{".repeat(50_000) + &"a".repeat(50_000);
        assert!(unknown_placeholders(&long).is_empty());
    }
}
