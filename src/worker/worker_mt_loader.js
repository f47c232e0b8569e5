// Starts the threaded CPU worker (built by `make worker-mt`; see src/worker/threads.rs). Same role
// as trunk's worker_loader.js for the single-threaded worker.
importScripts('./worker_mt.js');
// A module that fails to load is rethrown outside the promise, so the page hears of it (a worker's
// unhandled rejection reaches no one) and starts the single-threaded worker instead.
wasm_bindgen('./worker_mt_bg.wasm').catch((err) => setTimeout(() => { throw err; }));
