/**
 * Milliseconds per env step of any registered algorithm once learning has started, measured
 * in-process on a real env through the registry (the same objects the trainer builds), and the
 * update alone. Used by `deno task bench update-time`, `step-time` and `update`.
 */
import { cpuUsage } from "node:process";
import {
  type Algorithm,
  type Policy,
  prepareConfigEnv,
  type Registry,
  resolveConfig,
  Rng,
  VecEnv,
} from "../core/mod.ts";
import { disableNativeMatMul, enableNativeMatMul, useBackend } from "../core/tensor/mod.ts";

/**
 * Builds `raw`'s env (prepared), policy (init seed 0) and algorithm (seed 1) the way the trainer
 * does, with `totalSteps` computed from the validated algorithm parameters.
 */
async function buildForTiming(
  registry: Registry,
  raw: Record<string, unknown>,
  totalSteps: (params: Record<string, number>) => number,
): Promise<
  { algo: Algorithm; policy: Policy; params: Record<string, number>; env: VecEnv; numEnvs: number }
> {
  await prepareConfigEnv(raw, registry);
  const { config, algorithm, policy } = resolveConfig(raw, registry);
  const env = new VecEnv(
    () => registry.env(config.env).create(config.envParams),
    config.numEnvs,
    config.seed,
  );
  const spec = { observationSpace: env.observationSpace, actionSpace: env.actionSpace };
  const makePolicy = (rng: Rng) => policy.create(spec, config.policyParams, rng);
  const pol = makePolicy(new Rng(0));
  const params = config.algoParams as Record<string, number>;
  const algo = algorithm.create({
    env,
    policy: pol,
    params: config.algoParams,
    rng: new Rng(1),
    totalSteps: totalSteps(params),
    makePolicy,
  });
  return { algo, policy: pol, params, env, numEnvs: config.numEnvs };
}

/** A window of whole iterations: its env steps, wall-clock and CPU milliseconds. */
export interface EnvStepWindow {
  /** Env steps taken in the window (whole iterations, so at least the steps asked for). */
  envSteps: number;
  /** Env steps taken before the window (the warm-up). */
  afterSteps: number;
  /** Wall-clock milliseconds of the window. */
  wallMs: number;
  /** This process's CPU milliseconds (user + system) over the window. */
  cpuMs: number;
}

/**
 * Builds `algo` on `env` (its preset applies) under `backend` (default wasm), iterates until
 * `warmupSteps` env steps are taken plus one more iteration to warm up kernels, then times
 * whole iterations until at least `measureSteps` further env steps are taken. An iteration is
 * one env step plus one update for the SAC family and one whole rollout plus its update epochs
 * for the PPO family, so `measureSteps` should cover whole rollouts there. `threads` sets the
 * BLAS threads under wasm-blas (default: `DMERL_BLAS_THREADS`, else 1).
 */
export async function measureEnvSteps(
  registry: Registry,
  raw: Record<string, unknown>,
  options: {
    warmupSteps: number;
    measureSteps: number;
    backend?: "wasm" | "wasm-blas";
    threads?: number;
  },
): Promise<EnvStepWindow> {
  await useBackend(options.backend ?? "wasm");
  if (options.backend === "wasm-blas" && options.threads) {
    enableNativeMatMul({ threads: options.threads });
  }
  const { algo, policy: pol } = await buildForTiming(
    registry,
    raw,
    () => options.warmupSteps + 2 * options.measureSteps + 10_000,
  );
  try {
    while (algo.envSteps < options.warmupSteps) algo.iterate();
    algo.iterate();
    const startSteps = algo.envSteps;
    const cpu0 = cpuUsage();
    const t0 = performance.now();
    while (algo.envSteps - startSteps < options.measureSteps) algo.iterate();
    const wallMs = performance.now() - t0;
    const cpu = cpuUsage(cpu0);
    return {
      envSteps: algo.envSteps - startSteps,
      afterSteps: startSteps,
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
    };
  } finally {
    algo.dispose();
    pol.dispose();
  }
}

