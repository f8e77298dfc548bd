/**
 * `deno task bench NAME [--seeds 0,1,2] [--jobs N] [--steps N] [--out DIR]`: learning
 * benchmarks. Each runs real training runs (one process per seed, up to `--jobs` at a time)
 * through the same CLI users run, then summarises their evaluation curves and wall-clock.
 */
import { runTrainChild } from "./train_child.ts";
import { CONFIG_KEYS } from "../core/config.ts";
import { ConfigError, meanStd, type MetricsRow, resolveConfig, RunStore } from "../core/mod.ts";
import {
  type FlagSpec,
  formatReturn,
  parseFlags,
  parseSets,
  runMain,
  usage,
  withSets,
} from "./cli.ts";
import {
  MODE_RADIUS,
  modesOf,
  sampleRunActions,
  sharesNear,
} from "./experiments/policy_samples.ts";
import { learningCurveSvg } from "./experiments/curves.ts";
import { builtinRegistry } from "../plugins/builtin.ts";
import { MUJOCO_ENV_IDS } from "../plugins/mujoco/mod.ts";

interface Benchmark {
  description: string;
  algo: string;
  env: string;
  steps: number;
  evalEvery: number;
  /** The bar the final eval return is held to (every seed, or the mean over seeds). */
  bar: { kind: "every-seed" | "mean"; threshold: number } | null;
  /** Extra per-run figures computed from the finished run (shown as table columns). */
  analyse?: (runDir: string) => Promise<Record<string, number>>;
  /** A bar on the extra figures; returns a verdict line. */
  analysisBar?: (figures: Record<string, number>[]) => { passed: boolean; text: string };
  /** Extra run config (algoParams etc.), passed to every run as a config file. */
  config?: Record<string, unknown>;
}

