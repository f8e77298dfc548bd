/// <reference lib="dom" />
/**
 * The viewer page (bundled for the browser by scripts/web/bundle.ts): the run's env, built by
 * the same plugin code as in Deno, and the run's exported policy run by onnxruntime-web through
 * the same `OnnxActor`. The controls drive it by hand; `window.dmerl` ({@link ViewerApi})
 * drives it from a headless browser (recording, tests).
 */
import * as ort from "onnxruntime-web";
import { type Env, VecEnv } from "../../core/env.ts";
import type { EnvView } from "../../core/env_view.ts";
import { OnnxActor } from "../../core/tensor/onnx_actor.ts";
import { type Plugin, Registry } from "../../core/plugin.ts";
import type { PageRunInfo } from "./protocol.ts";

/** Speeds of the play loop. */
type Speed = "realtime" | "fast";

/** Result of {@link ViewerApi.step}. */
export interface StepReport {
  /** Steps into the current episode after the call. */
  steps: number;
  /** Running return of the current episode. */
  episodeReturn: number;
  /** Episodes that ended during the call. */
  finished: { return: number; length: number }[];
}

/** What `window.dmerl` offers a driving program. */
export interface ViewerApi {
  /** The run as the server described it. */
  info: PageRunInfo;
  /** Env steps per second of simulated time (frames per second of a real-time video). */
  fps(): number;
  /** Current seed and mode. */
  settings(): { seed: number; deterministic: boolean };
  /** Restarts from episode 1 of `seed` (default: the current seed), in the given mode. */
  reset(options?: { seed?: number; deterministic?: boolean }): Promise<void>;
  /** Takes `n` policy steps (default 1), drawing after the last. */
  step(n?: number): Promise<StepReport>;
  /** Redraws the current state. */
  draw(): void;
  /** A fresh env of the run's id: obs after reset(seed) and after each given action. */
  trajectory(seed: number, actions: number[][]): number[][];
  /** Actions of a fresh actor (noise generator seeded with `seed`) for each observation row. */
  act(rows: number[][], options: { seed: number; deterministic: boolean }): Promise<number[][]>;
  /** Env steps per second of the page's env alone (zero actions) and ms per policy call. */
  speed(steps: number): Promise<{ envStepsPerSecond: number; actMs: number }>;
}