/** Wall-clock milliseconds per env step of {@link measureEnvSteps}'s window on the wasm backend. */
export async function timeEnvSteps(
  registry: Registry,
  raw: Record<string, unknown>,
  options: { warmupSteps: number; measureSteps: number },
): Promise<number> {
  const window = await measureEnvSteps(registry, raw, options);
  return window.wallMs / window.envSteps;
}

/** One algorithm's update, prepared on a real env with a filled replay buffer. */
export interface PreparedUpdate {
  /** Runs `updatesPerCall` updates. */
  run(): void;
  /** Updates per {@link PreparedUpdate.run} call (a whole actor-delay cycle for SAC). */
  updatesPerCall: number;
  /** Frees the algorithm and the policy. */
  dispose(): void;
}

/**
 * Builds `raw`'s algorithm on its env (through the registry, presets applied) and returns its
 * update alone, without env steps. Off-policy algorithms first take `learningStarts` uniformly
 * random env steps to fill the replay buffer; one `run` is `policyFrequency` updates, so it
 * holds the critic-only updates and the ones with the delayed actor steps in their real
 * proportion. For the PPO family one `run` is one minibatch gradient step: the rollout is
 * `numSteps * numEnvs` random transitions, one epoch, one minibatch.
 */
export async function prepareUpdate(
  registry: Registry,
  raw: Record<string, unknown>,
): Promise<PreparedUpdate> {
  const { algo, policy: pol, params, env, numEnvs } = await buildForTiming(
    registry,
    raw,
    (p) => 4 * (p.learningStarts ?? 0) + 10_000,
  );
  const dispose = () => {
    algo.dispose();
    pol.dispose();
  };
  // deno-lint-ignore no-explicit-any -- the algorithms' update methods are private
  const internals = algo as any;
  if ("learningStarts" in params) {
    while (algo.envSteps < params.learningStarts) algo.iterate(); // random actions: no updates
    const cycle = params.policyFrequency ?? 1;
    return {
      run: () => {
        for (let i = 0; i < cycle; i++) internals.update();
      },
      updatesPerCall: cycle,
      dispose,
    };
  }
  const n = params.numSteps * numEnvs;
  const rng = new Rng(2);
  const normal = (size: number) => rng.fillNormal(new Float32Array(size));
  const data = {
    obsBuf: normal(n * env.obsDim),
    uBuf: normal(n * env.actDim),
    logProbBuf: normal(n).map((x) => x - 20),
    valueBuf: normal(n),
    advantages: normal(n),
    returns: normal(n),
  };
  return { run: () => internals.update(data), updatesPerCall: 1, dispose };
}

