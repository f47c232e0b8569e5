//! The UI's wasm entry point (see `resnet_lab::app`).

#[cfg(target_arch = "wasm32")]
fn main() {
    resnet_lab::run_static_constructors();
    resnet_lab::app::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the app binary only runs in a browser: `make serve` builds and serves it");
    std::process::exit(2);
}
