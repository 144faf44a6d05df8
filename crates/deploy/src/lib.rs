//! Deploy engine (placeholder while being built).