/** CPU milliseconds (user + system, this process) that `f` takes. */
export function cpuMilliseconds(f: () => void): number {
  const start = cpuUsage();
  f();
  const used = cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** The median over `rounds` calls of one prepared update's CPU milliseconds per update. */
export function medianUpdateCpuMs(prepared: PreparedUpdate, rounds: number): number {
  const per = prepared.updatesPerCall;
  return median(Array.from({ length: rounds }, () => cpuMilliseconds(prepared.run) / per));
}

/** The median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** One row of {@link updateTable}: an update and how it is configured. */
export interface UpdateCase {
  label: string;
  raw: Record<string, unknown>;
  /** Key of the PyTorch peer's result for the same update. */
  peer: string;
}

/** The updates `deno task bench update` times, at Humanoid-v4 sizes. */
export const HUMANOID_UPDATES: UpdateCase[] = [
  {
    label: "SAC",
    peer: "sac",
    raw: { algo: "sac", env: "Humanoid-v4", algoParams: { learningStarts: 512 } },
  },
  ...[1, 8].map((K) => ({
    label: `DiffSAC K=${K} (chain)`,
    peer: `diffsac-k${K}`,
    raw: {
      algo: "diffsac",
      env: "Humanoid-v4",
      algoParams: { learningStarts: 512, surrogate: "chain" },
      policyParams: { diffusionSteps: K, hidden: [256, 256] },
    },
  })),
  {
    label: "PPO (one minibatch step)",
    peer: "ppo",
    raw: {
      algo: "ppo",
      env: "Humanoid-v4",
      numEnvs: 1,
      algoParams: { numSteps: 256, numMinibatches: 1, updateEpochs: 1, criticHidden: [256, 256] },
      policyParams: { hidden: [256, 256] },
    },
  },
];

/** The CPU model name where the OS says it (Linux), else the architecture. */
export function cpuModel(): string {
  try {
    const line = Deno.readTextFileSync("/proc/cpuinfo").split("\n")
      .find((l) => l.startsWith("model name"));
    if (line) return line.split(":")[1].trim();
  } catch {
    // not Linux
  }
  return Deno.build.arch;
}

/** CPU and wall milliseconds of one update, as the PyTorch peer reports them. */
interface PeerTimes {
  cpu: number;
  wall: number;
}

/** What the PyTorch peer reports: times per update, its version, BLAS and thread pools. */
export interface PeerReport {
  ms: Record<string, PeerTimes>;
  torch: string;
  threads: number;
  blas: string;
  pools: unknown;
}

/**
 * Runs the PyTorch peer script `script` of bench/peers/ with `args` (which ask it for one JSON
 * object); the parsed object, or the reason when python3 or torch is missing. The one place
 * that spawns a peer.
 */
export async function runTorchPeer<T>(script: string, args: string[]): Promise<T | string> {
  const path = new URL(`./peers/${script}`, import.meta.url).pathname;
  let why = "python3 not found";
  // Debian's python3-torch lives in the system interpreter, which a PATH python may shadow
  for (const python of ["python3", "/usr/bin/python3"]) {
    try {
      const out = await new Deno.Command(python, { args: [path, ...args], stderr: "piped" })
        .output();
      const text = new TextDecoder().decode(out.stdout).trim();
      if (out.success && text.startsWith("{")) return JSON.parse(text);
      why = text || new TextDecoder().decode(out.stderr).trim().split("\n").pop() || why;
    } catch {
      // not this interpreter
    }
  }
  return why;
}

/** The update peer with every thread pool pinned to `threads`; the reason when it cannot run. */
function torchPeer(threads: number, warmupMs: number): Promise<PeerReport | string> {
  const warmup = String(warmupMs / 1000);
  return runTorchPeer("torch_update.py", [
    "--json",
    "--threads",
    String(threads),
    "--warmup-seconds",
    warmup,
  ]);
}

/** One repeat's figures for one update: CPU (and wall) ms per update. */
interface UpdateFigures {
  wasm: number;
  native?: number;
  nativeWall?: number;
  wasmWall: number;
  torch?: { cpu: number; wall: number };
}

/**
 * Times one update under the wasm backend and wasm-blas (when a BLAS loads; the same algorithm
 * objects with the native matMul switched on, interleaved round by round with the plain kernel
 * so load on the machine hits both alike): the median CPU and wall ms per update over rounds
 * after `warmupMs` of warm-up. V8 compiles the update's code in tiers over its first few
 * hundred calls, on a second thread whose time the CPU figure counts; a training run is past
 * that within seconds, so the warm-up is long enough to reach it (SAC's median settles about
 * 8% below its first rounds').
 */
async function timeUpdate(
  registry: Registry,
  c: UpdateCase,
  options: { targetMs: number; threads: number; native: boolean; warmupMs: number },
): Promise<{ figures: Omit<UpdateFigures, "torch">; prepared: PreparedUpdate; rounds: number }> {
  const { targetMs, threads } = options;
  await useBackend("wasm");
  const prepared = await prepareUpdate(registry, c.raw);
  const per = prepared.updatesPerCall;
  const modes = options.native ? [false, true] : [false];
  const set = (native: boolean) => native ? enableNativeMatMul({ threads }) : disableNativeMatMul();
  // warm-up (kernels, allocations, compiled code), which also sizes the number of rounds: the
  // last mode (the one compared with the peer) first, for warmupMs, the plain kernel for two calls
  for (let i = modes.length - 1; i >= 0; i--) {
    set(modes[i]);
    const end = performance.now() + (i === modes.length - 1 ? options.warmupMs : 0);
    for (let calls = 0; calls < 2 || performance.now() < end; calls++) prepared.run();
  }
  let slowest = 0;
  for (const native of modes) {
    set(native);
    slowest = Math.max(slowest, cpuMilliseconds(prepared.run));
  }
  const rounds = Math.max(5, Math.min(25, Math.round(targetMs / slowest)));
  const samples: number[][] = modes.map(() => []);
  const walls: number[][] = modes.map(() => []);
  for (let r = 0; r < rounds; r++) {
    modes.forEach((native, i) => {
      set(native);
      const start = performance.now();
      samples[i].push(cpuMilliseconds(prepared.run) / per);
      walls[i].push((performance.now() - start) / per);
    });
  }
  disableNativeMatMul();
  const [wasm, native] = samples.map(median);
  const [wasmWall, nativeWall] = walls.map(median);
  return { figures: { wasm, native, wasmWall, nativeWall }, prepared, rounds };
}

/**
 * Times each update of `cases` under the wasm backend, wasm-blas ({@link timeUpdate}), cpu
 * (when one update takes under `cpuLimitMs`; first repeat only) and the PyTorch peer when
 * python3 with torch is present, `repeat` times, the peer and dmerl in turn, so that a drift of
 * the machine's speed over minutes hits both sides alike (PyTorch's own figure moves by up to
 * 20% from one run to the next). Returns a markdown report: per side the median over repeats
 * of each repeat's median over rounds, their ratio, and the range of the per-repeat ratios.
 */
export async function updateTable(
  registry: Registry,
  cases: UpdateCase[] = HUMANOID_UPDATES,
  options: {
    targetMs?: number;
    cpuLimitMs?: number;
    threads?: number;
    repeat?: number;
    /** Warm-up per update before timing, both sides (default 5 s). */
    warmupMs?: number;
    /** The peer's figures (default: the PyTorch peer process), or why there are none. */
    peer?: (threads: number, warmupMs: number) => Promise<PeerReport | string>;
  } = {},
): Promise<string> {
  const targetMs = options.targetMs ?? 3000;
  const cpuLimitMs = options.cpuLimitMs ?? 2000;
  const threads = options.threads ?? 1;
  const repeat = options.repeat ?? 3;
  const warmupMs = options.warmupMs ?? 5000;
  await useBackend("wasm");
  const blas = enableNativeMatMul({ threads });
  disableNativeMatMul();
  const notes: string[] = [];
  const rows: string[] = [];
  const cpuSkips: string[] = [];
  const cpuMs = new Map<string, number>();
  const figures = new Map<string, UpdateFigures[]>(cases.map((c) => [c.label, []]));
  let peer: PeerReport | string = "not run";
  for (let r = 0; r < repeat; r++) {
    peer = await (options.peer ?? torchPeer)(threads, warmupMs);
    for (const c of cases) {
      const { figures: f, prepared, rounds } = await timeUpdate(registry, c, {
        targetMs,
        threads,
        native: blas.enabled,
        warmupMs,
      });
      if (r === 0) {
        await useBackend("cpu");
        const per = prepared.updatesPerCall;
        const first = cpuMilliseconds(prepared.run) / per; // includes moving the weights over
        if (first > cpuLimitMs) cpuSkips.push(`${c.label} (${(first / 1000).toFixed(1)} s)`);
        else cpuMs.set(c.label, medianUpdateCpuMs(prepared, 3));
        await useBackend("wasm");
      }
      prepared.dispose();
      const torch = typeof peer === "string" ? undefined : peer.ms[c.peer];
      figures.get(c.label)!.push({ ...f, torch });
      console.error(`${c.label}: repeat ${r + 1}/${repeat}, ${rounds} rounds`);
    }
  }
  const fmt = (ms: number | undefined) => (ms === undefined ? "-" : ms.toFixed(1));
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? "-" : (a / b).toFixed(2);
  const medianOf = (values: (number | undefined)[]) =>
    values.some((v) => v === undefined) ? undefined : median(values as number[]);
  for (const c of cases) {
    const runs = figures.get(c.label)!;
    const wasm = medianOf(runs.map((f) => f.wasm))!;
    const native = medianOf(runs.map((f) => f.native));
    const nativeWall = medianOf(runs.map((f) => f.nativeWall));
    const torchCpu = medianOf(runs.map((f) => f.torch?.cpu));
    const torchWall = medianOf(runs.map((f) => f.torch?.wall));
    const fastCpu = native ?? wasm;
    const fastWall = nativeWall ?? medianOf(runs.map((f) => f.wasmWall));
    const perRepeat = runs.every((f) => f.torch)
      ? runs.map((f) => (f.native ?? f.wasm) / f.torch!.cpu)
      : [];
    const range = perRepeat.length > 0
      ? `${Math.min(...perRepeat).toFixed(2)}-${Math.max(...perRepeat).toFixed(2)}`
      : "-";
    rows.push(
      `| ${c.label} | ${fmt(wasm)} | ${fmt(native)} / ${fmt(nativeWall)} | ${
        fmt(cpuMs.get(c.label))
      } | ${fmt(torchCpu)} / ${fmt(torchWall)} | ${
        native ? (wasm / native).toFixed(2) + "x" : "-"
      } | ${ratio(fastCpu, torchCpu)} / ${ratio(fastWall, torchWall)} | ${range} |`,
    );
  }
  if (cpuSkips.length > 0) {
    notes.push(
      `cpu: not timed where one update took over ${cpuLimitMs / 1000} s: ${cpuSkips.join(", ")}`,
    );
  }
  notes.push(
    blas.enabled
      ? `wasm-blas: ${blas.library}, ${threads} BLAS thread(s)`
      : `wasm-blas: not measured (${blas.reason})`,
  );
  notes.push(
    typeof peer === "string"
      ? `PyTorch: not measured (${peer})`
      : `PyTorch ${peer.torch} (${peer.blas}), ${peer.threads} thread(s), every pool pinned ` +
        `before import (bench/peers/torch_update.py); pools: ${JSON.stringify(peer.pools)}`,
  );
  const [load1] = Deno.loadavg();
  notes.push(
    `machine: ${cpuModel()}, ${navigator.hardwareConcurrency} logical cores, ${Deno.build.os}; ` +
      `load average at the end ${load1.toFixed(2)}`,
  );
  return [
    `## update: ms per update at Humanoid-v4 sizes (obs 376, act 17, batch 256, 256x256 nets), ${threads} thread(s)`,
    "",
    "Real Humanoid-v4 env from the registry (replay filled by random actions); the update alone,",
    "without env steps. SAC family: mean over an actor-delay cycle (2 updates: one critic-only,",
    "one with 2 actor steps), twin Q with targets, learned temperature; DiffSAC's policy 256x256",
    "SiLU. PPO: one minibatch Adam step (256 samples, 256x256 tanh actor and critic, gradient-norm",
    "clipping). Median over rounds after warm-up of this process's CPU time (user + system) and",
    "of the wall time (CPU / wall where both are given); wasm and wasm-blas interleaved round by",
    `round on the same algorithm objects, after ${
      warmupMs / 1000
    } s of warm-up per update on both sides`,
    `(V8 compiles in tiers over the first few hundred calls). ${repeat} repeat(s), the PyTorch peer`,
    "and dmerl in turn:",
    "each figure is the median over repeats, the last column the range of the per-repeat ratios.",
    "",
    "| update | wasm CPU | wasm-blas CPU / wall | cpu CPU | PyTorch CPU / wall | wasm-blas speed-up | dmerl / PyTorch CPU / wall | per repeat (CPU) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    ...notes.map((n) => `- ${n}`),
  ].join("\n");
}
