//! Deterministic demo and benchmark data (`piket seed`): departments, staff, requesters,
//! categories and N tickets with replies, all from one random seed, so two runs with the same
//! seed produce the same database. Search terms of known frequency are planted for benchmarks:
//! `printer` in about a quarter of tickets, `firmware` in about 1 %, `kalibrasi` in about 0.01 %.
//! Tickets 1 to 10 have exactly 20 replies each.

mod store;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::db::Backend;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::tickets::STATUSES;

pub const DEPARTMENTS: &[&str] = &["Network", "Hardware", "Software", "Accounts", "Facilities"];
const CATEGORIES: &[&str] = &[
    "Printer",
    "Laptop",
    "Email",
    "VPN",
    "Wi-Fi",
    "Phone",
    "Access",
    "Software install",
    "Server",
    "Other",
];
const WORDS: &[&str] = &[
    "the",
    "screen",
    "user",
    "cannot",
    "login",
    "after",
    "update",
    "network",
    "slow",
    "error",
    "message",
    "office",
    "laptop",
    "monitor",
    "keyboard",
    "mouse",
    "cable",
    "switch",
    "router",
    "password",
    "reset",
    "account",
    "locked",
    "email",
    "outlook",
    "calendar",
    "meeting",
    "room",
    "projector",
    "battery",
    "charger",
    "dock",
    "usb",
    "drive",
    "backup",
    "restore",
    "file",
    "share",
    "folder",
    "permission",
    "denied",
    "server",
    "restart",
    "service",
    "down",
    "vpn",
    "token",
    "phone",
    "headset",
    "audio",
    "camera",
    "teams",
    "zoom",
    "install",
    "license",
    "expired",
    "renew",
    "antivirus",
    "warning",
    "popup",
    "browser",
    "chrome",
    "certificate",
    "invalid",
    "wifi",
    "signal",
    "weak",
    "floor",
    "building",
    "desk",
    "new",
    "employee",
    "onboarding",
    "offboarding",
    "access",
    "card",
    "door",
    "badge",
    "scanner",
    "paper",
    "jam",
    "toner",
    "tray",
    "driver",
    "blue",
    "crash",
    "freeze",
    "boot",
    "disk",
    "full",
    "memory",
    "upgrade",
    "request",
    "urgent",
    "please",
    "help",
    "since",
    "morning",
    "yesterday",
    "again",
];
const TITLE_HEADS: &[&str] = &[
    "Cannot",
    "Slow",
    "Broken",
    "Request:",
    "Problem with",
    "Need",
    "Error on",
    "No",
    "Help with",
    "Question about",
];

/// How many of each thing to make.
pub struct Plan {
    pub tickets: u64,
    pub seed: u64,
}

#[derive(Debug, Default)]
pub struct Report {
    pub tickets: u64,
    pub comments: u64,
    pub users: u64,
}

/// One generated ticket row.
pub struct GenTicket {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub requester_id: i64,
    pub department_id: i64,
    pub category_id: i64,
    pub priority: i64,
    pub status: &'static str,
    pub assignee_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub comments: Vec<GenComment>,
}

pub struct GenComment {
    pub author_id: i64,
    pub body: String,
    pub internal: bool,
    pub created_at: i64,
}

/// Between `min` and `max` (exclusive) words.
fn words_between(rng: &mut StdRng, min: usize, max: usize) -> String {
    let n = rng.random_range(min..max);
    words(rng, n)
}

fn words(rng: &mut StdRng, n: usize) -> String {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        // Skewed towards the first words: a rough Zipf shape.
        let x: f64 = rng.random();
        let i = ((x * x * x) * WORDS.len() as f64) as usize;
        out.push(WORDS[i.min(WORDS.len() - 1)]);
    }
    out.join(" ")
}

/// The planted search terms, by frequency.
fn plant(rng: &mut StdRng, text: &mut String) {
    if rng.random_bool(0.25) {
        text.push_str(" printer");
    }
    if rng.random_bool(0.01) {
        text.push_str(" firmware");
    }
    if rng.random_bool(0.0001) {
        text.push_str(" kalibrasi");
    }
}

struct People {
    /// Technician ids per department index.
    techs: Vec<Vec<i64>>,
    requesters: Vec<i64>,
    departments: Vec<i64>,
    categories: Vec<i64>,
}

