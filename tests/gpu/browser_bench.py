#!/usr/bin/env python3
"""The lab in headless Chromium on a machine with a real GPU (tests/gpu/run.sh runs it there).

The e2e suite drives Chromium with playwright from Node; a GPU machine may have neither Node nor a
registry to fetch it from, so this speaks the DevTools protocol itself over one websocket (aiohttp).
It serves the built site (cross-origin isolated, as `make serve` does), then for each case opens the
page, reads the compute badge, presses Train, waits for the run to end and reads "Run details":

  python3 browser_bench.py --chromium PATH --site DIR --out DIR [--cases webgpu,auto,cpu1,cpu16] [--samples N]

Prints one JSON line per case and saves a screenshot of each finished page under --out.
"""
import argparse, asyncio, base64, functools, http.server, json, os, shutil, subprocess, tempfile, threading, time

import aiohttp

# CIFAR ResNet-20 as the peers build it (width 16, 32 px, batch 64, projection shortcuts) on Part 6.
RESNET20 = "page=part6&family=cifar&depth=20&width=16&skip=projection&size=32&batch=64&epochs=1&seed=1"
CASES = {
    # A GPU's first steps compile its kernels: enough steps that the median step is steady state.
    "webgpu": f"{RESNET20}&samples=3200&backend=webgpu",
    "auto": f"{RESNET20}&samples=3200&backend=auto",
    "cpu1": f"{RESNET20}&samples=960&backend=cpu&threads=1",
}
for n in (2, 4, 8, 16):
    CASES[f"cpu{n}"] = f"{RESNET20}&samples=960&backend=cpu&threads={n}"

# Two ways to reach the GPU: Chromium's recipe for WebGPU on a headless Linux machine with a Vulkan
# driver and no display (ANGLE on Vulkan), and Dawn's Vulkan alone (the GL side left as it is). A case
# that hangs or fails in one is tried in the other.
VARIANTS = {
    "angle-vulkan": ["--use-angle=vulkan", "--enable-features=Vulkan", "--disable-vulkan-surface", "--enable-unsafe-webgpu",
                     "--ignore-gpu-blocklist"],
    "dawn-vulkan": ["--enable-unsafe-webgpu", "--ignore-gpu-blocklist", "--enable-features=Vulkan"],
}
BASE_FLAGS = ["--headless=new", "--no-sandbox", "--no-first-run", "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--disable-quic", "--remote-debugging-port=9222", "--window-size=1200,1500"]


def serve(site, port):
    class Handler(http.server.SimpleHTTPRequestHandler):
        extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm", ".js": "text/javascript"}

        def end_headers(self):
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
            super().end_headers()

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Handler, directory=site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Tab:
    """One page target over the DevTools protocol: commands by id, events ignored."""

    def __init__(self, ws):
        self.ws, self.next_id = ws, 0

    async def call(self, method, **params):
        self.next_id += 1
        await self.ws.send_json({"id": self.next_id, "method": method, "params": params})
        while True:
            # A wedged renderer or GPU process never answers: give up after a minute.
            msg = await asyncio.wait_for(self.ws.receive_json(), 60)
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]

    async def js(self, expr):
        r = await self.call("Runtime.evaluate", expression=expr, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expr[:60]}…: {r['exceptionDetails'].get('text')} {r['exceptionDetails'].get('exception', {}).get('description', '')}")
        return r["result"].get("value")

    async def wait_for(self, expr, timeout):
        end = time.time() + timeout
        while time.time() < end:
            if await self.js(expr):
                return True
            await asyncio.sleep(0.25)
        return False


ADAPTER = """(async () => {
  if (!navigator.gpu) return { gpu: false };
  const out = {};
  for (const pref of ['high-performance', 'low-power']) {
    const a = await navigator.gpu.requestAdapter({ powerPreference: pref });
    out[pref] = a ? { vendor: a.info.vendor, architecture: a.info.architecture, device: a.info.device,
      description: a.info.description, fallback: a.info.isFallbackAdapter ?? a.isFallbackAdapter ?? null } : null;
  }
  return { gpu: true, ...out };
})()"""

RESULT = """(() => {
  const b = document.querySelector('[data-testid=backend]');
  const p = document.querySelector('[data-testid=progress]');
  return {
    backend: b?.dataset.backend, threads: Number(b?.dataset.threads), badge: b?.textContent.trim(),
    phase: p?.dataset.phase,
    series: [...document.querySelectorAll('[data-testid=details] li')].map((li) => ({ series: li.dataset.series,
      params: Number(li.dataset.params), ips: Number(li.dataset.ips), step_ms: Number(li.dataset.stepMs),
      first_loss: Number(li.dataset.firstLoss), final_loss: Number(li.dataset.finalLoss) })),
    messages: [...document.querySelectorAll('[role=alert], .error, [data-testid=run-error]')].map((e) => e.textContent.trim()).filter(Boolean),
  };
})()"""


