//! SLA through the real router on SQLite (and PostgreSQL when configured): policies and the
//! calendar over the API and the admin page, due times in business hours, pauses, at-risk and
//! breached states, and the escalation job emailing the department's managers exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::sync::atomic::Ordering;

use axum::http::{Method, StatusCode};
use common::desk::{new_desk, Dept};
use common::{Browser, TestApp};
use piket_server::clock::parse_ms;
use serde_json::{json, Value};

const PASSWORD: &str = "a-long-test-password";

/// Pin the clock to a local WIB time written as RFC 3339.
fn at(app: &TestApp, rfc3339: &str) {
    app.clock
        .0
        .store(parse_ms(rfc3339).unwrap(), Ordering::SeqCst);
}

const MINUTE: i64 = 60_000;

struct Desk {
    app: TestApp,
    admin: String,
    it: i64,
    hr: i64,
    tech: String,
    alice: (i64, String),
}

async fn desk() -> Desk {
    let d = new_desk()
        .hr()
        .keyed("tech", "technician", Dept::It)
        .keyed("alice", "requester", Dept::It)
        .build()
        .await;
    Desk {
        tech: d.key("tech"),
        alice: d.person("alice"),
        admin: d.admin,
        it: d.it,
        hr: d.hr,
        app: d.app,
    }
}

