//! Shared test code.
pub mod browser;
