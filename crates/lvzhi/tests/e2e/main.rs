//! End-to-end tests: one test binary, built from modules (as ripgrep does).
//! `api` drives a real server over HTTP on both backends; `cli` runs the
//! binary; `crash` kills the server mid-stream and checks durability; `faults`
//! takes its database away; `memory` measures it under hostile uploads;
//! `outbox` kills it with messages undelivered and checks they all go out.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod api;
mod cli;
mod crash;
mod evidence;
mod faults;
mod memory;
mod outbox;
mod reports;
mod security;
mod server;
