//! Rebuild when a pack file is added or removed (rust-embed alone only tracks existing files).
fn main() {
    println!("cargo:rerun-if-changed=../../packs/county");
    println!("cargo:rerun-if-changed=../../packs/county/ledgers");
}
