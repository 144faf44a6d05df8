//! Integration tests of the app: the API against both stores, migrations, resilience to database
//! restarts, graceful shutdown, TLS, Secrets Manager (and a password that changes under a running
//! app), and the binary itself. Tests that need PostgreSQL (or moto) read `TEST_DATABASE_URL`
//! (`TEST_MOTO_URL`) and skip with a note when it is missing, unless `TESTS_REQUIRE_SERVICES=1`,
//! when they fail.

mod binary;
mod helpers;
mod migrations;
mod resilience;
mod rotation;
mod secrets;
mod shutdown;
mod tasks;
mod tls;
