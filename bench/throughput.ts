/**
 * End-to-end throughput behind `deno task bench hopper-throughput`: env steps per second of
 * whole learning loops (acting, MuJoCo, updates) on Hopper-v4 with CleanRL's settings, the
 * wall time that implies for a 1M-step run, the env step alone, and a PyTorch peer that replays
 * the same update schedule on random data (bench/peers/torch_throughput.py, no simulator).
 */
import type { Registry } from "../core/mod.ts";
import { disableNativeMatMul, enableNativeMatMul, useBackend } from "../core/tensor/mod.ts";
import { measureMujocoSpeed } from "./mujoco_speed.ts";
import { cpuModel, type EnvStepWindow, measureEnvSteps, runTorchPeer } from "./update_timing.ts";

/** One learning loop to time: its run config, its window and the peer's key for it. */
export interface ThroughputCase {
  label: string;
  /** Run config as `train` reads it; its preset applies. */
  raw: Record<string, unknown>;
  /** Env steps before the window (plus one warm-up iteration), and at least this many in it. */
  window: { warmupSteps: number; measureSteps: number };
  /** Key of bench/peers/torch_throughput.py's result for the same loop. */
  peer: string;
}

/** Replay filled by this many random steps before learning starts (CleanRL waits 5,000). */
const SHORT_LEARNING_STARTS = 500;

/**
 * The loops `bench hopper-throughput` times: the Hopper-v4 presets (CleanRL's MuJoCo settings:
 * one env; SAC family batch 256, policy_frequency 2, 256x256 networks; PPO family rollouts of
 * 2048 env steps, 10 epochs x 32 minibatches, 64x64 networks), learning starting after
 * {@link SHORT_LEARNING_STARTS} steps so that the warm-up is short. Windows: a few hundred env
 * steps after 400 updates (SAC) or 120 (DiffSAC K=8, about 35 ms an update), by when V8 has
 * compiled the update's code in its last tier (the peer warms up as many), one whole rollout and
 * its epochs after a warm-up one (PPO, DiffPPO).
 */
export const HOPPER_THROUGHPUT: ThroughputCase[] = [
  {
    label: "SAC",
    peer: "sac",
    raw: { algo: "sac", env: "Hopper-v4", algoParams: { learningStarts: SHORT_LEARNING_STARTS } },
    window: { warmupSteps: SHORT_LEARNING_STARTS + 400, measureSteps: 300 },
  },
  {
    label: "DiffSAC K=8 (chain)",
    peer: "diffsac-k8",
    raw: {
      algo: "diffsac",
      env: "Hopper-v4",
      algoParams: { learningStarts: SHORT_LEARNING_STARTS, surrogate: "chain" },
      policyParams: { diffusionSteps: 8 },
    },
    window: { warmupSteps: SHORT_LEARNING_STARTS + 120, measureSteps: 150 },
  },
  {
    label: "PPO",
    peer: "ppo",
    raw: { algo: "ppo", env: "Hopper-v4" },
    window: { warmupSteps: 0, measureSteps: 2048 },
  },
  {
    label: "DiffPPO K=8",
    peer: "diffppo-k8",
    raw: { algo: "diffppo", env: "Hopper-v4", policyParams: { diffusionSteps: 8 } },
    window: { warmupSteps: 0, measureSteps: 2048 },
  },
];

/** A timed loop: what ran and its window. */
export interface ThroughputRow {
  case: ThroughputCase;
  /** The timed window (env steps, warm-up steps before it, wall and CPU milliseconds). */
  timing: EnvStepWindow;
}

/** CPU and wall ms per env step of a peer loop, its window and updates per env step. */
interface PeerLoop {
  cpu: number;
  wall: number;
  steps: number;
  updatesPerStep: number;
}

/** What bench/peers/torch_throughput.py reports. */
export interface ThroughputPeer {
  ms: Record<string, PeerLoop>;
  torch: string;
  threads: number;
  blas: string;
  pools: unknown;
}

/** Everything {@link formatThroughput} lays out. */
export interface ThroughputReport {
  rows: ThroughputRow[];
  /** The peer's report, or why it did not run. */
  peer: ThroughputPeer | string;
  /** The env alone: CPU ms per env step through a one-copy VecEnv (random actions). */
  env: { id: string; cpuMsPerStep: number; steps: number };
  /** The backend the loops ran on, in words (wasm-blas with its threads, or why wasm). */
  backend: string;
  threads: number;
}

/**
 * Times each loop of `cases` on wasm-blas (wasm when no BLAS loads) with `threads` BLAS
 * threads, the env alone (the first case's env, a MuJoCo task: `envSteps` steps through a
 * one-copy VecEnv, best of `envRounds` rounds of CPU time), and the PyTorch peer
 * with every pool pinned to `threads` and its windows scaled by `peerScale`.
 */