const BENCHMARKS: Record<string, Benchmark> = {
  "sac-pendulum": {
    description: "SAC on Pendulum-v1, 20k steps (bar: every seed's final eval >= -200)",
    algo: "sac",
    env: "Pendulum-v1",
    steps: 20_000,
    evalEvery: 2_000,
    bar: { kind: "every-seed", threshold: -200 },
  },
  "td3-pendulum": {
    description: "TD3 on Pendulum-v1, 20k steps (bar: every seed's final eval >= -200)",
    algo: "td3",
    env: "Pendulum-v1",
    steps: 20_000,
    evalEvery: 2_000,
    bar: { kind: "every-seed", threshold: -200 },
  },
  "diffsac-pendulum": {
    description:
      "DiffSAC (K=8, default surrogate) on Pendulum-v1, 20k steps (bar: every seed >= -200)",
    algo: "diffsac",
    env: "Pendulum-v1",
    steps: 20_000,
    evalEvery: 2_000,
    bar: { kind: "every-seed", threshold: -200 },
  },
  "diffsac-augmented-pendulum": {
    description: "DiffSAC (K=8, augmented surrogate) on Pendulum-v1, 20k steps",
    algo: "diffsac",
    env: "Pendulum-v1",
    steps: 20_000,
    evalEvery: 2_000,
    bar: { kind: "every-seed", threshold: -200 },
    config: { algoParams: { surrogate: "augmented" } },
  },
  "diffsac-chain-pendulum": {
    description: "DiffSAC (K=8, chain surrogate) on Pendulum-v1, 20k steps",
    algo: "diffsac",
    env: "Pendulum-v1",
    steps: 20_000,
    evalEvery: 2_000,
    bar: { kind: "every-seed", threshold: -200 },
    config: { algoParams: { surrogate: "chain" } },
  },
  "multimodal-sac": {
    description: "SAC on DoubleWell-v0, 15k steps: share of 1,000 sampled actions near each mode",
    algo: "sac",
    env: "DoubleWell-v0",
    steps: 15_000,
    evalEvery: 1_000,
    bar: null,
    analyse: modeShares,
  },
  "multimodal-diffsac": {
    description: "DiffSAC on DoubleWell-v0, 15k steps (bar: at least 25% of samples in each mode)",
    algo: "diffsac",
    env: "DoubleWell-v0",
    steps: 15_000,
    evalEvery: 1_000,
    bar: null,
    analyse: modeShares,
    analysisBar: (figures) => {
      const passed = figures.every((f) => f["mode+"] >= 0.25 && f["mode-"] >= 0.25);
      return { passed, text: "every seed puts >= 25% of its samples in each mode" };
    },
  },
  "sac-hopper": {
    description: "SAC (CleanRL defaults) on Hopper-v4, 100k steps: where the curve is at 100k",
    algo: "sac",
    env: "Hopper-v4",
    steps: 100_000,
    evalEvery: 10_000,
    bar: null,
  },
  "diffsac-hopper": {
    description:
      "DiffSAC (chain, K = 8 unless --set) on Hopper-v4, 100k steps: where the curve is at 100k",
    algo: "diffsac",
    env: "Hopper-v4",
    steps: 100_000,
    evalEvery: 10_000,
    bar: null,
  },
  "diffppo-pendulum": {
    description: "DiffPPO (K=8, Pendulum preset) on Pendulum-v1, 300k steps (bar: mean >= -400)",
    algo: "diffppo",
    env: "Pendulum-v1",
    steps: 300_000,
    evalEvery: 20_000,
    bar: { kind: "mean", threshold: -400 },
  },
  "dppo-pendulum": {
    description: "DPPO (DiffPPO with tau=0) on Pendulum-v1, 300k steps (bar: mean >= -400)",
    algo: "dppo",
    env: "Pendulum-v1",
    steps: 300_000,
    evalEvery: 20_000,
    bar: { kind: "mean", threshold: -400 },
  },
  "wpo-pendulum": {
    description: "WPO (Pendulum preset) on Pendulum-v1, 20k steps (bar: mean >= -400)",
    algo: "wpo",
    env: "Pendulum-v1",
    steps: 20_000,
    evalEvery: 2_000,
    bar: { kind: "mean", threshold: -400 },
  },
  "diffwpo-pendulum": {
    description: "DiffWPO (K=2, Pendulum preset) on Pendulum-v1, 20k steps (bar: mean >= -400)",
    algo: "diffwpo",
    env: "Pendulum-v1",
    steps: 20_000,
    evalEvery: 2_000,
    bar: { kind: "mean", threshold: -400 },
  },
  "ppo-pendulum": {
    description: "PPO (Pendulum preset) on Pendulum-v1, 300k steps (bar: mean final eval >= -300)",
    algo: "ppo",
    env: "Pendulum-v1",
    steps: 300_000,
    evalEvery: 20_000,
    bar: { kind: "mean", threshold: -300 },
  },
  "reppo-pendulum": {
    description: "REPPO (Pendulum preset) on Pendulum-v1, 40k steps (bar: mean final eval >= -400)",
    algo: "reppo",
    env: "Pendulum-v1",
    steps: 40_000,
    evalEvery: 4_096,
    bar: { kind: "mean", threshold: -400 },
  },
  "diffreppo-pendulum": {
    description:
      "DiffREPPO (K=4, Pendulum preset) on Pendulum-v1, 40k steps (bar: mean final eval >= -400)",
    algo: "diffreppo",
    env: "Pendulum-v1",
    steps: 40_000,
    evalEvery: 4_096,
    bar: { kind: "mean", threshold: -400 },
  },
  "diffsac-lv-pendulum": {
    description: "DiffSAC (K=8, chain) with the log-variance actor loss (M = 4) on Pendulum-v1, " +
      "6k steps, evaluated every 1k (diffsac-chain-pendulum's first 6k steps are its comparison)",
    algo: "diffsac",
    env: "Pendulum-v1",
    steps: 6_000,
    evalEvery: 1_000,
    bar: null,
    config: { algoParams: { actorLoss: "log-variance", lvSamples: 4 } },
  },
  "multimodal-diffsac-lv": {
    description: "DiffSAC with the log-variance actor loss (M = 4) on DoubleWell-v0, 15k steps: " +
      "share of 1,000 sampled actions near each mode (multimodal-diffsac is its comparison)",
    algo: "diffsac",
    env: "DoubleWell-v0",
    steps: 15_000,
    evalEvery: 1_000,
    bar: null,
    analyse: modeShares,
    config: { algoParams: { actorLoss: "log-variance", lvSamples: 4 } },
  },
};