async def run_case(session, name, url, out, timeout):
    async with session.put("http://127.0.0.1:9222/json/new?about:blank") as r:
        target = await r.json(content_type=None)
    t0 = time.time()
    async with session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
        tab = Tab(ws)
        await tab.call("Page.enable")
        await tab.call("Page.navigate", url=url)
        ready = await tab.wait_for("!!document.querySelector('[data-testid=backend]:not([data-backend=starting])')", 180)
        row = {"case": name, "badge_ready_s": round(time.time() - t0, 1) if ready else None}
        if name in ("webgpu", "auto"):
            row["adapters"] = await tab.js(ADAPTER)
        if ready:
            await tab.wait_for("!!document.querySelector('[data-testid=train]:not([disabled])')", 30)
            t1 = time.time()
            await tab.js("document.querySelector('[data-testid=train]').click()")
            await tab.wait_for("document.querySelector('[data-testid=progress]')?.dataset.phase === 'running'", 30)
            done = await tab.wait_for("document.querySelector('[data-testid=progress]')?.dataset.phase !== 'running'", timeout)
            row["train_wall_s"] = round(time.time() - t1, 1) if done else None
        row.update(await tab.js(RESULT))
        for s in row.get("series", []):
            if s.get("step_ms"):
                s["steady_img_s"] = round(64 / (s["step_ms"] / 1000), 1)
        shot = await tab.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        with open(os.path.join(out, f"browser-{name}.png"), "wb") as f:
            f.write(base64.b64decode(shot["data"]))
    async with session.get(f"http://127.0.0.1:9222/json/close/{target['id']}"):
        pass
    return row


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--chromium", required=True); p.add_argument("--site", required=True); p.add_argument("--out", required=True)
    p.add_argument("--cases", default="webgpu,auto,cpu1,cpu2,cpu4,cpu8,cpu16"); p.add_argument("--timeout", type=float, default=240)
    p.add_argument("--port", type=int, default=8093)
    p.add_argument("--samples", type=int, help="images per run instead of each case's own (a quick check on a software GPU)")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    serve(a.site, a.port)
    # Chromium logs a lot (tens of MB without a D-Bus); --out gets its last megabyte.
    log_path = os.path.join(tempfile.gettempdir(), "lab-chromium.log")
    log = open(log_path, "wb")
    pending = a.cases.split(",")
    async with aiohttp.ClientSession() as session:
        for variant, flags in VARIANTS.items():
            if not pending:
                break
            failed = []
            profile = tempfile.mkdtemp(prefix="lab-chromium-")
            proc = subprocess.Popen([a.chromium, *BASE_FLAGS, *flags, f"--user-data-dir={profile}", "about:blank"], stdout=log, stderr=log)
            try:
                version = await devtools_version(session)
                print(json.dumps({"variant": variant, "chromium": version}), flush=True)
                for i, name in enumerate(pending):
                    query = CASES[name] + (f"&samples={a.samples}" if a.samples else "")
                    try:
                        row = await run_case(session, name, f"http://127.0.0.1:{a.port}/?{query}", a.out, a.timeout)
                    except Exception as e:  # one case failing must not hide the others' figures
                        row = {"case": name, "error": f"{type(e).__name__}: {e}"}
                    row["variant"] = variant
                    print(json.dumps(row), flush=True)
                    wanted_gpu = name in ("webgpu", "auto") and row.get("backend") != "webgpu"
                    if "error" in row or row.get("train_wall_s") is None or wanted_gpu:
                        failed.append(name)
                    if isinstance(row.get("error"), str) and "Timeout" in row["error"]:
                        # This browser no longer answers: the rest go to the next way.
                        failed += pending[i + 1:]
                        break
            except RuntimeError as e:
                print(json.dumps({"variant": variant, "error": str(e)}), flush=True)
                failed = pending
            finally:
                proc.kill()
                shutil.rmtree(profile, ignore_errors=True)
            pending = failed
    log.close()
    with open(log_path, "rb") as f, open(os.path.join(a.out, "chromium-tail.log"), "wb") as t:
        f.seek(max(0, os.path.getsize(log_path) - 1_000_000))
        t.write(f.read())


async def devtools_version(session):
    for _ in range(100):
        try:
            async with session.get("http://127.0.0.1:9222/json/version") as r:
                return (await r.json())["Browser"]
        except aiohttp.ClientError:
            await asyncio.sleep(0.2)
    raise RuntimeError("chromium did not open its DevTools port (see chromium-tail.log)")

if __name__ == "__main__":
    asyncio.run(main())
