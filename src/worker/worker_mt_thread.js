// One CPU thread of the threaded compute worker (src/worker/threads.rs): the same module on the same
// shared memory, serving rayon until the worker ends.
self.__labPoolThread = true; // the module's main() sees it and leaves the start-up to the compute worker
importScripts('./worker_mt.js');
self.onmessage = async (event) => {
  self.onmessage = null;
  const [module, memory, queue] = event.data;
  try {
    await wasm_bindgen({ module_or_path: module, memory });
  } catch (err) {
    postMessage(`failed: ${err}`);
    return;
  }
  postMessage('ready');
  wasm_bindgen.lab_thread_run(queue); // blocks this thread for the pool's life
};
