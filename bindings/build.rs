//! Link settings that make the shipped library smaller, for optimized builds only (debug builds
//! stay plain: bindings are generated from them).
//!
//! - Relative relocations packed (RELR): a Rust library has thousands of them (vtables, panic
//!   locations); packed they take a few KiB instead of ~320 KiB. Android packs them its own way,
//!   which every supported API level loads.
//! - Identical code folding: generic code instantiated to the same machine code is kept once.
//!
//! Only for ELF targets linked by LLD (rustc's default linker on x86_64 Linux, the NDK's linker on
//! Android). Apple targets are left alone.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let optimized = std::env::var("PROFILE").is_ok_and(|p| p != "debug");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if !optimized {
        return;
    }
    let relocations = match os.as_str() {
        "linux" => "-Wl,-z,pack-relative-relocs",
        "android" => "-Wl,--pack-dyn-relocs=android",
        _ => return,
    };
    println!("cargo:rustc-cdylib-link-arg={relocations}");
    println!("cargo:rustc-cdylib-link-arg=-Wl,--icf=all");
}
