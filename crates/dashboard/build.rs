//! `include_dir!` does not tell cargo which files it read, so without this
//! a rebuilt `dist/` would not be picked up by the next `cargo build`.
fn main() {
    println!("cargo:rerun-if-changed=dist");
}
