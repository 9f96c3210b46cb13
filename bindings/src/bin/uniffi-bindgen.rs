//! uniffi's bindings generator, at the exact uniffi version hc-ffi is built with.
fn main() {
    uniffi::uniffi_bindgen_main()
}
