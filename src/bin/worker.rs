//! The compute worker's wasm entry point (see `resnet_lab::worker`).

// Calling the static constructors once, explicitly, stops wasm-ld from wrapping every export in a
// call to them (it does that for "command" modules that never call them), which made each call into
// the module rerun all of cubecl's registrations.
#[cfg(target_arch = "wasm32")]
unsafe extern "C" {
    fn __wasm_call_ctors();
}

#[cfg(target_arch = "wasm32")]
fn main() {
    // SAFETY: runs once, first thing, before any other code in the module.
    unsafe { __wasm_call_ctors() };
    resnet_lab::worker::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the worker binary only runs in a browser (built by trunk); natively use `lab`");
    std::process::exit(2);
}
