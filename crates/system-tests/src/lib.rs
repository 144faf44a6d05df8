//! The system tests: what needs real services, root or the built binaries (the boot script under a
//! real systemd in a systemd-nspawn container, the app's release binary against the AMI, the
//! engine, the artifact store and the whole `techchallenge` binary against the moto emulator). They live in this crate's `tests/`; this
//! library is what they, and the app's own service tests, share:
//! - [`services`]: the one rule for a missing prerequisite (skip with a note, or fail when
//!   `TESTS_REQUIRE_SERVICES=1`, as `scripts/test` sets it so nothing skips in CI);
//! - [`moto`]: the emulator's address, its reset, and SDK configuration pointed at it;
//! - [`postgres`]: the local PostgreSQL's address and an administrator's `psql`;
//! - [`builds`]: the binaries the tests run, and whether they are older than their sources.
//!
//! `scripts/test` starts PostgreSQL (`scripts/lib/postgres.sh`) and moto (`scripts/lib/moto.sh`)
//! and exports the variables read here.

pub mod builds;
pub mod moto;
pub mod postgres;
pub mod services;