export async function measureThroughput(
  registry: Registry,
  cases: ThroughputCase[] = HOPPER_THROUGHPUT,
  options: { threads?: number; peerScale?: number; envSteps?: number; envRounds?: number } = {},
): Promise<ThroughputReport> {
  const threads = options.threads ?? 1;
  await useBackend("wasm");
  const blas = enableNativeMatMul({ threads });
  disableNativeMatMul();
  const backend = blas.enabled ? "wasm-blas" : "wasm";
  const rows: ThroughputRow[] = [];
  for (const c of cases) {
    const timing = await measureEnvSteps(registry, c.raw, { ...c.window, backend, threads });
    rows.push({ case: c, timing });
    console.error(
      `${c.label}: ${timing.envSteps} env steps in ${(timing.wallMs / 1000).toFixed(1)} s`,
    );
  }
  await useBackend("wasm");
  const id = cases[0].raw.env as string;
  const envSteps = options.envSteps ?? 2000;
  const speed = await measureMujocoSpeed(registry, id, {
    steps: envSteps,
    rounds: options.envRounds ?? 3,
  });
  const peer = await runTorchPeer<ThroughputPeer>("torch_throughput.py", [
    "--json",
    "--threads",
    String(threads),
    "--scale",
    String(options.peerScale ?? 1),
    "--cases",
    cases.map((c) => c.peer).join(","),
  ]);
  return {
    rows,
    peer,
    env: { id, cpuMsPerStep: 1000 / speed.vecEnvStepsPerSecond, steps: envSteps },
    backend: blas.enabled
      ? `wasm-blas (${blas.library}, ${threads} BLAS thread(s))`
      : `wasm (wasm-blas: ${blas.reason})`,
    threads,
  };
}

/** Hours that `msPerStep` implies for 1M env steps. */
export function hoursPerMillion(msPerStep: number): number {
  return (msPerStep * 1e6) / 3.6e6;
}

/** The markdown report of {@link measureThroughput}'s figures. */
export function formatThroughput(report: ThroughputReport): string {
  const { peer, env } = report;
  const f = (x: number | undefined, digits = 2) => (x === undefined ? "-" : x.toFixed(digits));
  const pair = (a: number | undefined, b: number | undefined, digits = 2) =>
    `${f(a, digits)} / ${f(b, digits)}`;
  const lines = [
    `## hopper-throughput: whole learning loops on ${env.id}, CleanRL's settings, ` +
    `${report.threads} thread(s)`,
    "",
    `dmerl: the loop as \`train\` runs it (acting, the MuJoCo step, replay or rollout, updates)`,
    `on ${report.backend}, one process, one env. SAC family: env steps once learning has`,
    `started (learningStarts lowered to ${SHORT_LEARNING_STARTS} so that the warm-up is short), one update`,
    "per env step, the actor and temperature stepped twice every 2nd. PPO family:",
    "whole iterations (a rollout of 2048 env steps, then 10 epochs x 32 minibatches) after a",
    "warm-up iteration. Windows are short (column 2: env steps timed, in brackets the env steps",
    "before them): a few hundred env steps for SAC, fewer for DiffSAC K=8 (about 50 ms an env",
    "step), one rollout for PPO and DiffPPO (DiffPPO's is 16,384 denoising steps); figures from a",
    "busy machine are indicative only. CPU is this process's user + system time; 1M steps is the",
    "time the window implies for a 1M-step run on one core.",
    "",
    "PyTorch peer: the same acting (batch 1) and update schedule on random data, with NO",
    "simulator: dmerl's figures include the MuJoCo step, whose cost alone (CPU) is the last row,",
    "so the last column compares like with like by subtracting it from dmerl's CPU and wall ms.",
    "",
    "| loop | window: env steps (after) | env steps/s CPU / wall | ms per env step CPU / wall | 1M steps, h CPU / wall | PyTorch ms per env step CPU / wall | PyTorch 1M steps, h CPU / wall | (dmerl - env) / PyTorch CPU / wall |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const row of report.rows) {
    const { timing } = row;
    const cpu = timing.cpuMs / timing.envSteps;
    const wall = timing.wallMs / timing.envSteps;
    const p = typeof peer === "string" ? undefined : peer.ms[row.case.peer];
    const ratio = (ms: number, peerMs: number | undefined) =>
      peerMs === undefined ? undefined : (ms - env.cpuMsPerStep) / peerMs;
    lines.push(
      `| ${row.case.label} | ${timing.envSteps} (${timing.afterSteps}) | ${
        pair(1000 / cpu, 1000 / wall, 0)
      } | ${pair(cpu, wall)} | ${pair(hoursPerMillion(cpu), hoursPerMillion(wall), 1)} | ${
        p ? `${pair(p.cpu, p.wall)} (${p.steps} steps)` : "-"
      } | ${p ? pair(hoursPerMillion(p.cpu), hoursPerMillion(p.wall), 1) : "-"} | ${
        pair(ratio(cpu, p?.cpu), ratio(wall, p?.wall))
      } |`,
    );
  }
  lines.push(
    `| ${env.id} env alone (VecEnv, random actions) | ${env.steps} (best of rounds) | ${
      f(1000 / env.cpuMsPerStep, 0)
    } / - | ${f(env.cpuMsPerStep, 3)} / - | ${
      f(hoursPerMillion(env.cpuMsPerStep), 2)
    } / - | - | - | - |`,
    "",
  );
  lines.push(
    typeof peer === "string"
      ? `- PyTorch: not measured (${peer})`
      : `- PyTorch ${peer.torch} (${peer.blas}), ${peer.threads} thread(s), every pool pinned ` +
        `before import (bench/peers/torch_throughput.py); pools: ${JSON.stringify(peer.pools)}`,
  );
  const [load1] = Deno.loadavg();
  lines.push(
    `- machine: ${cpuModel()}, ${navigator.hardwareConcurrency} logical cores, ` +
      `${Deno.build.os}; load average at the end ${load1.toFixed(2)}`,
  );
  return lines.join("\n");
}