/**
 * Samples 1,000 stochastic actions from a DoubleWell run's policy and reports the share within
 * {@link MODE_RADIUS} of each optimal mode.
 */
export async function modeShares(runDir: string): Promise<Record<string, number>> {
  const samples = await sampleRunActions(runDir, { count: 1000, seed: 12345 });
  const [plus, minus] = sharesNear(samples, modesOf(samples), MODE_RADIUS);
  return { "mode+": plus, "mode-": minus };
}

/**
 * `--set PATH=VALUE` overrides on a benchmark's run config, as `train --set` reads them (one
 * parser, scripts/cli.ts's `parseSets`), e.g. `policyParams.diffusionSteps=4`.
 */
export function applyOverrides(
  config: Record<string, unknown>,
  overrides: string[],
): Record<string, unknown> {
  return withSets(config, parseSets(overrides, CONFIG_KEYS));
}

const FLAGS: Record<string, FlagSpec> = {
  "--seeds": { key: "seeds", kind: "string", help: "comma-separated seeds (default 0,1,2)" },
  "--jobs": { key: "jobs", kind: "int", help: "runs in parallel (default 1)" },
  "--steps": { key: "steps", kind: "int", help: "override the benchmark's env steps" },
  "--out": { key: "out", kind: "string", help: "folder for the runs (default bench-runs)" },
  "--backend": { key: "backend", kind: "string", help: "TensorFlow.js backend (default wasm)" },
  "--set": {
    key: "set",
    kind: "list",
    help: "override run config, e.g. policyParams.diffusionSteps=4 (repeatable)",
  },
  "--repeat": {
    key: "repeat",
    kind: "int",
    help: "bench update: repeats, the PyTorch peer and dmerl in turn (default 3)",
  },
  "--help": { key: "help", kind: "boolean", help: "show this help" },
};

/** Measurements that are not training runs: name -> markdown summary. */
const MEASUREMENTS: Record<
  string,
  { description: string; run: (options: { repeat?: number }) => Promise<string>; repeats?: true }
