/**
 * The trainer loop: builds env, policy and algorithm from a resolved config, iterates, logs
 * metrics rows, evaluates, checkpoints, and resumes exactly from a checkpoint.
 */
import { VecEnv, type VecEnvState } from "./env.ts";
import { evaluatePolicy, meanStd } from "./evaluate.ts";
import type { Algorithm, Metrics, Registry } from "./plugin.ts";
import type { Policy } from "./policy.ts";
import { Rng } from "./rng.ts";
import { type MetricsRow, RUN_FILES, RunStore } from "./run_store.ts";
import { type NamedArrays, writeFileAtomicSync } from "./serialize.ts";
import { resolveConfig, type ResolvedRun, type RunConfig } from "./config.ts";
import { ConfigError } from "./schema.ts";

/** Progress reported to the CLI. */
export interface Progress {
  envSteps: number;
  totalSteps: number;
  stepsPerSecond: number;
  /** Mean return of the most recent training episodes (NaN before the first one ends). */
  recentReturn: number;
  lastEvalReturn: number;
  etaSeconds: number;
}

/** Options of {@link train}. */
export interface TrainOptions {
  registry: Registry;
  /** Aborting checkpoints and returns with status "interrupted". */
  signal?: AbortSignal;
  /** Called at most every `progressIntervalMs`. */
  onProgress?: (progress: Progress) => void;
  progressIntervalMs?: number;
  /** Called once the run folder is ready (and a resumed checkpoint loaded). */
  onStart?: (info: { runDir: string; envSteps: number }) => void;
  /** Called for each metrics row. */
  onRow?: (row: MetricsRow) => void;
}

/** Outcome of a training run. */
export interface TrainResult {
  runDir: string;
  status: "finished" | "interrupted";
  envSteps: number;
  lastEval: { mean: number; std: number } | null;
}

/** What the policy file holds. */
export interface PolicyFile {
  format: "dmerl-policy";
  version: 1;
  policy: string;
  policyParams: Record<string, unknown>;
  algo: string;
  env: string;
  envParams: Record<string, unknown>;
  envSteps: number;
  weights: NamedArrays;
}

interface TrainerState {
  nextLog: number;
  nextEval: number;
  nextCheckpoint: number;
  episodes: number;
  recentReturns: number[];
  recentLengths: number[];
  sums: Record<string, number>;
  counts: Record<string, number>;
  elapsedSeconds: number;
  lastEval: { mean: number; std: number } | null;
}

interface Checkpoint {
  format: "dmerl-checkpoint";
  version: 1;
  envSteps: number;
  trainer: TrainerState;
  vecEnv: VecEnvState;
  policy: NamedArrays;
  algorithm: unknown;
}

const RECENT_EPISODES = 10;

/** Seed of the evaluation envs: fixed per run so every evaluation sees the same starts. */
export function evalSeed(seed: number): number {
  return (seed + 1_000_003) >>> 0;
}

/** Default run folder name. */
export function defaultRunName(config: RunConfig): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");
  return `${config.algo}-${config.env}-s${config.seed}-${stamp}`;
}

/** A live run: env, policy and algorithm built from a resolved config. */
interface Built {
  env: VecEnv;
  policy: Policy;
  algorithm: Algorithm;
}

function build(resolved: ResolvedRun, registry: Registry): Built {
  const { config } = resolved;
  const envDef = registry.env(config.env);
  const root = new Rng(config.seed);
  const env = new VecEnv(() => envDef.create(config.envParams), config.numEnvs, config.seed);
  const spec = { observationSpace: env.observationSpace, actionSpace: env.actionSpace };
  const makePolicy = (rng: Rng) => resolved.policy.create(spec, config.policyParams, rng);
  const policy = makePolicy(root.fork("policy-init"));
  const algorithm = resolved.algorithm.create({
    env,
    policy,
    params: config.algoParams,
    rng: root.fork("algorithm"),
    totalSteps: config.steps,
    makePolicy,
  });
  return { env, policy, algorithm };
}

/** Builds the policy file contents. */
export function policyFile(config: RunConfig, policy: Policy, envSteps: number): PolicyFile {
  return {
    format: "dmerl-policy",
    version: 1,
    policy: config.policy,
    policyParams: config.policyParams,
    algo: config.algo,
    env: config.env,
    envParams: config.envParams,
    envSteps,
    weights: policy.weights(),
  };
}

/**
 * Loads a run's trained policy (policy.bin) with the registry entries its config names. The
 * registry must already hold the run's plugins.
 */