declare global {
  interface Window {
    dmerl?: ViewerApi;
    dmerlReady?: Promise<ViewerApi>;
    dmerlError?: string;
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return await response.json() as T;
}

async function fetchModel(deterministic: boolean): Promise<Uint8Array> {
  const url = `api/policy.onnx?mode=${deterministic ? "deterministic" : "stochastic"}`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}: ${await response.text()}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Seconds of simulated time per env step, when the env says (MuJoCo's `dt`); else 1/20 s. */
function envDt(env: Env): number {
  const dt = (env as { dt?: unknown }).dt;
  return typeof dt === "number" && dt > 0 ? dt : 0.05;
}

function drawCurve(canvas: HTMLCanvasElement, info: PageRunInfo): void {
  const ctx = canvas.getContext("2d")!;
  const { width, height } = canvas;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  const points = info.curve;
  ctx.fillStyle = "#333";
  ctx.font = "12px sans-serif";
  if (points.length === 0) {
    ctx.fillText("no evaluations in metrics.jsonl", 10, 20);
    return;
  }
  const xs = points.map((p) => p.step);
  const ys = points.map((p) => p.return);
  const [x0, x1] = [Math.min(0, ...xs), Math.max(...xs, 1)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y1 - y0 < 1e-9) [y0, y1] = [y0 - 1, y1 + 1];
  const pad = { l: 50, r: 10, t: 20, b: 25 };
  const px = (x: number) => pad.l + ((x - x0) / (x1 - x0)) * (width - pad.l - pad.r);
  const py = (y: number) => height - pad.b - ((y - y0) / (y1 - y0)) * (height - pad.t - pad.b);
  ctx.strokeStyle = "#bbb";
  ctx.strokeRect(pad.l, pad.t, width - pad.l - pad.r, height - pad.t - pad.b);
  ctx.fillText("eval return", pad.l, 14);
  ctx.fillText(y1.toFixed(1), 4, pad.t + 8);
  ctx.fillText(y0.toFixed(1), 4, height - pad.b);
  ctx.fillText(`${x1} steps`, width - pad.r - 70, height - 8);
  ctx.strokeStyle = "#1f77b4";
  ctx.lineWidth = 2;
  ctx.beginPath();
  points.forEach((
    p,
    i,
  ) => (i === 0 ? ctx.moveTo(px(p.step), py(p.return)) : ctx.lineTo(px(p.step), py(p.return))));
  ctx.stroke();
}

/** Builds the page for the run; `plugins` are the env plugins bundled into the page. */
export async function startViewer(plugins: Plugin[]): Promise<ViewerApi> {
  const query = new URLSearchParams(location.search);
  const info = await fetchJson<PageRunInfo>("api/run");
  const registry = new Registry();
  for (const plugin of plugins) registry.register(plugin);
  const def = registry.env(info.env);
  if (!def.view) throw new Error(`env '${info.env}' offers no drawing (EnvDefinition.view)`);
  await registry.prepareEnv(info.env);
  const makeView = await def.view();

  // onnxruntime-web: its wasm files are served next to the page; one thread, so the page
  // needs no cross-origin isolation.
  ort.env.wasm.wasmPaths = new URL("vendor/ort/", location.href).href;
  ort.env.wasm.numThreads = 1;
  const runtime = ort as unknown as NonNullable<Parameters<typeof OnnxActor.create>[1]["runtime"]>;
  const models = new Map<boolean, Uint8Array>();
  const model = async (deterministic: boolean) => {
    let bytes = models.get(deterministic);
    if (!bytes) models.set(deterministic, bytes = await fetchModel(deterministic));
    return bytes;
  };
  const newActor = async (seed: number, deterministic: boolean) =>
    OnnxActor.create(await model(deterministic), { device: "cpu", seed, runtime });

  const canvas = $<HTMLCanvasElement>("scene");
  const recording = query.has("width");
  if (recording) {
    canvas.style.width = `${Number(query.get("width"))}px`;
    canvas.style.height = `${Number(query.get("height"))}px`;
    document.body.classList.add("bare");
  }
  const makeEnv = () => def.create(info.envParams);

  let seed = Number(query.get("seed") ?? info.seed);
  let deterministic =
    (query.get("mode") ?? (info.deterministic ? "deterministic" : "stochastic")) ===
      "deterministic";
  let vec: VecEnv | null = null;
  let view: EnvView | null = null;
  let actor: OnnxActor | null = null;
  let steps = 0;
  let episodeReturn = 0;
  let episodes = 0;
  let lastAction: Float32Array | null = null;
  const recent: Float32Array[] = [];
  let playing = false;
  let speed: Speed = query.get("speed") === "fast" ? "fast" : "realtime";

  const show = (id: string, text: string) => ($(id).textContent = text);
  const updateStats = () => {
    show("steps", String(steps));
    show("return", episodeReturn.toFixed(2));
  };
  const draw = () => {
    view?.draw({ action: lastAction, recentActions: recent, steps });
  };

  // The same loop as evaluatePolicy: a one-copy VecEnv seeded with `seed`, so episode 1 here
  // is episode 1 of `deno task eval --onnx --seed S`.
  const reset = async (options: { seed?: number; deterministic?: boolean } = {}) => {
    seed = options.seed ?? seed;
    deterministic = options.deterministic ?? deterministic;
    vec?.close();
    view?.dispose?.();
    await actor?.release();
    vec = new VecEnv(makeEnv, 1, seed);
    actor = await newActor(seed, deterministic);
    view = makeView(vec.envs[0], canvas);
    view.resize?.(canvas.clientWidth, canvas.clientHeight);
    steps = 0;
    episodeReturn = 0;
    episodes = 0;
    lastAction = null;
    recent.length = 0;
    $<HTMLInputElement>("seed").value = String(seed);
    $<HTMLSelectElement>("mode").value = deterministic ? "deterministic" : "stochastic";
    show("episodes", "");
    updateStats();
    draw();
  };

  const step = async (n = 1): Promise<StepReport> => {
    const finished: StepReport["finished"] = [];
    for (let i = 0; i < n; i++) {
      const action = await actor!.act(vec!.obs.slice());
      const out = vec!.step(action);
      lastAction = action;
      recent.push(action);
      if (recent.length > 50) recent.shift();
      steps += 1;
      episodeReturn += out.reward[0];
      for (const ep of out.episodes) {
        finished.push({ return: ep.return, length: ep.length });
        episodes += 1;
        const line = document.createElement("div");
        line.textContent = `episode ${episodes}: return ${
          ep.return.toFixed(2)
        }, ${ep.length} steps`;
        $("episodes").prepend(line);
        steps = 0;
        episodeReturn = 0;
      }
    }
    updateStats();
    draw();
    return { steps, episodeReturn, finished };
  };

  // The play loop: real time keeps env time in step with wall time; fast takes as many steps
  // as fit in about 12 ms per animation frame and draws once.
  let debt = 0;
  let last = performance.now();
  const frame = async (now: number) => {
    if (!playing) return;
    const dt = envDt(vec!.envs[0]);
    if (speed === "realtime") {
      debt = Math.min(debt + (now - last) / 1000, 0.25);
      const n = Math.floor(debt / dt);
      debt -= n * dt;
      if (n > 0) await step(n);
    } else {
      const until = performance.now() + 12;
      let n = 0;
      do {
        await step(1);
        n++;
      } while (performance.now() < until && n < 10_000);
    }
    last = now;
    requestAnimationFrame(frame);
  };
  const setPlaying = (on: boolean) => {
    playing = on;
    $<HTMLButtonElement>("play").textContent = on ? "pause" : "play";
    if (on) {
      last = performance.now();
      debt = 0;
      requestAnimationFrame(frame);
    }
  };

  $("play").onclick = () => setPlaying(!playing);
  $("step").onclick = () => {
    setPlaying(false);
    step(1);
  };
  $("reset").onclick = () => {
    setPlaying(false);
    reset({
      seed: Number($<HTMLInputElement>("seed").value),
      deterministic: $<HTMLSelectElement>("mode").value === "deterministic",
    });
  };
  $<HTMLSelectElement>("speed").value = speed;
  $<HTMLSelectElement>("speed").onchange = (e) => {
    speed = (e.target as HTMLSelectElement).value as Speed;
  };
  globalThis.addEventListener("resize", () => {
    view?.resize?.(canvas.clientWidth, canvas.clientHeight);
    draw();
  });
  show("title", `${info.algo} on ${info.env} after ${info.envSteps} steps`);
  drawCurve($<HTMLCanvasElement>("curve"), info);

  await reset();

  const api: ViewerApi = {
    info,
    fps: () => Math.round(1 / envDt(vec!.envs[0])),
    settings: () => ({ seed, deterministic }),
    reset,
    step,
    draw,
    trajectory(trajSeed, actions) {
      const env = makeEnv();
      try {
        const rows = [Array.from(env.reset(trajSeed))];
        for (const a of actions) rows.push(Array.from(env.step(Float32Array.from(a)).obs));
        return rows;
      } finally {
        env.close?.();
      }
    },
    async act(rows, options) {
      const probe = await newActor(options.seed, options.deterministic);
      try {
        const out: number[][] = [];
        for (const row of rows) out.push(Array.from(await probe.act(Float32Array.from(row))));
        return out;
      } finally {
        await probe.release();
      }
    },
    async speed(n) {
      const env = makeEnv();
      const zero = new Float32Array(env.actionSpace.low.length);
      env.reset(0);
      let t = performance.now();
      for (let i = 0; i < n; i++) {
        const r = env.step(zero);
        if (r.terminated || r.truncated) env.reset();
      }
      const envStepsPerSecond = n / ((performance.now() - t) / 1000);
      const probe = await newActor(0, deterministic);
      const obs = Float32Array.from(env.reset(0));
      await probe.act(obs); // warm-up
      t = performance.now();
      const calls = 200;
      for (let i = 0; i < calls; i++) await probe.act(obs);
      const actMs = (performance.now() - t) / calls;
      await probe.release();
      env.close?.();
      return { envStepsPerSecond, actMs };
    },
  };
  if (query.get("play") === "1") setPlaying(true);
  return api;
}
