//! The `techchallenge` command (placeholder while being built).
fn main() {}