> = {
  "update-time": {
    description:
      "ms per env step + update on Pendulum-v1: SAC, and DiffSAC (both surrogates) for K in 1, 2, 4, 8, 16",
    run: async () => {
      const { timeEnvSteps } = await import("../bench/update_timing.ts");
      const registry = builtinRegistry();
      const common = { env: "Pendulum-v1", algoParams: { learningStarts: 300 } };
      // one env copy, so one env step is one update
      const timing = (raw: Record<string, unknown>) =>
        timeEnvSteps(registry, { ...common, ...raw }, { warmupSteps: 300, measureSteps: 40 });
      const sac = await timing({ algo: "sac" });
      const lines = [
        "## update-time: one env step + one update at Pendulum-v1 sizes (batch 256, 256x256 nets)",
        "",
        "| algorithm | K | surrogate | ms per update | ratio to SAC |",
        "| --- | --- | --- | --- | --- |",
        `| SAC | - | - | ${sac.toFixed(1)} | 1.00 |`,
      ];
      for (const surrogate of ["augmented", "chain"]) {
        for (const K of [1, 2, 4, 8, 16]) {
          const ms = await timing({
            algo: "diffsac",
            algoParams: { ...common.algoParams, surrogate },
            policyParams: { diffusionSteps: K },
          });
          lines.push(
            `| DiffSAC | ${K} | ${surrogate} | ${ms.toFixed(1)} | ${(ms / sac).toFixed(2)} |`,
          );
        }
      }
      return lines.join("\n");
    },
  },
  "update": {
    description:
      "CPU and wall ms per update at Humanoid-v4 sizes: SAC, DiffSAC K=1 and 8 (chain), PPO; wasm, wasm-blas, cpu, and PyTorch (every pool pinned) when installed, in turn over --repeat repeats (default 3); DMERL_BLAS_THREADS=2 runs both sides on two threads",
    repeats: true,
    run: async ({ repeat }) => {
      const { updateTable } = await import("../bench/update_timing.ts");
      const threads = Number(Deno.env.get("DMERL_BLAS_THREADS") ?? "1");
      return await updateTable(builtinRegistry(), undefined, { threads, repeat });
    },
  },
  "lv-cost": {
    description:
      "CPU ms per DiffSAC update on Pendulum-v1's preset (K=8 chain, batch 256, 256x256): the reparameterised actor loss against the log-variance loss at M = 2, 4, 8 (wasm-blas, one thread)",
    run: async () => {
      const { medianUpdateCpuMs, prepareUpdate } = await import("../bench/update_timing.ts");
      const { enableNativeMatMul, useBackend } = await import("../core/tensor/mod.ts");
      await useBackend("wasm");
      const blas = enableNativeMatMul({ threads: 1 });
      const variants: [string, Record<string, unknown>][] = [
        ["reparameterised (default)", {}],
        ...[2, 4, 8].map((M): [string, Record<string, unknown>] => [
          `log-variance, M = ${M}`,
          { actorLoss: "log-variance", lvSamples: M },
        ]),
      ];
      const lines = [
        `## lv-cost: DiffSAC update, Pendulum-v1 preset, ${
          blas ? "wasm-blas" : "wasm"
        }, one thread`,
        "",
        "CPU ms per update: the median over 12 actor-delay cycles (one critic-only update, one",
        "with two actor steps) after two warm-up cycles.",
        "",
        "| actor loss | ms per update | ratio |",
        "| --- | --- | --- |",
      ];
      let base = 0;
      for (const [label, algoParams] of variants) {
        const prepared = await prepareUpdate(builtinRegistry(), {
          algo: "diffsac",
          env: "Pendulum-v1",
          algoParams: { learningStarts: 300, ...algoParams },
        });
        for (let i = 0; i < 2; i++) prepared.run();
        const ms = medianUpdateCpuMs(prepared, 12);
        prepared.dispose();
        base ||= ms;
        lines.push(`| ${label} | ${ms.toFixed(1)} | ${(ms / base).toFixed(2)} |`);
      }
      return lines.join("\n");
    },
  },
  "hopper-throughput": {
    description:
      "env steps/s and hours per 1M steps on Hopper-v4, CleanRL's settings: SAC, DiffSAC K=8, PPO, DiffPPO K=8, the env alone, and a PyTorch peer replaying the same update schedule (no simulator); DMERL_BLAS_THREADS=2 runs both sides on two threads",
    run: async () => {
      const { formatThroughput, measureThroughput } = await import("../bench/throughput.ts");
      const threads = Number(Deno.env.get("DMERL_BLAS_THREADS") ?? "1");
      return formatThroughput(await measureThroughput(builtinRegistry(), undefined, { threads }));
    },
  },
  "step-time": {
    description:
      "wall-clock per 1k env steps on Pendulum-v1 with each algorithm's preset, once learning has started",
    run: async () => {
      const { timeEnvSteps } = await import("../bench/update_timing.ts");
      const registry = builtinRegistry();
      // off-policy: learning starts right after the warm-up (the presets wait 1000 steps)
      const offPolicy = {
        window: { warmupSteps: 300, measureSteps: 60 },
        algoParams: { learningStarts: 300 },
      };
      // whole rollouts: the PPO presets collect 4 x 1024 env steps per iteration
      const onPolicy = { window: { warmupSteps: 4096, measureSteps: 8192 }, algoParams: {} };
      const rows: [string, typeof offPolicy | typeof onPolicy][] = [
        ["sac", offPolicy],
        ["wpo", offPolicy],
        ["diffsac", offPolicy],
        ["diffwpo", offPolicy],
        ["ppo", onPolicy],
        ["diffppo", onPolicy],
        ["dppo", onPolicy],
      ];
      const lines = [
        "## step-time: Pendulum-v1, each algorithm's preset, backend wasm, one process",
        "",
        "| algorithm | K | s per 1k env steps | env steps per s |",
        "| --- | --- | --- | --- |",
      ];
      for (const [algo, { window, algoParams }] of rows) {
        const raw = { algo, env: "Pendulum-v1", algoParams };
        const { config } = resolveConfig(raw, registry);
        const K = (config.policyParams as { diffusionSteps?: number }).diffusionSteps ?? "-";
        const ms = await timeEnvSteps(registry, raw, window);
        lines.push(`| ${algo} | ${K} | ${ms.toFixed(2)} | ${(1000 / ms).toFixed(0)} |`);
      }
      return lines.join("\n");
    },
  },
  "mujoco-speed": {
    description:
      "every MuJoCo task: env steps/s through VecEnv beside a raw mj_step loop (bar: overhead <= 15%), zero-action and random returns",
    run: async () => {
      const { measureMujocoSpeed, baselineReturns } = await import("../bench/mujoco_speed.ts");
      const registry = builtinRegistry();
      const lines = [
        "## mujoco-speed: one core, one env copy, uniformly random actions (CPU time, best of 5 rounds)",
        "",
        "| task | VecEnv steps/s | raw mj_step loop steps/s | overhead | zero-action return | random return (mean ± std, length) |",
        "| --- | --- | --- | --- | --- | --- |",
      ];
      let worst = 0;
      for (const id of MUJOCO_ENV_IDS) {
        const speed = await measureMujocoSpeed(registry, id, { steps: 5_000 });
        worst = Math.max(worst, speed.overhead);
        const zero = await baselineReturns(registry, id, { policy: "zero", episodes: 1, seed: 0 });
        const random = await baselineReturns(registry, id, {
          policy: "random",
          episodes: 20,
          seed: 0,
        });
        lines.push(
          `| ${id} | ${speed.vecEnvStepsPerSecond.toFixed(0)} | ${
            speed.rawStepsPerSecond.toFixed(0)
          } | ${(100 * speed.overhead).toFixed(1)}% | ${
            zero.mean.toFixed(1)
          } (${zero.meanLength}) | ${random.mean.toFixed(1)} ± ${random.std.toFixed(1)} (${
            random.meanLength.toFixed(0)
          }) |`,
        );
      }
      lines.push(
        "",
        `bar (overhead <= 15% on every task): ${worst <= 0.15 ? "PASSED" : "NOT MET"}`,
      );
      return lines.join("\n");
    },
  },
  "dmc-speed": {
    description:
      "every DMC task: env steps/s through VecEnv beside a bare mj_step loop, zero-action and random returns",
    run: async () => {
      const { measureDmcSpeed } = await import("../bench/dmc_speed.ts");
      const { baselineReturns } = await import("../bench/mujoco_speed.ts");
      const { DMC_ENV_IDS } = await import("../plugins/dmc/mod.ts");
      const registry = builtinRegistry();
      const lines = [
        "## dmc-speed: one core, one env copy, uniformly random actions (CPU time, best of 3 rounds)",
        "",
        "| task | VecEnv steps/s | bare mj_step loop steps/s | overhead | zero-action return | random return (mean ± std, 10 episodes) |",
        "| --- | --- | --- | --- | --- | --- |",
      ];
      for (const id of DMC_ENV_IDS) {
        const speed = await measureDmcSpeed(registry, id, { steps: 5_000 });
        const zero = await baselineReturns(registry, id, {
          policy: "zero",
          episodes: 3,
          seed: 0,
        });
        const random = await baselineReturns(registry, id, {
          policy: "random",
          episodes: 10,
          seed: 0,
        });
        lines.push(
          `| ${id} | ${speed.vecEnvStepsPerSecond.toFixed(0)} | ${
            speed.rawStepsPerSecond.toFixed(0)
          } | ${(100 * speed.overhead).toFixed(1)}% | ${zero.mean.toFixed(1)} ± ${
            zero.std.toFixed(1)
          } | ${random.mean.toFixed(1)} ± ${random.std.toFixed(1)} |`,
        );
      }
      return lines.join("\n");
    },
  },
  "onnx-latency": {
    description:
      "K=8 diffusion policy at Humanoid sizes: onnxruntime CPU vs TensorFlow.js, batch 1 and 1024 (bar: onnxruntime >= 10x faster at batch 1)",
    run: async () => {
      const { measureLatency } = await import("../bench/latency.ts");
      const { rows, description } = await measureLatency({ steps: 8, threads: 1 });
      const tf1 = rows.find((r) => r.batch === 1 && r.runtime.startsWith("TensorFlow"))!;
      const ort1 = rows.find((r) => r.batch === 1 && r.runtime.startsWith("onnx"))!;
      const speedup = tf1.msPerCall / ort1.msPerCall;
      return [
        `## onnx-latency: ${description}`,
        "",
        "| runtime | batch | ms per call | actions per second |",
        "| --- | --- | --- | --- |",
        ...rows.map((r) =>
          `| ${r.runtime} | ${r.batch} | ${r.msPerCall.toFixed(3)} | ${
            r.actionsPerSecond.toFixed(0)
          } |`
        ),
        "",
        `batch-1 speedup of onnxruntime over TensorFlow.js: ${speedup.toFixed(1)}x`,
        `bar (>= 10x at batch 1): ${speedup >= 10 ? "PASSED" : "NOT MET"}`,
      ].join("\n");
    },
  },
};