impl Desk {
    async fn policy(&self, priority: &str, first: Option<i64>, resolution: Option<i64>) {
        let r = self
            .app
            .json(
                Method::PUT,
                &format!("/api/v1/sla/policies/{priority}"),
                &self.admin,
                json!({"first_response_minutes": first, "resolution_minutes": resolution}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    async fn ticket(&self, key: &str, body: Value) -> Value {
        let r = self
            .app
            .json(Method::POST, "/api/v1/tickets", key, body)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.json()
    }
    async fn get(&self, id: i64) -> Value {
        let r = self
            .app
            .get(&format!("/api/v1/tickets/{id}"), &self.tech)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()
    }
    async fn patch(&self, id: i64, body: Value) -> Value {
        let r = self
            .app
            .json(
                Method::PATCH,
                &format!("/api/v1/tickets/{id}"),
                &self.tech,
                body,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()
    }
    async fn ids(&self, query: &str) -> Vec<i64> {
        let r = self
            .app
            .get(&format!("/api/v1/tickets?{query}"), &self.tech)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect()
    }
    async fn outbox_to(&self, email: &str) -> Vec<(String, String)> {
        let mut conn = self.app.state.db.pool.acquire().await.unwrap();
        sqlx::query_as("SELECT subject, body FROM outbox WHERE recipient = $1 ORDER BY id")
            .bind(email)
            .fetch_all(&mut *conn)
            .await
            .unwrap()
    }
}

/// The scheduler's jobs less the others (`attachments.sweep`), so that counts of runs are the
/// escalation's.
fn sla_jobs() -> Vec<piket_server::jobs::Job> {
    piket_server::periodic_jobs()
        .into_iter()
        .filter(|j| j.name == "sla.escalate")
        .collect()
}

#[tokio::test]
async fn policies_are_set_through_the_api_validated_and_audited() {
    let d = desk().await;
    let r = d.app.get("/api/v1/sla/policies", &d.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let items = r.json()["items"].as_array().unwrap().clone();
    let names: Vec<&str> = items
        .iter()
        .map(|p| p["priority"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["low", "normal", "high", "urgent"]);
    assert!(items.iter().all(|p| p["resolution_minutes"].is_null()));

    d.policy("high", Some(60), Some(480)).await;
    assert_eq!(d.app.audit_count("sla.policy.update").await, 1);
    // Setting the same values again changes nothing and writes no audit entry.
    d.policy("high", Some(60), Some(480)).await;
    assert_eq!(d.app.audit_count("sla.policy.update").await, 1);

    for bad in [
        json!({"first_response_minutes": 0}),
        json!({"resolution_minutes": -5}),
        json!({"resolution_minutes": 10_000_000}),
    ] {
        let r = d
            .app
            .json(Method::PUT, "/api/v1/sla/policies/high", &d.admin, bad)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.header("content-type").contains("problem+json"));
    }
    let r = d
        .app
        .json(
            Method::PUT,
            "/api/v1/sla/policies/high",
            &d.admin,
            json!({"minutes": 5}),
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.body);
    let r = d
        .app
        .json(
            Method::PUT,
            "/api/v1/sla/policies/soon",
            &d.admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Nothing above changed the policy.
    let r = d.app.get("/api/v1/sla/policies", &d.admin).await;
    assert_eq!(r.json()["items"][2]["first_response_minutes"], 60);
    assert_eq!(r.json()["items"][2]["resolution_minutes"], 480);
    assert_eq!(d.app.audit_count("sla.policy.update").await, 1);

    // Staff may read the targets; only settings.manage changes them; requesters see nothing.
    assert_eq!(
        d.app.get("/api/v1/sla/policies", &d.tech).await.status,
        StatusCode::OK
    );
    let r = d
        .app
        .json(
            Method::PUT,
            "/api/v1/sla/policies/high",
            &d.tech,
            json!({"first_response_minutes": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        d.app.get("/api/v1/sla/policies", &d.alice.1).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        d.app.get("/api/v1/sla/calendar", &d.alice.1).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_friday_afternoon_ticket_is_due_monday_morning() {
    let d = desk().await;
    d.policy("normal", Some(120), Some(540)).await;
    at(&d.app, "2026-11-27T16:00:00+07:00"); // Friday
    let t = d.ticket(&d.alice.1, json!({"title": "VPN down"})).await;
    // Friday 16:00-17:00, then Monday from 08:00 WIB (= 01:00 UTC).
    assert_eq!(t["first_response_due_at"], "2026-11-30T02:00:00Z");
    assert_eq!(t["resolution_due_at"], "2026-11-30T09:00:00Z");
    assert_eq!(t["sla_state"], "ok");
    // A priority without a policy has no due times and no state.
    let none = d
        .ticket(&d.alice.1, json!({"title": "Mouse", "priority": "low"}))
        .await;
    assert!(none["first_response_due_at"].is_null());
    assert!(none["sla_state"].is_null());
    // Changing the priority recomputes from the new policy (counted from creation).
    d.policy("urgent", Some(30), None).await;
    let id = t["id"].as_i64().unwrap();
    let t = d.patch(id, json!({"priority": "urgent"})).await;
    assert_eq!(t["first_response_due_at"], "2026-11-27T09:30:00Z");
    assert!(t["resolution_due_at"].is_null());

    // With Monday a holiday in the calendar, a new ticket is due Tuesday.
    let week: Vec<Value> = ["mon", "tue", "wed", "thu", "fri"]
        .iter()
        .map(|day| json!({"day": day, "start": "08:00", "end": "17:00"}))
        .collect();
    let r = d
        .app
        .json(
            Method::PUT,
            "/api/v1/sla/calendar",
            &d.admin,
            json!({"utc_offset_minutes": 420,
                   "hours": week,
                   "holidays": [{"date": "2026-11-30", "name": "Cuti bersama"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let t = d.ticket(&d.alice.1, json!({"title": "Wi-Fi"})).await;
    assert_eq!(t["first_response_due_at"], "2026-12-01T02:00:00Z");
}

#[tokio::test]
async fn pending_stops_the_clock_and_moves_the_due_time() {
    let d = desk().await;
    d.policy("normal", Some(240), Some(1080)).await;
    at(&d.app, "2026-11-30T09:00:00+07:00"); // Monday
    let t = d.ticket(&d.alice.1, json!({"title": "Laptop slow"})).await;
    let id = t["id"].as_i64().unwrap();
    assert_eq!(t["first_response_due_at"], "2026-11-30T06:00:00Z"); // 13:00 WIB

    at(&d.app, "2026-11-30T10:00:00+07:00");
    d.patch(id, json!({"status": "pending"})).await;
    // A day later, past the original due time: while pending, the clock stands still.
    at(&d.app, "2026-12-01T10:00:00+07:00");
    let t = d.get(id).await;
    assert_eq!(t["sla_state"], "ok");
    assert_eq!(t["first_response_due_at"], "2026-11-30T06:00:00Z");
    assert_eq!(d.ids("sla=breached").await, Vec::<i64>::new());
    // The requester replies: the ticket leaves pending and the due times move by the
    // 9 business hours it was paused.
    let r = d
        .app
        .json(
            Method::POST,
            &format!("/api/v1/tickets/{id}/comments"),
            &d.alice.1,
            json!({"body": "Still slow"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let t = d.get(id).await;
    assert_eq!(t["status"], "open");
    assert_eq!(t["first_response_due_at"], "2026-12-01T06:00:00Z"); // Tuesday 13:00 WIB
                                                                    // 18 business hours from Monday 09:00 is Wednesday 09:00, moved to Thursday 09:00 WIB.
    assert_eq!(t["resolution_due_at"], "2026-12-03T02:00:00Z");
    assert_eq!(t["sla_state"], "ok");

    // A second pause through the API, resumed by staff: moves again; a priority change then
    // keeps the time already paused.
    d.patch(id, json!({"status": "pending"})).await;
    at(&d.app, "2026-12-01T11:00:00+07:00");
    let t = d.patch(id, json!({"status": "open"})).await;
    assert_eq!(t["first_response_due_at"], "2026-12-01T07:00:00Z");
    d.policy("high", Some(240), None).await;
    let t = d.patch(id, json!({"priority": "high"})).await;
    assert_eq!(t["first_response_due_at"], "2026-12-01T07:00:00Z");
}

#[tokio::test]
async fn at_risk_then_breached_as_time_passes() {
    let d = desk().await;
    d.policy("normal", Some(100), None).await;
    at(&d.app, "2026-11-30T09:00:00+07:00");
    let t = d.ticket(&d.alice.1, json!({"title": "Printer"})).await;
    let id = t["id"].as_i64().unwrap();
    let state = |v: &Value| v["sla_state"].as_str().map(str::to_string);
    d.app.clock.advance_ms(79 * MINUTE);
    assert_eq!(state(&d.get(id).await).as_deref(), Some("ok"));
    // Less than 20 % of the 100 minutes left.
    assert_eq!(d.ids("sla=at_risk").await, Vec::<i64>::new());
    assert_eq!(d.ids("sla=ok").await, [id]);
    d.app.clock.advance_ms(2 * MINUTE);
    assert_eq!(state(&d.get(id).await).as_deref(), Some("at_risk"));
    assert_eq!(d.ids("sla=at_risk").await, [id]);
    assert_eq!(d.ids("sla=breached").await, Vec::<i64>::new());
    d.app.clock.advance_ms(20 * MINUTE);
    assert_eq!(state(&d.get(id).await).as_deref(), Some("breached"));
    assert_eq!(d.ids("sla=at_risk").await, Vec::<i64>::new());
    assert_eq!(d.ids("sla=breached&status=new").await, [id]);
    assert_eq!(d.ids("sla=ok").await, Vec::<i64>::new());
    let r = d.app.get("/api/v1/tickets?sla=late", &d.tech).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Lists carry the state too, and the list page shows the badge.
    let r = d.app.get("/api/v1/tickets", &d.tech).await;
    assert_eq!(r.json()["items"][0]["sla_state"], "breached");
    let mut b = Browser::new(&d.app);
    b.get("/login").await;
    let r = b
        .post(
            "/login",
            &[("email", "tech@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = b.get("/tickets?sla=breached").await;
    assert!(page.body.contains("sla-breached"), "{}", page.body);
    assert!(page.body.contains("name=\"sla\" value=\"breached\""));
    let page = b.get(&format!("/tickets/{id}")).await;
    assert!(page.body.contains("id=\"sla-badge\""));
    assert!(page.body.contains("id=\"first-response-due\""));
    // The requester's page shows neither the badge nor the internal due times.
    let mut a = Browser::new(&d.app);
    a.get("/login").await;
    a.post(
        "/login",
        &[("email", "alice@example.com"), ("password", PASSWORD)],
    )
    .await;
    let page = a.get(&format!("/tickets/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("sla-badge") && !page.body.contains("first-response-due"));
    assert!(!a.get("/tickets").await.body.contains("sla-breached"));
    // A staff reply is the first response: the target is met, no state remains.
    let r = d
        .app
        .json(
            Method::POST,
            &format!("/api/v1/tickets/{id}/comments"),
            &d.tech,
            json!({"body": "Looking"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(d.get(id).await["sla_state"].is_null());
}

#[tokio::test]
async fn escalation_emails_the_department_managers_exactly_once() {
    let d = desk().await;
    d.app
        .user("manager@example.com", "manager", vec![d.it])
        .await;
    d.app
        .user("hrmanager@example.com", "manager", vec![d.hr])
        .await;
    d.policy("normal", None, Some(60)).await;
    at(&d.app, "2026-11-30T09:00:00+07:00");
    let t = d
        .ticket(
            &d.alice.1,
            json!({"title": "Server room hot", "department": d.it}),
        )
        .await;
    let id = t["id"].as_i64().unwrap();
    let other = d
        .ticket(
            &d.alice.1,
            json!({"title": "Not yet due", "department": d.it, "priority": "high"}),
        )
        .await;
    let now = d.app.state.now();
    assert_eq!(
        piket_server::sla::escalate::run(&d.app.state, now)
            .await
            .unwrap(),
        0
    );
    // The requester and technician already have their ticket notifications; escalation adds none.
    let alice_before = d.outbox_to("alice@example.com").await.len();
    let tech_before = d.outbox_to("tech@example.com").await.len();
    d.app.clock.advance_ms(61 * MINUTE);
    let now = d.app.state.now();
    assert_eq!(
        piket_server::sla::escalate::run(&d.app.state, now)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        piket_server::sla::escalate::run(&d.app.state, now)
            .await
            .unwrap(),
        0
    );
    let mail = d.outbox_to("manager@example.com").await;
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert!(mail[0].0.contains(&format!("#{id}")), "{}", mail[0].0);
    assert!(mail[0]
        .1
        .contains(&format!("http://piket.test/tickets/{id}")));
    assert!(d.outbox_to("hrmanager@example.com").await.is_empty());
    assert_eq!(d.outbox_to("alice@example.com").await.len(), alice_before);
    {
        // The manager also finds it on the notifications page (kind `sla`); nobody else does.
        let mut conn = d.app.state.db.pool.acquire().await.unwrap();
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT u.email, n.ticket_id FROM notifications n JOIN users u ON u.id = n.user_id \
             WHERE n.kind = 'sla'",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        assert_eq!(rows, vec![("manager@example.com".to_string(), id)]);
    }
    assert_eq!(d.outbox_to("tech@example.com").await.len(), tech_before);

    // Staff see the escalation in the history; the requester does not.
    let staff: Value = d
        .app
        .get(&format!("/api/v1/tickets/{id}/history"), &d.tech)
        .await
        .json();
    assert!(staff["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["field"] == "sla_escalated"));
    let requester = d
        .app
        .get(&format!("/api/v1/tickets/{id}/history"), &d.alice.1)
        .await;
    assert_eq!(requester.status, StatusCode::OK);
    assert!(
        !requester.body.contains("sla_escalated"),
        "{}",
        requester.body
    );
    let untouched = d.get(other["id"].as_i64().unwrap()).await;
    assert!(untouched["sla_state"].is_null());

    // Through the scheduler: the job runs once per period, and escalates nothing twice.
    let jobs = sla_jobs();
    assert_eq!(
        piket_server::jobs::run_due(&d.app.state, &jobs)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        piket_server::jobs::run_due(&d.app.state, &jobs)
            .await
            .unwrap(),
        0
    );
    d.app.clock.advance_ms(61_000);
    assert_eq!(
        piket_server::jobs::run_due(&d.app.state, &jobs)
            .await
            .unwrap(),
        1
    );
    assert_eq!(d.outbox_to("manager@example.com").await.len(), 1);
    let ran_at = d.app.state.now();

    // Two nodes running the job at the same moment escalate a new breach once between them.
    let late = d
        .ticket(
            &d.alice.1,
            json!({"title": "Also late", "department": d.it}),
        )
        .await;
    d.app.clock.advance_ms(61 * MINUTE);
    let now = d.app.state.now();
    let (a, b) = tokio::join!(
        piket_server::sla::escalate::run(&d.app.state, now),
        piket_server::sla::escalate::run(&d.app.state, now)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    let mail = d.outbox_to("manager@example.com").await;
    assert_eq!(mail.len(), 2);
    assert!(mail[1].0.contains(&format!("#{}", late["id"])));
    let mut conn = d.app.state.db.pool.acquire().await.unwrap();
    let (attempts, last_run): (i64, Option<i64>) =
        sqlx::query_as("SELECT attempts, last_run_at FROM jobs WHERE name = 'sla.escalate'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(attempts, 0);
    assert_eq!(last_run, Some(ran_at));
}

/// Each target is escalated on its own: a late first response, then a late resolution; a
/// target moved into the future by a new priority is escalated again once missed.
#[tokio::test]
async fn each_missed_target_is_escalated_once() {
    let d = desk().await;
    d.app
        .user("manager@example.com", "manager", vec![d.it])
        .await;
    d.policy("normal", Some(30), Some(120)).await;
    d.policy("low", Some(30), Some(600)).await;
    at(&d.app, "2026-11-30T09:00:00+07:00");
    let t = d
        .ticket(
            &d.alice.1,
            json!({"title": "Printer offline", "department": d.it}),
        )
        .await;
    let id = t["id"].as_i64().unwrap();
    let run = || async {
        let now = d.app.state.now();
        piket_server::sla::escalate::run(&d.app.state, now)
            .await
            .unwrap()
    };
    let targets = || async {
        let h: Value = d
            .app
            .get(&format!("/api/v1/tickets/{id}/history"), &d.tech)
            .await
            .json();
        h["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["field"] == "sla_escalated")
            .map(|e| e["new_value"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    d.app.clock.advance_ms(31 * MINUTE);
    assert_eq!((run().await, run().await), (1, 0));
    d.app.clock.advance_ms(90 * MINUTE);
    assert_eq!((run().await, run().await), (1, 0));
    assert_eq!(targets().await, vec!["first_response", "resolution"]);
    let mail = d.outbox_to("manager@example.com").await;
    assert_eq!(mail.len(), 2, "{mail:?}");
    assert!(
        mail[0].1.contains("first response due time"),
        "{}",
        mail[0].1
    );
    assert!(mail[1].1.contains("resolution due time"), "{}", mail[1].1);

    // A lower priority gives the ticket a later resolution target: a new one to escalate once
    // missed. The first response, still late, is not escalated again.
    let r = d
        .app
        .json(
            Method::PATCH,
            &format!("/api/v1/tickets/{id}"),
            &d.admin,
            json!({"priority": "low"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(run().await, 0);
    // 600 business minutes: past the next working day's end.
    d.app.clock.advance_ms(2 * 24 * 60 * MINUTE);
    assert_eq!((run().await, run().await), (1, 0));
    assert_eq!(
        targets().await,
        vec!["first_response", "resolution", "resolution"]
    );
    assert_eq!(d.outbox_to("manager@example.com").await.len(), 3);
}

#[tokio::test]
async fn a_job_held_by_another_node_is_left_alone_until_its_lease_expires() {
    let d = desk().await;
    let jobs = sla_jobs();
    assert_eq!(
        piket_server::jobs::run_due(&d.app.state, &jobs)
            .await
            .unwrap(),
        1
    );
    // Another node claimed it (lease in the future) and is still running it.
    let now = d.app.state.now();
    let mut conn = d.app.state.db.pool.acquire().await.unwrap();
    sqlx::query("UPDATE jobs SET next_run_at = $1, locked_until = $2 WHERE name = 'sla.escalate'")
        .bind(now)
        .bind(now + 5 * MINUTE)
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    assert_eq!(
        piket_server::jobs::run_due(&d.app.state, &jobs)
            .await
            .unwrap(),
        0
    );
    // That node died: after the lease, this node takes over.
    d.app.clock.advance_ms(5 * MINUTE + 1);
    assert_eq!(
        piket_server::jobs::run_due(&d.app.state, &jobs)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn bad_calendar_input_is_422_and_changes_nothing() {
    let d = desk().await;
    let before = d.app.get("/api/v1/sla/calendar", &d.admin).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.body);
    let default = before.json();
    assert_eq!(default["utc_offset_minutes"], 420);
    assert_eq!(default["hours"].as_array().unwrap().len(), 5);
    let hours = |start: &str, end: &str| json!([{"day": "mon", "start": start, "end": end}]);
    for (body, field) in [
        (
            json!({"utc_offset_minutes": 420, "hours": hours("17:00", "08:00")}),
            "hours.mon",
        ),
        (
            json!({"utc_offset_minutes": 420, "hours": hours("08:00", "25:00")}),
            "hours.mon",
        ),
        (
            json!({"utc_offset_minutes": 420, "hours": hours("8am", "17:00")}),
            "hours.mon",
        ),
        (json!({"utc_offset_minutes": 420, "hours": []}), "hours"),
        (
            json!({"utc_offset_minutes": 420, "hours": [{"day": "funday", "start": "08:00", "end": "09:00"}]}),
            "hours",
        ),
        (
            json!({"utc_offset_minutes": 9999, "hours": hours("08:00", "17:00")}),
            "utc_offset_minutes",
        ),
        (
            json!({"utc_offset_minutes": 420, "hours": hours("08:00", "17:00"),
                "holidays": [{"date": "2026-02-30", "name": "x"}]}),
            "holidays",
        ),
        (
            json!({"utc_offset_minutes": 420, "hours": hours("08:00", "17:00"),
                "holidays": [{"date": "25/12/2026"}]}),
            "holidays",
        ),
        (
            json!({"utc_offset_minutes": 420, "hours": hours("08:00", "17:00"),
                "holidays": [{"date": "2026-12-25"}, {"date": "2026-12-25"}]}),
            "holidays",
        ),
    ] {
        let r = d
            .app
            .json(Method::PUT, "/api/v1/sla/calendar", &d.admin, body.clone())
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.body
        );
        assert!(r.body.contains(field), "{body}: {}", r.body);
    }
    let r = d
        .app
        .json(
            Method::PUT,
            "/api/v1/sla/calendar",
            &d.admin,
            json!({"hours": "all"}),
        )
        .await;
    assert!(r.status.is_client_error());
    assert_eq!(
        d.app.get("/api/v1/sla/calendar", &d.admin).await.json(),
        default
    );
    assert_eq!(d.app.audit_count("sla.calendar.update").await, 0);

    // A good one is saved normalised and audited; only settings.manage may save.
    let body = json!({"utc_offset_minutes": 480, "hours": [
        {"day": "sat", "start": "09:00", "end": "13:00"},
        {"day": "MON", "start": "08:00", "end": "24:00"}],
        "holidays": [{"date": "2027-01-01", "name": "Tahun Baru"}, {"date": "2026-12-25", "name": "Natal"}]});
    let r = d
        .app
        .json(Method::PUT, "/api/v1/sla/calendar", &d.tech, body.clone())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = d
        .app
        .json(Method::PUT, "/api/v1/sla/calendar", &d.admin, body)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let saved = d.app.get("/api/v1/sla/calendar", &d.admin).await.json();
    assert_eq!(saved["hours"][0]["day"], "mon");
    assert_eq!(saved["hours"][0]["end"], "24:00");
    assert_eq!(saved["holidays"][0]["date"], "2026-12-25");
    assert_eq!(d.app.audit_count("sla.calendar.update").await, 1);
}

#[tokio::test]
async fn the_admin_page_saves_policies_and_calendar_and_shows_field_errors() {
    let d = desk().await;
    let mut b = Browser::new(&d.app);
    b.get("/login").await;
    let r = b
        .post(
            "/login",
            &[("email", "root@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = b.get("/admin/sla").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("name=\"first_response_minutes.urgent\""));
    assert!(page.body.contains("The job has not run yet"));
    piket_server::jobs::run_due(&d.app.state, &piket_server::periodic_jobs())
        .await
        .unwrap();
    let page = b.get("/admin/sla").await;
    assert!(page.body.contains("Last run: <time"), "{}", page.body);

    let r = b
        .post(
            "/admin/sla/policies",
            &[
                ("first_response_minutes.urgent", "soon"),
                ("resolution_minutes.urgent", "240"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("must be a whole number of minutes"),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"soon\""));
    let r = b
        .post(
            "/admin/sla/policies",
            &[
                ("first_response_minutes.urgent", "30"),
                ("resolution_minutes.urgent", "240"),
                ("first_response_minutes.low", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let p = d.app.get("/api/v1/sla/policies", &d.admin).await.json();
    assert_eq!(p["items"][3]["first_response_minutes"], 30);
    assert_eq!(p["items"][3]["resolution_minutes"], 240);
    assert_eq!(d.app.audit_count("sla.policy.update").await, 1);

    let r = b
        .post(
            "/admin/sla/calendar",
            &[
                ("utc_offset_minutes", " "),
                ("start.mon", "08:00"),
                ("end.mon", "16:00"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("is required"), "{}", r.body);
    let r = b
        .post(
            "/admin/sla/calendar",
            &[
                ("utc_offset_minutes", "420"),
                ("start.mon", "17:00"),
                ("end.mon", "08:00"),
                ("holidays", "2026-12-25 Natal"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("must end after it starts"), "{}", r.body);
    let r = b
        .post(
            "/admin/sla/calendar",
            &[
                ("utc_offset_minutes", "420"),
                ("start.mon", "08:00"),
                ("end.mon", "16:00"),
                ("start.sat", "09:00"),
                ("end.sat", "12:00"),
                ("holidays", "2026-12-25 Natal\n\n2027-01-01"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let c = d.app.get("/api/v1/sla/calendar", &d.admin).await.json();
    assert_eq!(c["hours"].as_array().unwrap().len(), 2);
    assert_eq!(c["holidays"][0]["name"], "Natal");
    assert_eq!(c["holidays"][1]["date"], "2027-01-01");

    // Technicians do not get the page.
    let mut t = Browser::new(&d.app);
    t.get("/login").await;
    t.post(
        "/login",
        &[("email", "tech@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(t.get("/admin/sla").await.status, StatusCode::FORBIDDEN);
}

/// The escalation job runs every minute over every ticket: its query must reach breaches
/// through the two partial indexes of due times, never by reading the tickets table through
/// (which took 2 s on a million tickets, 5 000 times the indexed lookup).
#[tokio::test]
async fn the_escalation_query_goes_through_its_due_time_indexes() {
    use piket_server::db::Backend;
    use piket_server::sla::BREACHES;
    let app = TestApp::new().await;
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    let plan: Vec<String> = match app.state.db.backend {
        Backend::Sqlite => {
            let explain = format!("EXPLAIN QUERY PLAN {BREACHES}");
            let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(explain))
                .bind(0_i64)
                .bind(100_i64)
                .fetch_all(&mut *conn)
                .await
                .unwrap();
            rows.into_iter().map(|r| r.3).collect()
        }
        Backend::Postgres => {
            // A table this small would be read through; forbidding that shows whether the
            // indexes can answer the query at all (their conditions must follow from its own).
            sqlx::query("SET enable_seqscan = off")
                .execute(&mut *conn)
                .await
                .unwrap();
            let explain = format!("EXPLAIN {BREACHES}");
            sqlx::query_scalar(sqlx::AssertSqlSafe(explain))
                .bind(0_i64)
                .bind(100_i64)
                .fetch_all(&mut *conn)
                .await
                .unwrap()
        }
    };
    let text = plan.join("\n");
    for index in ["tickets_sla_resolution_due", "tickets_sla_response_due"] {
        assert!(text.contains(index), "{index} unused:\n{text}");
    }
    assert!(
        !text.contains("SCAN tickets") && !text.contains("Seq Scan on tickets"),
        "the tickets are read through:\n{text}"
    );
}

/// The page's one form (issue #19): a wrong target keeps the hours typed beside it and saves
/// neither half; a right one saves both.
#[tokio::test]
async fn the_one_sla_form_saves_both_halves_or_neither() {
    let d = desk().await;
    let mut b = Browser::new(&d.app);
    b.get("/login").await;
    let r = b
        .post(
            "/login",
            &[("email", "root@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = b.get("/admin/sla").await;
    assert_eq!(
        page.body
            .matches("<form method=\"post\" action=\"/admin/sla")
            .count(),
        1
    );
    let calendar_before = d.app.get("/api/v1/sla/calendar", &d.admin).await.json();
    let sent = |first: &'static str| {
        vec![
            ("first_response_minutes.urgent", first),
            ("resolution_minutes.urgent", "240"),
            ("utc_offset_minutes", "420"),
            ("start.sat", "09:00"),
            ("end.sat", "12:00"),
            ("holidays", ""),
        ]
    };
    let r = b.post("/admin/sla", &sent("soon")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("must be a whole number of minutes"));
    assert!(
        r.body.contains("name=\"end.sat\" value=\"12:00\""),
        "the hours typed stay"
    );
    assert_eq!(
        d.app.get("/api/v1/sla/calendar", &d.admin).await.json(),
        calendar_before,
        "the calendar half was not saved"
    );
    assert_eq!(d.app.audit_count("sla.policy.update").await, 0);

    let r = b.post("/admin/sla", &sent("30")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let p = d.app.get("/api/v1/sla/policies", &d.admin).await.json();
    assert_eq!(p["items"][3]["first_response_minutes"], 30);
    let cal = d.app.get("/api/v1/sla/calendar", &d.admin).await.json();
    let sat = cal["hours"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["day"] == "sat")
        .unwrap_or_else(|| panic!("{cal}"));
    assert_eq!(sat["end"], "12:00");
}
