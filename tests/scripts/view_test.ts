/**
 * The viewer's server, without a browser: it binds 127.0.0.1 only, answers its fixed routes
 * and nothing else (no path traversal), describes the run as `eval` sees it, stops on Ctrl-C,
 * and `record` without a browser says how to install one and exits 2.
 */
import assert from "node:assert/strict";
import { startViewerServer } from "../../scripts/web/server.ts";
import { denoScript, ROOT, tinyRun } from "./view_fixture.ts";

const parent = await Deno.makeTempDir({ prefix: "dmerl-view-test-" });
const run = await tinyRun(parent, "pendulum", { env: "Pendulum-v1", steps: 200 });

/** Sends a raw request line (fetch would normalise `..` away) and returns the reply. */
async function rawGet(port: number, target: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
    );
    return new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
  } catch (e) {
    conn.close();
    throw e;
  }
}

Deno.test("view server: 127.0.0.1 only, fixed routes, no path traversal", async () => {
  const server = await startViewerServer(run);
  try {
    assert.equal(server.hostname, "127.0.0.1");
    assert.equal(server.url, `http://127.0.0.1:${server.port}/`);
    // Not reachable on the machine's other addresses.
    const others = Deno.networkInterfaces().filter((i) =>
      i.family === "IPv4" && !i.address.startsWith("127.")
    );
    for (const { address } of others.slice(0, 1)) {
      await assert.rejects(Deno.connect({ hostname: address, port: server.port }));
    }
    for (
      const target of [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/vendor/ort/..%2f..%2f..%2fpackage.json",
        "/vendor/ort/../../../../etc/passwd",
        "/config.json",
        "/policy.bin",
        "/vendor/ort/ort.min.mjs",
      ]
    ) {
      const reply = await rawGet(server.port, target);
      assert.match(reply, /^HTTP\/1\.1 (400|404)/, target);
      assert.ok(!reply.includes("root:"), target);
    }
    const base = server.url;
    const page = await fetch(base);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<canvas id="scene">/);
    const app = await fetch(`${base}app.js`);
    assert.equal(app.status, 200);
    assert.ok((await app.text()).length > 100_000, "app.js is the bundled page");
    const wasm = await fetch(`${base}vendor/ort/ort-wasm-simd-threaded.jsep.wasm`);
    assert.equal(wasm.headers.get("content-type"), "application/wasm");
    await wasm.body?.cancel();
    const info = await (await fetch(`${base}api/run`)).json();
    assert.equal(info.env, "Pendulum-v1");
    assert.equal(info.seed, 1_000_003, "the run's evaluation seed (seed 0)");
    assert.equal(info.curve.length, 2);
    const model = await fetch(`${base}api/policy.onnx?mode=stochastic`);
    assert.deepEqual(
      new Uint8Array(await model.arrayBuffer()),
      Deno.readFileSync(`${run}/policy.onnx`),
    );
    const bad = await fetch(`${base}api/policy.onnx?mode=x`);
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
    const post = await fetch(base, { method: "POST" });
    assert.equal(post.status, 405);
    await post.body?.cancel();
  } finally {
    await server.shutdown();
  }
});

Deno.test("deno task view prints its address and stops on Ctrl-C", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}scripts/view.ts`, run, "--seed", "5"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!/http:\/\/127\.0\.0\.1:\d+\//.test(out)) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(out)?.[0];
  assert.ok(url, `no address printed: ${out}`);
  const info = await (await fetch(`${url}api/run`)).json();
  assert.equal(info.seed, 5);
  child.kill("SIGINT");
  const status = await child.status;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  await child.stderr.cancel();
  assert.equal(status.code, 0, out);
  assert.match(out, /stopped/);
});

Deno.test("view and record: bad input gives one line and exit 2", async () => {
  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ["scripts/view.ts", [`${parent}/nope`], {}, /RUN_DIR: .* is not a folder/],
    ["scripts/view.ts", [run, "--port", "70000"], {}, /--port: expected an integer/],
    ["scripts/record.ts", [run], {}, /--out: give the video file/],
    ["scripts/record.ts", [run, "--out", "x.avi"], {}, /--out: .* must end in one of/],
    ["scripts/record.ts", [run, "--out", "x.mp4", "--width", "101"], {}, /--width: .*even/],
    [
      "scripts/record.ts",
      [run, "--out", `${parent}/x.mp4`],
      { CHROMIUM_PATH: `${parent}/no-browser` },
      /Chromium not found; install it with `apt-get install -y chromium`/,
    ],
  ];
  for (const [script, args, env, pattern] of cases) {
    const out = await denoScript(script, args, env);
    assert.equal(out.code, 2, `${script} ${args.join(" ")}: ${out.stderr}`);
    assert.match(out.stderr, pattern);
    assert.equal(out.stderr.trim().split("\n").length, 1, out.stderr);
  }
});

globalThis.addEventListener("unload", () => {
  Deno.removeSync(parent, { recursive: true });
});
