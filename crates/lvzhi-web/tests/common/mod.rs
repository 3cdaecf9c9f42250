//! Shared test code (each test file uses part of it).
#[allow(dead_code)]
pub mod browser;
#[allow(dead_code)]
pub mod site;
