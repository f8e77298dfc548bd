/**
 * `deno run -A bench/viewer_speed.ts RUN_DIR [--steps N] [--screenshot FILE]`: the viewer page
 * of a run in headless Chromium (CPU WebGL): env steps per second in the page and in Deno (the
 * same env code, zero actions), policy+env steps per second in the page, ms per drawn frame
 * and per policy call; optionally a screenshot of the whole page after N steps.
 */
import { builtinRegistry } from "../plugins/builtin.ts";
import { launchBrowser } from "../scripts/web/browser.ts";
import { startViewerServer } from "../scripts/web/server.ts";

const [dir, ...rest] = Deno.args;
const flag = (name: string) => {
  const i = rest.indexOf(name);
  return i >= 0 ? rest[i + 1] : undefined;
};
const steps = Number(flag("--steps") ?? 50);
const shot = flag("--screenshot");
const server = await startViewerServer(dir);
const headless = await launchBrowser();
try {
  const page = await headless.browser.newPage();
  await page.setViewport({ width: 1000, height: 700 });
  await page.goto(server.url);
  // deno-lint-ignore no-explicit-any
  await page.evaluate(() => (globalThis as any).dmerlReady);
  const inPage = await page.evaluate(async () => {
    // deno-lint-ignore no-explicit-any
    const api = (globalThis as any).dmerl;
    const speed = await api.speed(5000);
    let t = performance.now();
    await api.step(500);
    const policySteps = 500 / ((performance.now() - t) / 1000);
    t = performance.now();
    for (let i = 0; i < 100; i++) api.draw();
    const drawMs = (performance.now() - t) / 100;
    return { ...speed, policyStepsPerSecond: policySteps, drawMs, fps: api.fps() };
  });
  const registry = builtinRegistry();
  const id = server.info.env;
  await registry.prepareEnv(id);
  const env = registry.env(id).create(server.info.envParams);
  const zero = new Float32Array(env.actionSpace.low.length);
  env.reset(0);
  const t = performance.now();
  for (let i = 0; i < 5000; i++) {
    const r = env.step(zero);
    if (r.terminated || r.truncated) env.reset();
  }
  const deno = 5000 / ((performance.now() - t) / 1000);
  env.close?.();
  console.log(JSON.stringify({ env: id, ...inPage, denoEnvStepsPerSecond: deno }));
  if (shot) {
    await page.evaluate(async (n) => {
      // deno-lint-ignore no-explicit-any
      const api = (globalThis as any).dmerl;
      await api.reset();
      await api.step(n);
    }, steps);
    await page.screenshot({ path: shot });
    console.log(`screenshot after ${steps} steps: ${shot}`);
  }
} finally {
  await headless.close();
  await server.shutdown();
}