export function loadRunPolicy(
  store: RunStore,
  registry: Registry,
): { policy: Policy; config: RunConfig; file: PolicyFile } {
  const { config } = resolveConfig(store.readConfig(), registry);
  const file = store.readSnapshot(RUN_FILES.policy) as PolicyFile;
  if (file?.format !== "dmerl-policy") {
    throw new ConfigError(`'${store.path(RUN_FILES.policy)}' is not a dmerl policy file`);
  }
  const envDef = registry.env(file.env);
  const probe = envDef.create(file.envParams);
  const spec = { observationSpace: probe.observationSpace, actionSpace: probe.actionSpace };
  probe.close?.();
  const policy = registry.policy(file.policy).create(
    spec,
    file.policyParams as never,
    new Rng(0),
  );
  policy.loadWeights(file.weights);
  return { policy, config, file };
}

/** Metadata every exported model of a run carries. */
export function runOnnxMetadata(config: RunConfig, envSteps: number): Record<string, string> {
  return {
    env: config.env,
    env_params: JSON.stringify(config.envParams),
    algorithm: config.algo,
    policy: config.policy,
    policy_params: JSON.stringify(config.policyParams),
    env_steps: String(envSteps),
    seed: String(config.seed),
  };
}

/**
 * Exports a run's trained policy (policy.bin) as ONNX bytes; errors name the file when the
 * run has no trained policy or it is corrupted.
 */
export function exportRunOnnx(
  store: RunStore,
  registry: Registry,
  options: { deterministic: boolean },
): Uint8Array {
  if (!store.has(RUN_FILES.policy)) {
    throw new ConfigError(
      `RUN_DIR: '${store.dir}' has no trained policy yet (${RUN_FILES.policy} is written at ` +
        "the first checkpoint)",
    );
  }
  const { policy, config, file } = loadRunPolicy(store, registry);
  try {
    if (!policy.exportOnnx) {
      throw new ConfigError(`policy '${config.policy}' (kind ${policy.kind}) cannot be exported`);
    }
    return policy.exportOnnx({
      deterministic: options.deterministic,
      metadata: runOnnxMetadata(config, file.envSteps),
    });
  } finally {
    policy.dispose();
  }
}

/**
 * Trains a new run (`resumeDir` unset) or continues one. The config must already be resolved;
 * nothing is written before the run folder is created.
 */
