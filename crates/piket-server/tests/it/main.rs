//! The server's integration tests, one binary: a module per area, the shared helpers in
//! `common` (a test desk on a fresh database, a browser over the router, `piket` child
//! processes). One binary links the server once; nextest names a test `it` `module::test`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

mod admin;
mod agent_auth;
mod agent_binary;
mod agents;
mod api;
mod api_limits;
mod attachment_limits;
mod attachments;
mod boundaries;
mod canned;
mod desk_small;
mod desktop;
mod disk_full;
mod events;
mod fusioninventory_agent;
mod home;
mod inventory;
mod inventory_merge;
mod legacy_agents;
mod mail;
mod names;
mod notifications;
mod outbox_crash;
mod password_hashing;
mod pg_restart;
mod privilege;
mod process;
mod queue;
mod schema;
mod secrets;
mod sessions;
mod sla;
mod slow_clients;
mod software;
mod ticket_assets;
mod ticket_desk;
mod ticket_pages;
mod tickets;
mod time_zones;
mod web;
