//! The compute worker's wasm entry point (see `resnet_lab::worker`).

#[cfg(target_arch = "wasm32")]
fn main() {
    // A CPU pool thread of the threaded worker runs this module too; only the compute worker starts.
    if resnet_lab::worker::is_pool_thread() {
        return;
    }
    resnet_lab::run_static_constructors();
    resnet_lab::worker::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the worker binary only runs in a browser (built by trunk); natively use `lab`");
    std::process::exit(2);
}