export async function train(
  resolved: ResolvedRun,
  options: TrainOptions & { resumeDir?: string },
): Promise<TrainResult> {
  const { config } = resolved;
  const { registry } = options;
  let store: RunStore;
  let checkpoint: Checkpoint | null = null;
  if (options.resumeDir) {
    store = RunStore.open(options.resumeDir);
    checkpoint = store.readSnapshot(RUN_FILES.checkpoint) as Checkpoint;
    if (checkpoint?.format !== "dmerl-checkpoint") {
      throw new ConfigError(`--resume: '${store.path(RUN_FILES.checkpoint)}' is not a checkpoint`);
    }
  } else {
    store = RunStore.create(config.out, config.name || defaultRunName(config));
  }

  const { env, policy, algorithm } = build(resolved, registry);
  const evalEnv = () => registry.env(config.env).create(config.envParams);
  let state: TrainerState = {
    nextLog: config.logEvery,
    nextEval: config.evalEvery,
    nextCheckpoint: config.checkpointEvery,
    episodes: 0,
    recentReturns: [],
    recentLengths: [],
    sums: {},
    counts: {},
    elapsedSeconds: 0,
    lastEval: null,
  };
  if (checkpoint) {
    try {
      policy.loadWeights(checkpoint.policy);
      algorithm.load(checkpoint.algorithm);
      env.load(checkpoint.vecEnv);
    } catch (e) {
      algorithm.dispose();
      policy.dispose();
      env.close();
      throw new ConfigError(
        `--resume: checkpoint '${store.path(RUN_FILES.checkpoint)}' does not fit this run: ${
          (e as Error).message
        }`,
      );
    }
    state = checkpoint.trainer;
    store.truncateMetrics(checkpoint.envSteps);
  }
  // (re)written on resume too: a resumed run may have been given more steps
  store.writeConfig(config);

  const saveCheckpoint = () => {
    const ckpt: Checkpoint = {
      format: "dmerl-checkpoint",
      version: 1,
      envSteps: algorithm.envSteps,
      trainer: { ...structuredClone(state), elapsedSeconds: elapsed() },
      vecEnv: env.state(),
      policy: policy.weights(),
      algorithm: algorithm.state(),
    };
    store.writeSnapshot(RUN_FILES.checkpoint, ckpt);
    store.writeSnapshot(RUN_FILES.policy, policyFile(config, policy, algorithm.envSteps));
    store.writeCsv();
  };

  const runEval = async () => {
    const result = await evaluatePolicy(policy, evalEnv, {
      episodes: config.evalEpisodes,
      seed: evalSeed(config.seed),
    });
    state.lastEval = { mean: result.mean, std: result.std };
    return result;
  };

  const startWall = performance.now();
  const rateWindow: [number, number][] = [[startWall, algorithm.envSteps]];
  let lastProgress = 0;
  let lastYield = performance.now();
  const elapsed = () => state.elapsedSeconds + (performance.now() - startWall) / 1000;

  const writeRow = (evalResult: { mean: number; std: number; meanLength: number } | null) => {
    const recent = meanStd(state.recentReturns);
    const row: MetricsRow = {
      step: algorithm.envSteps,
      episodes: state.episodes,
      "train/return_mean": recent.mean,
      "train/length_mean": meanStd(state.recentLengths).mean,
    };
    if (evalResult) {
      row["eval/return_mean"] = evalResult.mean;
      row["eval/return_std"] = evalResult.std;
      row["eval/length_mean"] = evalResult.meanLength;
    }
    for (const key of Object.keys(state.sums).sort()) {
      row[key] = state.sums[key] / state.counts[key];
    }
    state.sums = {};
    state.counts = {};
    row.time_s = Number(elapsed().toFixed(3));
    options.onRow?.(row);
    store.appendMetrics(row);
  };

  const accumulate = (metrics: Metrics) => {
    for (const [key, value] of Object.entries(metrics)) {
      if (!Number.isFinite(value)) continue;
      state.sums[key] = (state.sums[key] ?? 0) + value;
      state.counts[key] = (state.counts[key] ?? 0) + 1;
    }
  };

  store.writeStatus({ status: "running", envSteps: algorithm.envSteps });
  options.onStart?.({ runDir: store.dir, envSteps: algorithm.envSteps });
  try {
    let interrupted = false;
    while (algorithm.envSteps < config.steps) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      const result = algorithm.iterate();
      accumulate(result.metrics);
      for (const ep of result.episodes) {
        state.episodes++;
        state.recentReturns.push(ep.return);
        state.recentLengths.push(ep.length);
        if (state.recentReturns.length > RECENT_EPISODES) {
          state.recentReturns.shift();
          state.recentLengths.shift();
        }
      }
      const steps = algorithm.envSteps;
      const done = steps >= config.steps;
      let evalResult = null;
      if (steps >= state.nextEval || done) {
        evalResult = await runEval();
        while (state.nextEval <= steps) state.nextEval += config.evalEvery;
      }
      if (steps >= state.nextLog || evalResult) {
        writeRow(evalResult);
        while (state.nextLog <= steps) state.nextLog += config.logEvery;
      }
      if (steps >= state.nextCheckpoint && !done) {
        while (state.nextCheckpoint <= steps) state.nextCheckpoint += config.checkpointEvery;
        saveCheckpoint();
      }
      const now = performance.now();
      if (
        options.onProgress && (now - lastProgress > (options.progressIntervalMs ?? 250) || done)
      ) {
        lastProgress = now;
        // rate over the last ~20 s, so the ETA follows the current phase (e.g. after
        // SAC's random-action warm-up) rather than the run's average
        rateWindow.push([now, steps]);
        while (rateWindow.length > 2 && now - rateWindow[0][0] > 20_000) rateWindow.shift();
        const [t0, s0] = rateWindow[0];
        const sps = now > t0 ? (steps - s0) / ((now - t0) / 1000) : 0;
        options.onProgress({
          envSteps: steps,
          totalSteps: config.steps,
          stepsPerSecond: sps,
          recentReturn: meanStd(state.recentReturns).mean,
          lastEvalReturn: state.lastEval?.mean ?? NaN,
          etaSeconds: sps > 0 ? (config.steps - steps) / sps : Infinity,
        });
      }
      // Let timers and signal handlers run (Ctrl-C) without paying a macrotask per step.
      if (now - lastYield > 100) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        lastYield = performance.now();
      }
    }
    saveCheckpoint();
    if (policy.exportOnnx) {
      // the checkpoint is safe by now: an export failure must not fail the run
      try {
        const bytes = policy.exportOnnx({
          deterministic: false,
          metadata: runOnnxMetadata(config, algorithm.envSteps),
        });
        writeFileAtomicSync(store.path(RUN_FILES.onnx), bytes);
      } catch (e) {
        console.warn(`warning: could not export ${RUN_FILES.onnx}: ${(e as Error).message}`);
      }
    }
    const status = interrupted ? "interrupted" : "finished";
    store.writeStatus({ status, envSteps: algorithm.envSteps });
    return { runDir: store.dir, status, envSteps: algorithm.envSteps, lastEval: state.lastEval };
  } catch (e) {
    store.writeStatus({
      status: "failed",
      envSteps: algorithm.envSteps,
      error: (e as Error).message,
    });
    throw e;
  } finally {
    algorithm.dispose();
    policy.dispose();
    env.close();
  }
}