function helpText(): string {
  const names = [
    ...Object.entries(BENCHMARKS).map(([n, b]) => `  ${n.padEnd(16)} ${b.description}`),
    ...Object.entries(MEASUREMENTS).map(([n, m]) => `  ${n.padEnd(16)} ${m.description}`),
  ];
  return `${usage("deno task bench NAME [flags]", FLAGS)}\n\nbenchmarks:\n${names.join("\n")}`;
}

async function runSeed(bench: Benchmark, seed: number, dir: string, opts: {
  steps: number;
  backend: string;
}): Promise<void> {
  const args = [
    "--algo",
    bench.algo,
    "--env",
    bench.env,
    "--steps",
    String(opts.steps),
    "--seed",
    String(seed),
    "--eval-every",
    String(bench.evalEvery),
    "--backend",
    opts.backend,
    "--out",
    dir,
    "--name",
    `seed${seed}`,
    "--quiet",
  ];
  if (bench.config && Object.keys(bench.config).length > 0) {
    const path = `${dir}/bench-config.json`;
    Deno.writeTextFileSync(path, JSON.stringify(bench.config));
    args.push("--config", path);
  }
  const result = await runTrainChild(args);
  if (result.code !== 0) throw new Error(`seed ${seed} failed:\n${result.stderrTail}`);
  console.error(`seed ${seed} done`);
}

