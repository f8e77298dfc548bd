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
import { findNonFinite, nonFiniteMetric } from "./finite.ts";
import { RunLock } from "./run_lock.ts";
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

/**
 * Raised when a run cannot go on (its numbers diverged, it ran out of memory or disk): the
 * message names the step and the cause. The run is marked `failed` and its last good
 * checkpoint is kept.
 */
export class RunFailedError extends Error {
  /** Creates the error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RunFailedError";
  }
}

/** An error's first line, with a hint when it is an allocation failure. */
function describeFailure(e: unknown): string {
  const message = (e instanceof Error ? e.message : String(e)).split("\n")[0];
  if (e instanceof RangeError && /alloc|memory|Invalid typed array length/i.test(message)) {
    return `${message} (out of memory: lower algoParams.bufferSize, numEnvs or evalEpisodes)`;
  }
  return message;
}

/** Runs `make`; a failure other than a {@link ConfigError} is one naming `what`. */
function buildPart<T>(what: string, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`${what}: could not be built: ${describeFailure(e)}`);
  }
}

function build(resolved: ResolvedRun, registry: Registry): Built {
  const { config } = resolved;
  const envDef = registry.env(config.env);
  const root = new Rng(config.seed);
  const env = buildPart(
    `env '${config.env}' (${config.numEnvs} copies)`,
    () => new VecEnv(() => envDef.create(config.envParams), config.numEnvs, config.seed),
  );
  const spec = { observationSpace: env.observationSpace, actionSpace: env.actionSpace };
  const makePolicy = (rng: Rng) => resolved.policy.create(spec, config.policyParams, rng);
  try {
    const policy = buildPart(
      `policy '${config.policy}'`,
      () => makePolicy(root.fork("policy-init")),
    );
    try {
      const algorithm = buildPart(`algo '${config.algo}'`, () =>
        resolved.algorithm.create({
          env,
          policy,
          params: config.algoParams,
          rng: root.fork("algorithm"),
          totalSteps: config.steps,
          makePolicy,
        }));
      return { env, policy, algorithm };
    } catch (e) {
      policy.dispose();
      throw e;
    }
  } catch (e) {
    env.close();
    throw e;
  }
}

/**
 * Builds the evaluation envs once (and closes them), so that a run whose evaluation cannot
 * be built fails before its folder exists rather than at its first evaluation.
 */
function checkEvaluationEnvs(config: RunConfig, registry: Registry): void {
  const envDef = registry.env(config.env);
  const vec = buildPart(
    `env '${config.env}' (${config.evalEpisodes} evaluation copies)`,
    () => new VecEnv(() => envDef.create(config.envParams), config.evalEpisodes, 0),
  );
  vec.close();
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
  // Resuming: the folder exists; take its lock first. A new run: build everything (envs,
  // networks, the replay buffer) before the folder exists, so a run that cannot start leaves
  // nothing behind.
  let store = options.resumeDir ? RunStore.open(options.resumeDir) : null;
  const lock = store ? RunLock.acquire(store.dir) : null;
  let run: Built;
  let checkpoint: Checkpoint | null = null;
  try {
    checkpoint = store ? readCheckpoint(store) : null;
    checkEvaluationEnvs(config, registry);
    run = build(resolved, registry);
  } catch (e) {
    lock?.release();
    throw e;
  }
  if (store === null) {
    try {
      store = RunStore.create(config.out, config.name || defaultRunName(config));
    } catch (e) {
      dispose(run);
      throw e;
    }
  }
  const runStore: RunStore = store;
  const runLock = lock ?? RunLock.acquire(runStore.dir, "out");
  try {
    return await trainIn(runStore, run, checkpoint, resolved, options, runLock);
  } finally {
    runLock.release();
  }
}

