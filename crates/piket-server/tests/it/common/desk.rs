//! One builder for the test desk most tests start from: a fresh [`TestApp`], a superadmin's
//! API key, the department IT (and HR when asked), people with a role in one department (an API
//! key each when asked), and a first ticket when asked. Everything is made in the order it is
//! named, so ids come out as they would written by hand.
#![allow(dead_code, clippy::unwrap_used)]

use axum::http::{Method, StatusCode};
use piket_server::config::Settings;

use super::TestApp;

/// Which of the desk's departments a person belongs to.
#[derive(Clone, Copy)]
pub enum Dept {
    It,
    Hr,
}

struct PersonSpec {
    who: &'static str,
    name: Option<String>,
    role: &'static str,
    dept: Dept,
    key: bool,
}

type Adjust = Box<dyn FnOnce(&mut Settings) + Send>;

/// What to make; `build` makes it.
pub struct DeskBuilder {
    adjust: Option<Adjust>,
    hr: bool,
    people: Vec<PersonSpec>,
    ticket: Option<(&'static str, &'static str)>,
}

/// A person of the desk: their user id and, when asked for, their API key (else empty).
#[derive(Clone)]
pub struct Person {
    pub who: &'static str,
    pub id: i64,
    pub key: String,
}

/// The desk as made.
pub struct Desk {
    pub app: TestApp,
    /// The superadmin's (`root@example.com`) API key.
    pub admin: String,
    pub it: i64,
    /// HR's id; 0 unless the builder was asked for HR.
    pub hr: i64,
    pub people: Vec<Person>,
    /// The first ticket's id; 0 unless asked for.
    pub ticket: i64,
}

/// A desk with IT: add HR, people and a ticket, then `.build().await`.
pub fn new_desk() -> DeskBuilder {
    DeskBuilder {
        adjust: None,
        hr: false,
        people: Vec::new(),
        ticket: None,
    }
}

impl DeskBuilder {
    /// The server's settings, changed before it starts.
    pub fn settings(mut self, adjust: impl FnOnce(&mut Settings) + Send + 'static) -> Self {
        self.adjust = Some(Box::new(adjust));
        self
    }

    /// A second department, HR (made after IT).
    pub fn hr(mut self) -> Self {
        self.hr = true;
        self
    }

    /// `who@example.com` with `role` in `dept`, named `who`, password `a-long-test-password`.
    pub fn member(mut self, who: &'static str, role: &'static str, dept: Dept) -> Self {
        self.people.push(PersonSpec {
            who,
            name: None,
            role,
            dept,
            key: false,
        });
        self
    }

    /// A [`member`](Self::member) with an API key.
    pub fn keyed(self, who: &'static str, role: &'static str, dept: Dept) -> Self {
        let mut b = self.member(who, role, dept);
        if let Some(p) = b.people.last_mut() {
            p.key = true;
        }
        b
    }

    /// Give the person added last this display name.
    pub fn named(mut self, name: &str) -> Self {
        if let Some(p) = self.people.last_mut() {
            p.name = Some(name.into());
        }
        self
    }

    /// A ticket in IT titled `title`, filed with the key of `who` (a keyed person).
    pub fn ticket(mut self, who: &'static str, title: &'static str) -> Self {
        self.ticket = Some((who, title));
        self
    }

    pub async fn build(self) -> Desk {
        let app = match self.adjust {
            Some(adjust) => TestApp::with(adjust).await,
            None => TestApp::new().await,
        };
        let (_, admin) = app.admin().await;
        let it = app.department(&admin, "IT").await;
        let hr = if self.hr {
            app.department(&admin, "HR").await
        } else {
            0
        };
        let mut people = Vec::new();
        for p in &self.people {
            let dept = match p.dept {
                Dept::It => it,
                Dept::Hr => hr,
            };
            let email = format!("{}@example.com", p.who);
            let name = p.name.as_deref().unwrap_or(p.who);
            let user = app.user_named(&email, name, p.role, vec![dept]).await;
            people.push(Person {
                who: p.who,
                id: user.id,
                key: String::new(),
            });
        }
        for (person, spec) in people.iter_mut().zip(&self.people) {
            if spec.key {
                person.key = app.key_for(person.id).await;
            }
        }
        let mut desk = Desk {
            app,
            admin,
            it,
            hr,
            people,
            ticket: 0,
        };
        if let Some((who, title)) = self.ticket {
            let r = desk
                .app
                .json(
                    Method::POST,
                    "/api/v1/tickets",
                    &desk.key(who),
                    serde_json::json!({"title": title, "department": it}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            desk.ticket = r.json()["id"].as_i64().unwrap();
        }
        desk
    }
}

impl Desk {
    fn find(&self, who: &str) -> &Person {
        self.people
            .iter()
            .find(|p| p.who == who)
            .unwrap_or_else(|| panic!("no {who} at this desk"))
    }

    /// The user id of `who`.
    pub fn id(&self, who: &str) -> i64 {
        self.find(who).id
    }

    /// The API key of `who`.
    pub fn key(&self, who: &str) -> String {
        let p = self.find(who);
        assert!(!p.key.is_empty(), "{who} has no API key at this desk");
        p.key.clone()
    }

    /// (user id, API key) of `who`.
    pub fn person(&self, who: &str) -> (i64, String) {
        (self.id(who), self.key(who))
    }
}
