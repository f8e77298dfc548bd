/**
 * `deno task bench NAME [--seeds 0,1,2] [--jobs N] [--steps N] [--out DIR]`: learning
 * benchmarks. Each runs real training runs (one process per seed, up to `--jobs` at a time)
 * through the same CLI users run, then summarises their evaluation curves and wall-clock.
 */
import { ConfigError, meanStd, type MetricsRow, RunStore } from "../core/mod.ts";
import { type FlagSpec, parseFlags, runMain, usage } from "./cli.ts";
import { learningCurveSvg } from "./plot.ts";

interface Benchmark {
  description: string;
  algo: string;
  env: string;
  steps: number;
  evalEvery: number;
  /** The bar the result is held to: mean/min eval return at the end. */
  bar: { kind: "every-seed" | "mean"; threshold: number };
  extra?: string[];
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
  "ppo-pendulum": {
    description: "PPO (Pendulum preset) on Pendulum-v1, 300k steps (bar: mean final eval >= -300)",
    algo: "ppo",
    env: "Pendulum-v1",
    steps: 300_000,
    evalEvery: 20_000,
    bar: { kind: "mean", threshold: -300 },
  },
};

const FLAGS: Record<string, FlagSpec> = {
  "--seeds": { key: "seeds", kind: "string", help: "comma-separated seeds (default 0,1,2)" },
  "--jobs": { key: "jobs", kind: "int", help: "runs in parallel (default 1)" },
  "--steps": { key: "steps", kind: "int", help: "override the benchmark's env steps" },
  "--out": { key: "out", kind: "string", help: "folder for the runs (default bench-runs)" },
  "--backend": { key: "backend", kind: "string", help: "TensorFlow.js backend (default wasm)" },
  "--help": { key: "help", kind: "boolean", help: "show this help" },
};

function helpText(): string {
  const names = Object.entries(BENCHMARKS).map(([n, b]) => `  ${n.padEnd(16)} ${b.description}`);
  return `${usage("deno task bench NAME [flags]", FLAGS)}\n\nbenchmarks:\n${names.join("\n")}`;
}

async function runSeed(bench: Benchmark, seed: number, dir: string, opts: {
  steps: number;
  backend: string;
}): Promise<void> {
  const args = [
    "run",
    "-A",
    new URL("./train.ts", import.meta.url).pathname,
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
    ...(bench.extra ?? []),
  ];
  const child = new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" })
    .spawn();
  const output = await child.output();
  if (!output.success) {
    throw new Error(
      `seed ${seed} failed:\n${new TextDecoder().decode(output.stderr).slice(-2000)}`,
    );
  }
  console.error(`seed ${seed} done`);
}

await runMain(async () => {
  const args = parseFlags(Deno.args, FLAGS);
  if (args.values.help || args.positional.length === 0) {
    console.log(helpText());
    return args.values.help ? 0 : 2;
  }
  const name = args.positional[0];
  const bench = BENCHMARKS[name];
  if (!bench) {
    throw new ConfigError(
      `benchmark: unknown '${name}'; available: ${Object.keys(BENCHMARKS).join(", ")}`,
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
  const backend = (args.values.backend as string | undefined) ?? "wasm";
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");
  const dir = `${(args.values.out as string | undefined) ?? "bench-runs"}/${name}-${stamp}`;
  Deno.mkdirSync(dir, { recursive: true });
  console.error(`${bench.description}\nseeds ${seeds.join(",")}, ${jobs} job(s), runs in ${dir}`);

  const queue = [...seeds];
  const workers = Array.from({ length: Math.min(jobs, seeds.length) }, async () => {
    while (queue.length > 0) await runSeed(bench, queue.shift()!, dir, { steps, backend });
  });
  await Promise.all(workers);

  const perSeed = seeds.map((seed) => {
    const rows = RunStore.open(`${dir}/seed${seed}`).readMetrics();
    const evals = rows.filter((r) => "eval/return_mean" in r);
    const last = rows[rows.length - 1] as MetricsRow;
    return {
      seed,
      final: evals[evals.length - 1]["eval/return_mean"],
      finalStd: evals[evals.length - 1]["eval/return_std"],
      curve: evals.map((r) => [r.step, Number(r["eval/return_mean"].toFixed(1))]),
      secondsPer1k: (last.time_s / last.step) * 1000,
    };
  });
  const finals = perSeed.map((s) => s.final);
  const { mean, std } = meanStd(finals);
  const passed = bench.bar.kind === "every-seed"
    ? finals.every((f) => f >= bench.bar.threshold)
    : mean >= bench.bar.threshold;
  const lines = [
    `## ${name}: ${bench.description}`,
    "",
    `backend ${backend}, ${jobs} parallel job(s), ${steps} steps`,
    "",
    "| seed | final eval return | wall-clock per 1k env steps |",
    "| --- | --- | --- |",
    ...perSeed.map((s) =>
      `| ${s.seed} | ${s.final.toFixed(1)} ± ${s.finalStd.toFixed(1)} | ${
        s.secondsPer1k.toFixed(2)
      } s |`
    ),
    `| mean | ${mean.toFixed(1)} ± ${std.toFixed(1)} (over seeds) | ${
      meanStd(perSeed.map((s) => s.secondsPer1k)).mean.toFixed(2)
    } s |`,
    "",
    "eval curves (step, mean deterministic return over the eval episodes):",
    ...perSeed.map((s) => `- seed ${s.seed}: ${s.curve.map(([a, b]) => `${a}:${b}`).join(" ")}`),
    "",
    `bar (${bench.bar.kind} >= ${bench.bar.threshold}): ${passed ? "PASSED" : "NOT MET"}`,
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
  Deno.writeTextFileSync(`${dir}/summary.json`, JSON.stringify({ name, steps, perSeed }, null, 2));
  console.log(summary);
  return passed ? 0 : 1;
});