/** The training loop of a built run in its (locked) folder. */
async function trainIn(
  store: RunStore,
  run: Built,
  checkpoint: Checkpoint | null,
  resolved: ResolvedRun,
  options: TrainOptions,
  lock: RunLock,
): Promise<TrainResult> {
  const { config } = resolved;
  const { registry } = options;
  const { env, policy, algorithm } = run;
  const failed = (e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    try {
      store.writeStatus({ status: "failed", envSteps: lastGoodStep, error: message });
    } catch {
      // the disk may be what failed: the original error is the one to report
    }
  };
  let lastGoodStep = checkpoint?.envSteps ?? 0;
  try {
    store.removeTempFiles();
    if (checkpoint) restore(run, checkpoint, store);
  } catch (e) {
    dispose(run);
    failed(e);
    throw e;
  }
  const schedule = new RunSchedule(config, checkpoint?.trainer);
  const log = new TrainingLog(checkpoint?.trainer);
  let lastEval = checkpoint?.trainer.lastEval ?? null;
  let checkpointed = checkpoint !== null;
  const priorSeconds = checkpoint?.trainer.elapsedSeconds ?? 0;
  /** metrics.csv and the TensorBoard files, opened once the metrics log is cut back. */
  let logs: LiveRunLogs | null = null;
  const startWall = performance.now();
  const elapsed = () => priorSeconds + (performance.now() - startWall) / 1000;
  const trainerState = (bookkeepingPending: boolean): TrainerState => ({
    ...schedule.state(),
    ...log.state(),
    elapsedSeconds: elapsed(),
    lastEval,
    ...(bookkeepingPending ? { bookkeepingPending } : {}),
  });
  /** Writes the checkpoint and policy file, unless a parameter is not finite. */
  const saveCheckpoint = (bookkeepingPending = false) => {
    const ckpt: Checkpoint = {
      format: "dmerl-checkpoint",
      version: 1,
      envSteps: algorithm.envSteps,
      trainer: trainerState(bookkeepingPending),
      vecEnv: env.state(),
      policy: policy.weights(),
      algorithm: algorithm.state(),
    };
    const bad = findNonFinite({ policy: ckpt.policy, algorithm: ckpt.algorithm }, "state");
    if (bad) {
      throw new RunFailedError(
        `step ${algorithm.envSteps}: ${bad.path.replace(/^state\./, "")} is ${bad.value}; ` +
          `training diverged, nothing written (the last good checkpoint is step ${lastGoodStep})`,
      );
    }
    store.writeSnapshot(RUN_FILES.checkpoint, ckpt);
    store.writeSnapshot(RUN_FILES.policy, policyFile(config, policy, algorithm.envSteps));
    store.writeCsv();
    lastGoodStep = algorithm.envSteps;
    checkpointed = true;
    store.writeStatus({ status: "running", envSteps: lastGoodStep });
  };
  const evaluate = async (): Promise<EvalSummary> => {
    const makeEnv = () => registry.env(config.env).create(config.envParams);
    const result = await evaluatePolicy(policy, makeEnv, {
      episodes: config.evalEpisodes,
      seed: evalSeed(config.seed),
    });
    lastEval = { mean: result.mean, std: result.std };
    return result;
  };
  /** The evaluation, row and checkpoint due after the iteration that reached `steps`. */
  const bookkeeping = async (steps: number, done: boolean) => {
    // an evaluation that fails must not take the work so far with it
    if (!checkpointed && schedule.evalPending(steps, done)) saveCheckpoint(true);
    const evaluation = schedule.evalDue(steps, done) ? await evaluate() : null;
    if (schedule.rowDue(steps, evaluation !== null)) {
      const row = log.row(steps, evaluation, elapsed());
      options.onRow?.(row);
      store.appendMetrics(row);
      logs?.write(row);
    }
    if (!done && schedule.checkpointDue(steps)) saveCheckpoint();
  };
  const progress = new ProgressMeter(algorithm.envSteps, config.steps, options.progressIntervalMs);
  const yielder = new Yielder();

  try {
    if (checkpoint) {
      // rows past the checkpoint are logged again; so is its own step's when still pending
      const pending = checkpoint.trainer.bookkeepingPending === true;
      store.truncateMetrics(pending ? checkpoint.envSteps - 1 : checkpoint.envSteps);
    }
    logs = new LiveRunLogs(store, { tensorboard: config.tensorboard });
    // (re)written on resume too: a resumed run may have been given more steps
    store.writeConfig(config);
    store.writeStatus({ status: "running", envSteps: lastGoodStep });
    options.onStart?.({ runDir: store.dir, envSteps: algorithm.envSteps });
    if (checkpoint?.trainer.bookkeepingPending) {
      await bookkeeping(algorithm.envSteps, algorithm.envSteps >= config.steps);
    }
    let interrupted = false;
    while (algorithm.envSteps < config.steps) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      const result = algorithm.iterate();
      const steps = algorithm.envSteps;
      const bad = nonFiniteMetric(result.metrics);
      if (bad) {
        throw new RunFailedError(
          `step ${steps}: ${bad.path} is ${bad.value}; training diverged (the last good ` +
            `checkpoint is step ${lastGoodStep}; lower the learning rates or check the env)`,
        );
      }
      log.addMetrics(result.metrics);
      log.addEpisodes(result.episodes);
      const done = steps >= config.steps;
      await bookkeeping(steps, done);
      if (options.onProgress) {
        const returns = { recent: log.recentReturn, lastEval: lastEval?.mean ?? NaN };
        const sample = progress.sample(steps, returns, done);
        if (sample) options.onProgress(sample);
      }
      lock.refresh();
      await yielder.maybeYield();
    }
    saveCheckpoint();
    exportOnnx(store, config, policy, algorithm.envSteps, options.onWarning);
    const status = interrupted ? "interrupted" : "finished";
    store.writeStatus({ status, envSteps: algorithm.envSteps });
    return { runDir: store.dir, status, envSteps: algorithm.envSteps, lastEval };
  } catch (e) {
    failed(e);
    if (e instanceof ConfigError || e instanceof RunFailedError) throw e;
    throw new RunFailedError(
      `step ${algorithm.envSteps}: ${describeFailure(e)} (the last good checkpoint is step ` +
        `${lastGoodStep})`,
      { cause: e },
    );
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
