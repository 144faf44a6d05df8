//! The TechChallenge stacks (placeholder while being built).