fn ticket(rng: &mut StdRng, id: i64, people: &People, start: i64, step: i64) -> GenTicket {
    let d = rng.random_range(0..people.departments.len());
    let title = format!(
        "{} {} {}",
        TITLE_HEADS[rng.random_range(0..TITLE_HEADS.len())],
        words(rng, 2),
        words(rng, 1)
    );
    let mut description = words_between(rng, 12, 40);
    plant(rng, &mut description);
    // Mostly finished work, as in a real queue that has run for a while.
    let status = match rng.random_range(0..100) {
        0..=4 => STATUSES[0],
        5..=19 => STATUSES[1],
        20..=29 => STATUSES[2],
        30..=59 => STATUSES[3],
        _ => STATUSES[4],
    };
    let techs = &people.techs[d];
    let assignee_id = (status != "new").then(|| techs[rng.random_range(0..techs.len())]);
    let created_at = start + id * step + rng.random_range(0..step.max(1));
    let replies = if id <= 10 {
        20
    } else {
        rng.random_range(0..=4)
    };
    let requester_id = people.requesters[rng.random_range(0..people.requesters.len())];
    let mut at = created_at;
    let comments = (0..replies)
        .map(|i| {
            at += rng.random_range(60_000..86_400_000);
            let staff = i % 2 == 0;
            GenComment {
                author_id: if staff {
                    assignee_id.unwrap_or(techs[0])
                } else {
                    requester_id
                },
                body: words_between(rng, 5, 30),
                internal: staff && rng.random_bool(0.2),
                created_at: at,
            }
        })
        .collect();
    GenTicket {
        id,
        title,
        description,
        requester_id,
        department_id: people.departments[d],
        category_id: people.categories[rng.random_range(0..people.categories.len())],
        priority: rng.random_range(0..4),
        status,
        assignee_id,
        created_at,
        updated_at: at,
        comments,
    }
}

/// Fill an empty ticket table. Refuses when tickets exist, so it never mixes with real data.
pub async fn run(state: &AppState, plan: &Plan) -> AppResult<Report> {
    let backend = state.db.backend;
    // One connection at a time: the check's goes back before the batches take theirs.
    let mut conn = state.db.pool.acquire().await?;
    if store::ticket_count(&mut conn).await? > 0 {
        return Err(AppError::Conflict(
            "this database already has tickets; seed an empty one".into(),
        ));
    }
    drop(conn);
    let now = state.now();
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let mut tx = state.db.begin().await?;
    let people = store::people(&mut tx, &mut rng, now).await?;
    tx.commit().await?;
    let mut report = Report {
        users: people.requesters.len() as u64
            + people.techs.iter().map(|t| t.len() as u64).sum::<u64>(),
        ..Default::default()
    };
    // Spread creation over the two years before now.
    let span = 2 * 365 * 86_400_000_i64;
    let step = (span / plan.tickets.max(1) as i64).max(1);
    let start = now - span;
    const BATCH: u64 = 500;
    let mut next = 1u64;
    while next <= plan.tickets {
        let last = (next + BATCH - 1).min(plan.tickets);
        let batch: Vec<GenTicket> = (next..=last)
            .map(|id| ticket(&mut rng, id as i64, &people, start, step))
            .collect();
        let mut tx = state.db.begin().await?;
        store::insert_tickets(&mut tx, &batch).await?;
        report.comments += store::insert_comments(&mut tx, &batch).await?;
        store::index(&mut tx, backend, &batch).await?;
        tx.commit().await?;
        report.tickets += batch.len() as u64;
        if report.tickets.is_multiple_of(50_000) {
            tracing::info!(tickets = report.tickets, "seeding");
        }
        next = last + 1;
    }
    let mut conn = state.db.pool.acquire().await?;
    if backend == Backend::Postgres {
        store::sync_sequences(&mut conn).await?;
    }
    store::analyze(&mut conn, backend).await?;
    drop(conn);
    state.db.drop_plan_samples().await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_makes_the_same_tickets() {
        let people = People {
            techs: vec![vec![1, 2]],
            requesters: vec![3, 4],
            departments: vec![1],
            categories: vec![1],
        };
        let make = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            (1..=30)
                .map(|id| {
                    let t = ticket(&mut rng, id, &people, 0, 1000);
                    format!(
                        "{}|{}|{}|{}",
                        t.title,
                        t.description,
                        t.status,
                        t.comments.len()
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(make(7), make(7));
        assert_ne!(make(7), make(8));
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(ticket(&mut rng, 3, &people, 0, 1000).comments.len(), 20);
    }
}
