//! The start page: what each person sees first after signing in (until the dashboards arrive):
//! a requester their open tickets and a "New ticket" button, staff their queue counts, what is
//! assigned to them and what is close to or past its SLA.

pub mod pages;
pub mod service;
