//! TechChallengeApp (placeholder while being built).
fn main() {}
