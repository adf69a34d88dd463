//! Outbound messages: written to the outbox with the change that causes them, delivered by a worker.

pub mod mail;
pub mod outbox;
