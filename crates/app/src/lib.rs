//! TechChallengeApp: a drop-in Rust replacement for the TechChallengeApp 0.11.0 to-do app.
//!
//! The binary (`src/main.rs`) only parses arguments and reports outcomes; everything else is here:
//! [`config`] reads `conf.toml` and `VTT_` variables, [`store`] holds tasks in PostgreSQL or an
//! embedded file behind one trait, [`routes::app`] builds the HTTP router (tests drive it without a
//! socket), [`server`] serves it with a graceful shutdown, [`commands`] ties them together.

pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod metrics;
pub mod routes;
pub mod secrets;
pub mod server;
pub mod store;
pub mod task;

pub use routes::{AppState, app};
