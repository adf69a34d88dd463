//! Authentication and authorisation: sessions, API keys, passwords, tokens, permissions, CSRF.

pub mod actor;
pub mod api;
pub mod basic;
pub mod cache;
pub mod extract;
pub mod login;
pub mod pages;
pub mod password;
pub mod permissions;
pub mod ratelimit;
pub mod service;
mod store;
pub mod throttle;
pub mod token;
pub mod views;
