//! Typed CloudFormation template model (placeholder while being built).