if (import.meta.main) {
  await runMain(async () => {
    const args = parseFlags(Deno.args, FLAGS);
    if (args.values.help || args.positional.length === 0) {
      console.log(helpText());
      return args.values.help ? 0 : 2;
    }
    const name = args.positional[0];
    const repeat = args.values.repeat as number | undefined;
    if (repeat !== undefined && !MEASUREMENTS[name]?.repeats) {
      const takers = Object.keys(MEASUREMENTS).filter((m) => MEASUREMENTS[m].repeats);
      throw new ConfigError(`--repeat: only for ${takers.join(", ")}, not '${name}'`);
    }
    if (repeat !== undefined && (!Number.isInteger(repeat) || repeat < 1)) {
      throw new ConfigError(`--repeat: expected an integer >= 1, got ${repeat}`);
    }
    if (MEASUREMENTS[name]) {
      console.log(await MEASUREMENTS[name].run({ repeat }));
      return 0;
    }
    const bench = BENCHMARKS[name];
    if (!bench) {
      throw new ConfigError(
        `benchmark: unknown '${name}'; available: ${
          [...Object.keys(BENCHMARKS), ...Object.keys(MEASUREMENTS)].join(", ")
        }`,
      );
    }
    const seedsText = (args.values.seeds as string | undefined) ?? "0,1,2";
    const seeds = seedsText.split(",").map((s) => Number(s.trim()));
    if (seeds.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new ConfigError(`--seeds: expected comma-separated integers >= 0, got '${seedsText}'`);
    }
    const jobs = (args.values.jobs as number | undefined) ?? 1;
    if (!Number.isInteger(jobs) || jobs < 1) {
      throw new ConfigError(`--jobs: expected an integer >= 1, got ${jobs}`);
    }
    const steps = (args.values.steps as number | undefined) ?? bench.steps;
    const overrides = (args.values.set as string[] | undefined) ?? [];
    const runConfig = applyOverrides(structuredClone(bench.config ?? {}), overrides);
    const backend = (args.values.backend as string | undefined) ?? "wasm";
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");
    // a folder of its own even when two benchmarks start in the same second
    const dir = RunStore.create(
      (args.values.out as string | undefined) ?? "bench-runs",
      `${name}-${stamp}`,
    ).dir;
    console.error(`${bench.description}\nseeds ${seeds.join(",")}, ${jobs} job(s), runs in ${dir}`);

    const queue = [...seeds];
    const workers = Array.from({ length: Math.min(jobs, seeds.length) }, async () => {
      while (queue.length > 0) {
        await runSeed({ ...bench, config: runConfig }, queue.shift()!, dir, { steps, backend });
      }
    });
    await Promise.all(workers);

    const analyses = await Promise.all(
      seeds.map((seed) => bench.analyse ? bench.analyse(`${dir}/seed${seed}`) : {}),
    );
    const perSeed = seeds.map((seed, i) => {
      const rows = RunStore.open(`${dir}/seed${seed}`).readMetrics();
      const evals = rows.filter((r) => "eval/return_mean" in r);
      const last = rows[rows.length - 1] as MetricsRow;
      return {
        seed,
        final: evals[evals.length - 1]["eval/return_mean"],
        finalStd: evals[evals.length - 1]["eval/return_std"],
        curve: evals.map((r) => [r.step, Number(formatReturn(r["eval/return_mean"]))]),
        secondsPer1k: (last.time_s / last.step) * 1000,
        figures: analyses[i] as Record<string, number>,
      };
    });
    const finals = perSeed.map((s) => s.final);
    const { mean, std } = meanStd(finals);
    const bar = bench.bar;
    const verdicts: string[] = [];
    let passed = true;
    if (bar) {
      const ok = bar.kind === "every-seed"
        ? finals.every((f) => f >= bar.threshold)
        : mean >= bar.threshold;
      verdicts.push(
        `bar (${bar.kind} eval return >= ${bar.threshold}): ${ok ? "PASSED" : "NOT MET"}`,
      );
      passed &&= ok;
    }
    if (bench.analysisBar) {
      const { passed: ok, text } = bench.analysisBar(perSeed.map((s) => s.figures));
      verdicts.push(`bar (${text}): ${ok ? "PASSED" : "NOT MET"}`);
      passed &&= ok;
    }
    const figureNames = Object.keys(perSeed[0].figures);
    const lines = [
      `## ${name}: ${bench.description}`,
      "",
      `backend ${backend}, ${jobs} parallel job(s), ${steps} steps${
        overrides.length ? `, overrides: ${overrides.join(" ")}` : ""
      }`,
      "",
      `| seed | final eval return | wall-clock per 1k env steps |${
        figureNames.map((f) => ` ${f} |`).join("")
      }`,
      `| --- | --- | --- |${figureNames.map(() => " --- |").join("")}`,
      ...perSeed.map((s) =>
        `| ${s.seed} | ${formatReturn(s.final)} ± ${formatReturn(s.finalStd)} | ${
          s.secondsPer1k.toFixed(2)
        } s |${figureNames.map((f) => ` ${s.figures[f].toFixed(3)} |`).join("")}`
      ),
      `| mean | ${formatReturn(mean)} ± ${formatReturn(std)} (over seeds) | ${
        meanStd(perSeed.map((s) => s.secondsPer1k)).mean.toFixed(2)
      } s |${
        figureNames.map((f) => ` ${meanStd(perSeed.map((s) => s.figures[f])).mean.toFixed(3)} |`)
          .join("")
      }`,
      "",
      "eval curves (step, mean deterministic return over the eval episodes):",
      ...perSeed.map((s) => `- seed ${s.seed}: ${s.curve.map(([a, b]) => `${a}:${b}`).join(" ")}`),
      "",
      ...verdicts,
    ];
    const svg = await learningCurveSvg(
      perSeed.map((s) => ({
        label: `seed ${s.seed}`,
        rows: RunStore.open(`${dir}/seed${s.seed}`).readMetrics(),
      })),
      `${bench.algo} on ${bench.env}: evaluation return per seed`,
    );
    Deno.writeTextFileSync(`${dir}/curves.svg`, svg);
    lines.push("", `curves: ${dir}/curves.svg`);
    const summary = lines.join("\n");
    Deno.writeTextFileSync(`${dir}/summary.md`, summary + "\n");
    Deno.writeTextFileSync(
      `${dir}/summary.json`,
      JSON.stringify({ name, steps, perSeed }, null, 2),
    );
    console.log(summary);
    return passed ? 0 : 1;
  });
}
