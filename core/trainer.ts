/**
 * The trainer loop: builds env, policy and algorithm from a resolved config, iterates, logs
 * metrics rows, evaluates, checkpoints, and resumes exactly from a checkpoint. Its pieces live
 * beside it: the schedule and the checkpoint format (checkpoint.ts), the metrics log
 * (training_log.ts), progress (progress.ts) and the policy file (run_policy.ts).
 */
import { type Checkpoint, readCheckpoint, RunSchedule, type TrainerState } from "./checkpoint.ts";
import type { ResolvedRun, RunConfig } from "./config.ts";
import { VecEnv } from "./env.ts";
import { evalSeed, evaluatePolicy } from "./evaluate.ts";
import type { Algorithm, Registry } from "./plugin.ts";
import type { Policy } from "./policy.ts";
import { type Progress, ProgressMeter } from "./progress.ts";
import { Rng } from "./rng.ts";
import { policyFile, runOnnxMetadata } from "./run_policy.ts";
import { type MetricsRow, RUN_FILES, RunStore } from "./run_store.ts";
import { ConfigError } from "./schema.ts";
import { writeFileAtomicSync } from "./serialize.ts";
import { type EvalSummary, TrainingLog } from "./training_log.ts";
import { LiveRunLogs } from "./run_logs.ts";

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
  /** Receives warnings that do not fail the run (e.g. an ONNX export that failed). */
  onWarning?: (line: string) => void;
}

/** Outcome of a training run. */
export interface TrainResult {
  runDir: string;
  status: "finished" | "interrupted";
  envSteps: number;
  lastEval: { mean: number; std: number } | null;
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

/** Restores a checkpoint into a freshly built run; errors say that it does not fit. */
function restore(run: Built, checkpoint: Checkpoint, store: RunStore): void {
  try {
    run.policy.loadWeights(checkpoint.policy);
    run.algorithm.load(checkpoint.algorithm);
    run.env.load(checkpoint.vecEnv);
  } catch (e) {
    dispose(run);
    throw new ConfigError(
      `resume: checkpoint '${store.path(RUN_FILES.checkpoint)}' does not fit this run: ${
        (e as Error).message
      }`,
    );
  }
}

function dispose(run: Built): void {
  run.algorithm.dispose();
  run.policy.dispose();
  run.env.close();
}

/** Yields to timers and signal handlers (Ctrl-C) at most every 100 ms of training. */
class Yielder {
  private last = performance.now();

  /** Lets pending macrotasks run when 100 ms have passed since the last yield. */
  async maybeYield(): Promise<void> {
    if (performance.now() - this.last <= 100) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.last = performance.now();
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
  const store = options.resumeDir
    ? RunStore.open(options.resumeDir)
    : RunStore.create(config.out, config.name || defaultRunName(config));
  const checkpoint = options.resumeDir ? readCheckpoint(store) : null;
  const run = build(resolved, registry);
  const { env, policy, algorithm } = run;
  if (checkpoint) restore(run, checkpoint, store);
  const schedule = new RunSchedule(config, checkpoint?.trainer);
  const log = new TrainingLog(checkpoint?.trainer);
  let lastEval = checkpoint?.trainer.lastEval ?? null;
  const priorSeconds = checkpoint?.trainer.elapsedSeconds ?? 0;
  if (checkpoint) store.truncateMetrics(checkpoint.envSteps);
  const logs = new LiveRunLogs(store, { tensorboard: config.tensorboard });
  // (re)written on resume too: a resumed run may have been given more steps
  store.writeConfig(config);

  const startWall = performance.now();
  const elapsed = () => priorSeconds + (performance.now() - startWall) / 1000;
  const trainerState = (): TrainerState => ({
    ...schedule.state(),
    ...log.state(),
    elapsedSeconds: elapsed(),
    lastEval,
  });
  const saveCheckpoint = () => {
    const ckpt: Checkpoint = {
      format: "dmerl-checkpoint",
      version: 1,
      envSteps: algorithm.envSteps,
      trainer: trainerState(),
      vecEnv: env.state(),
      policy: policy.weights(),
      algorithm: algorithm.state(),
    };
    store.writeSnapshot(RUN_FILES.checkpoint, ckpt);
    store.writeSnapshot(RUN_FILES.policy, policyFile(config, policy, algorithm.envSteps));
    store.writeCsv();
  };
  const evaluate = async (): Promise<EvalSummary> => {
    const result = await evaluatePolicy(
      policy,
      () => registry.env(config.env).create(config.envParams),
      {
        episodes: config.evalEpisodes,
        seed: evalSeed(config.seed),
      },
    );
    lastEval = { mean: result.mean, std: result.std };
    return result;
  };
  const progress = new ProgressMeter(algorithm.envSteps, config.steps, options.progressIntervalMs);
  const yielder = new Yielder();

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
      log.addMetrics(result.metrics);
      log.addEpisodes(result.episodes);
      const steps = algorithm.envSteps;
      const done = steps >= config.steps;
      const evaluation = schedule.evalDue(steps, done) ? await evaluate() : null;
      if (schedule.rowDue(steps, evaluation !== null)) {
        const row = log.row(steps, evaluation, elapsed());
        options.onRow?.(row);
        store.appendMetrics(row);
        logs.write(row);
      }
      if (!done && schedule.checkpointDue(steps)) saveCheckpoint();
      if (options.onProgress) {
        const returns = { recent: log.recentReturn, lastEval: lastEval?.mean ?? NaN };
        const sample = progress.sample(steps, returns, done);
        if (sample) options.onProgress(sample);
      }
      await yielder.maybeYield();
    }
    saveCheckpoint();
    exportOnnx(store, config, policy, algorithm.envSteps, options.onWarning);
    const status = interrupted ? "interrupted" : "finished";
    store.writeStatus({ status, envSteps: algorithm.envSteps });
    return { runDir: store.dir, status, envSteps: algorithm.envSteps, lastEval };
  } catch (e) {
    store.writeStatus({
      status: "failed",
      envSteps: algorithm.envSteps,
      error: (e as Error).message,
    });
    throw e;
  } finally {
    dispose(run);
  }
}

/**
 * Writes the run's `policy.onnx` when the policy can be exported. The checkpoint is safe by
 * then: a failed export is a warning, not a failed run.
 */
function exportOnnx(
  store: RunStore,
  config: RunConfig,
  policy: Policy,
  envSteps: number,
  onWarning?: (line: string) => void,
): void {
  if (!policy.exportOnnx) return;
  try {
    const bytes = policy.exportOnnx({
      deterministic: false,
      metadata: runOnnxMetadata(config, envSteps),
    });
    writeFileAtomicSync(store.path(RUN_FILES.onnx), bytes);
  } catch (e) {
    onWarning?.(`could not export ${RUN_FILES.onnx}: ${(e as Error).message}`);
  }
}
