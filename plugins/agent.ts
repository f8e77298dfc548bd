/**
 * The library object: an {@link Agent} trains a registered algorithm on a registered env,
 * acts, evaluates, exports and is saved and loaded as a run folder (the same folder the
 * command line writes, so `deno task eval`, `export` and `view` work on a saved agent).
 *
 * ```ts
 * const agent = await Agent.create({ algo: "sac", env: "Pendulum-v1", seed: 0 });
 * await agent.learn(5000);
 * await agent.save("runs/my-sac");
 * const loaded = await Agent.load("runs/my-sac");
 * const action = loaded.predict(observation, { deterministic: true });
 * ```
 *
 * Learning runs the trainer on a working run folder (a temporary one unless `runDir` is
 * given): each `learn(n)` trains `n` more env steps and resumes exactly from the checkpoint
 * the previous call left.
 */
import {
  ConfigError,
  type Env,
  evaluatePolicy,
  type EvaluationResult,
  loadPluginModule,
  type MetricsRow,
  type Plugin,
  type PolicyFile,
  policyFile,
  type Progress,
  type RawConfig,
  Registry,
  resolveConfig,
  type ResolvedRun,
  Rng,
  RUN_FILES,
  type RunConfig,
  runOnnxMetadata,
  RunStore,
  train,
  validate,
  writeFileAtomicSync,
} from "../core/mod.ts";
import type { BackendName, Policy } from "../core/mod.ts";
import { useBackend } from "../core/tensor/mod.ts";
import type {
  DeterministicParams,
  DiffusionParams,
  GaussianParams,
  PpoParams,
  SacParams,
} from "./learners/mod.ts";
import type { DiffSacParams } from "./diffsac/mod.ts";
import type { DiffPpoParams } from "./diffppo/mod.ts";
import type { WpoParams } from "./wpo/mod.ts";
import type { DiffWpoParams } from "./diffwpo/mod.ts";
import type { Td3Params } from "./td3/mod.ts";
import { BUILTIN_PLUGINS } from "./builtin.ts";

/** The built-in algorithms: their hyper-parameters and the policy they train by default. */
export interface BuiltinAlgorithms {
  sac: { params: SacParams; policy: "gaussian" };
  td3: { params: Td3Params; policy: "deterministic" };
  ppo: { params: PpoParams; policy: "gaussian" };
  wpo: { params: WpoParams; policy: "gaussian" };
  diffsac: { params: DiffSacParams; policy: "diffusion" };
  diffppo: { params: DiffPpoParams; policy: "diffusion" };
  dppo: { params: DiffPpoParams; policy: "diffusion" };
  diffwpo: { params: DiffWpoParams; policy: "diffusion" };
}

/** The built-in policies' parameters. */
export interface BuiltinPolicies {
  gaussian: GaussianParams;
  diffusion: DiffusionParams;
  deterministic: DeterministicParams;
}

/** Hyper-parameters of algorithm `A` (any object for plugin algorithms). */
export type AlgoParamsOf<A extends string> = A extends keyof BuiltinAlgorithms
  ? BuiltinAlgorithms[A]["params"]
  : Record<string, unknown>;

/** The policy algorithm `A` trains when none is named. */
export type DefaultPolicyOf<A extends string> = A extends keyof BuiltinAlgorithms
  ? BuiltinAlgorithms[A]["policy"]
  : string;

/** Parameters of policy `P` (any object for plugin policies). */
export type PolicyParamsOf<P extends string> = P extends keyof BuiltinPolicies ? BuiltinPolicies[P]
  : Record<string, unknown>;

/** A plugin given as a module path (or URL) or as a plugin value. */
export type PluginSource = string | Plugin;

/** Options of {@link Agent.create}: the run config's fields, typed for the named algorithm. */
export interface AgentOptions<A extends string, P extends string> {
  /** Registered algorithm, e.g. "sac". */
  algo: A;
  /** Registered env id, e.g. "Hopper-v4". */
  env: string;
  /** Policy to train (default: the algorithm's). */
  policy?: P;
  seed?: number;
  /** Env copies (default: the preset's or the algorithm's). */
  numEnvs?: number;
  /** Hyper-parameters over the algorithm's preset for the env. */
  algoParams?: Partial<AlgoParamsOf<A>>;
  policyParams?: Partial<PolicyParamsOf<P>>;
  envParams?: Record<string, unknown>;
  /** TensorFlow.js backend (default "auto"). */
  backend?: BackendName;
  evalEvery?: number;
  evalEpisodes?: number;
  logEvery?: number;
  checkpointEvery?: number;
  /** TensorBoard event files in the run folder (default true). */
  tensorboard?: boolean;
  /** Plugins to register beside the built-ins. */
  plugins?: PluginSource[];
  /**
   * The working run folder (must not exist yet); default: a temporary folder removed by
   * {@link Agent.dispose}. `save` copies it.
   */
  runDir?: string;
}

/** Options of {@link Agent.learn}. */
export interface LearnOptions {
  /** Called for each metrics row; returning `false` stops training with a checkpoint. */
  callback?: (row: MetricsRow) => boolean | void;
  /** Called about every `progressIntervalMs` with steps, speed, returns and ETA. */
  onProgress?: (progress: Progress) => void;
  progressIntervalMs?: number;
  /** Receives warnings that do not stop training (e.g. an ONNX export that failed). */
  onWarning?: (line: string) => void;
}

/** What {@link Agent.learn} did. */
export interface LearnResult {
  status: "finished" | "interrupted";
  /** Env steps trained in total, over all `learn` calls. */
  envSteps: number;
  /** The last deterministic evaluation (mean and std of the return), if any. */
  lastEval: { mean: number; std: number } | null;
}

/** Options of {@link Agent.predict}. */
export interface PredictOptions {
  /** Mean/mode action instead of a sample (default false, as in Stable-Baselines3). */
  deterministic?: boolean;
  /** Generator of the sampling noise (default: the agent's own, seeded from its seed). */
  rng?: Rng;
}

const NON_PATH_KEYS = ["plugins", "runDir"] as const;

async function registryOf(plugins: PluginSource[]): Promise<Registry> {
  const registry = new Registry({ defaults: { algo: "sac", env: "Pendulum-v1" } });
  for (const plugin of BUILTIN_PLUGINS) registry.register(plugin);
  for (const source of plugins) {
    if (typeof source === "string") registry.register(await loadPluginModule(source), source);
    else registry.register(source, "Agent options");
  }
  return registry;
}

/** Plugin paths as stored in a run config: absolute, so any folder finds them. */
function pluginPaths(plugins: PluginSource[]): string[] {
  const paths: string[] = [];
  for (const p of plugins) {
    if (typeof p !== "string") continue;
    paths.push(/^[a-z]+:\/\//.test(p) || p.startsWith("/") ? p : `${Deno.cwd()}/${p}`);
  }
  return paths;
}

function copyFolder(from: string, to: string): void {
  Deno.mkdirSync(to, { recursive: true });
  for (const entry of Deno.readDirSync(from)) {
    if (entry.isFile) Deno.copyFileSync(`${from}/${entry.name}`, `${to}/${entry.name}`);
    else if (entry.isDirectory) copyFolder(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

function pathExists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * An algorithm, its policy and env, with Stable-Baselines3's verbs. Build one with
 * {@link Agent.create} or {@link Agent.load}; call {@link Agent.dispose} when done.
 */
export class Agent<A extends string = string> {
  private policyNow: Policy;
  private envStepsNow = 0;
  private lastEvalNow: { mean: number; std: number } | null = null;
  private readonly predictRng: Rng;

  private constructor(
    private resolved: ResolvedRun,
    private readonly registry: Registry,
    private readonly workDir: string,
    private readonly ownsWorkDir: boolean,
    /** The backend that runs the tensors (what `auto` picked). */
    readonly backend: string,
  ) {
    const { config } = resolved;
    const probe = registry.env(config.env).create(config.envParams);
    const spec = { observationSpace: probe.observationSpace, actionSpace: probe.actionSpace };
    probe.close?.();
    // the trainer draws a new run's initial weights from the same fork
    this.policyNow = resolved.policy.create(
      spec,
      config.policyParams,
      new Rng(config.seed).fork("policy-init"),
    );
    this.predictRng = new Rng(config.seed).fork("predict");
  }

  /**
   * A new agent: validates the options like a config file (errors name the field and what it
   * allows), prepares the env's engine (e.g. MuJoCo) and selects the backend.
   */
  static async create<A extends string, P extends string = DefaultPolicyOf<A>>(
    options: AgentOptions<A, P>,
  ): Promise<Agent<A>> {
    const plugins = options.plugins ?? [];
    const registry = await registryOf(plugins);
    const raw: RawConfig = {};
    for (const [key, value] of Object.entries(options)) {
      if (value === undefined || (NON_PATH_KEYS as readonly string[]).includes(key)) continue;
      raw[key] = value;
    }
    raw.plugins = pluginPaths(plugins);
    if (registry.names().envs.includes(options.env)) await registry.prepareEnv(options.env);
    const resolved = resolveConfig(raw, registry);
    let workDir: string;
    let owns: boolean;
    if (options.runDir !== undefined) {
      if (pathExists(options.runDir)) {
        throw new ConfigError(`runDir: '${options.runDir}' exists; give a new folder`);
      }
      workDir = options.runDir;
      owns = false;
    } else {
      workDir = `${Deno.makeTempDirSync({ prefix: "dmerl-agent-" })}/run`;
      owns = true;
    }
    const backend = await useBackend(resolved.config.backend);
    return new Agent<A>(resolved, registry, workDir, owns, backend);
  }

  /**
   * An agent from a run folder (one {@link Agent.save} wrote, or one `deno task train` made).
   * Its policy is the folder's trained policy; `learn` continues from its checkpoint in a
   * working copy, leaving the folder as it was.
   */
  static async load(
    dir: string,
    options: { plugins?: PluginSource[]; backend?: BackendName } = {},
  ): Promise<Agent> {
    const store = RunStore.open(dir, "runDir");
    const raw = store.readConfig();
    const registry = await registryOf([
      ...((raw.plugins as string[] | undefined) ?? []),
      ...(options.plugins ?? []),
    ]);
    if (typeof raw.env === "string" && registry.names().envs.includes(raw.env)) {
      await registry.prepareEnv(raw.env);
    }
    if (options.backend) raw.backend = options.backend;
    const resolved = resolveConfig(raw, registry);
    const workDir = `${Deno.makeTempDirSync({ prefix: "dmerl-agent-" })}/run`;
    copyFolder(store.dir, workDir);
    const backend = await useBackend(resolved.config.backend);
    const agent = new Agent(resolved, registry, workDir, true, backend);
    agent.reloadPolicy();
    const status = store.readStatus();
    if (status) agent.envStepsNow = status.envSteps;
    agent.lastEvalNow = lastEvalOf(store);
    return agent;
  }

  /** The resolved run config (every default written out). */
  get config(): RunConfig {
    return this.resolved.config;
  }

  /** The policy `predict` uses. */
  get policy(): Policy {
    return this.policyNow;
  }

  /** Env steps trained so far. */
  get envSteps(): number {
    return this.envStepsNow;
  }

  /** The last evaluation during training (null before the first). */
  get lastEval(): { mean: number; std: number } | null {
    return this.lastEvalNow;
  }

  /**
   * Trains `steps` more env steps (a PPO rollout may end a little past them), evaluating,
   * logging and checkpointing as the config says. `callback` returning false stops early.
   */
  async learn(steps: number, options: LearnOptions = {}): Promise<LearnResult> {
    if (!Number.isInteger(steps) || steps < 1) {
      throw new ConfigError(`steps: expected an integer >= 1, got ${steps}`);
    }
    const resuming = pathExists(`${this.workDir}/${RUN_FILES.checkpoint}`);
    const slash = this.workDir.lastIndexOf("/");
    const raw: RawConfig = {
      ...this.resolved.config,
      steps: this.envStepsNow + steps,
      out: slash > 0 ? this.workDir.slice(0, slash) : ".",
      name: this.workDir.slice(slash + 1),
    };
    this.resolved = resolveConfig(raw, this.registry);
    const controller = new AbortController();
    const result = await train(this.resolved, {
      registry: this.registry,
      resumeDir: resuming ? this.workDir : undefined,
      signal: controller.signal,
      onProgress: options.onProgress,
      progressIntervalMs: options.progressIntervalMs,
      onWarning: options.onWarning,
      onRow: options.callback
        ? (row) => {
          if (options.callback!(row) === false) controller.abort();
        }
        : undefined,
    });
    this.envStepsNow = result.envSteps;
    this.lastEvalNow = result.lastEval;
    this.reloadPolicy();
    return { status: result.status, envSteps: result.envSteps, lastEval: result.lastEval };
  }

  /**
   * Actions for one observation (`obsDim` numbers) or a batch (`batch * obsDim` numbers, or
   * one array per observation), inside the env's action Box.
   */
  predict(obs: Float32Array | number[], options?: PredictOptions): Float32Array;
  predict(obs: number[][], options?: PredictOptions): number[][];
  predict(
    obs: Float32Array | number[] | number[][],
    options: PredictOptions = {},
  ): Float32Array | number[][] {
    const { obsDim, actDim } = this.policyNow;
    const nested = obs.length > 0 && Array.isArray(obs[0]);
    const flat = nested ? Float32Array.from((obs as number[][]).flat()) : Float32Array.from(
      obs as ArrayLike<number>,
    );
    if (flat.length === 0 || flat.length % obsDim !== 0) {
      throw new ConfigError(
        `obs: expected ${obsDim} numbers per observation, got ${flat.length} in all`,
      );
    }
    const actions = this.policyNow.act(flat, {
      deterministic: options.deterministic ?? false,
      rng: options.rng ?? this.predictRng,
    });
    if (!nested) return actions;
    const rows: number[][] = [];
    for (let i = 0; i < actions.length; i += actDim) {
      rows.push(Array.from(actions.subarray(i, i + actDim)));
    }
    return rows;
  }

  /**
   * Plays `episodes` episodes (one env copy each) and returns their returns; deterministic
   * actions unless `deterministic: false`. `seed` fixes the starts (default: the run's
   * evaluation seed is not reused; seed 0).
   */
  evaluate(
    episodes: number,
    options: { deterministic?: boolean; seed?: number } = {},
  ): Promise<EvaluationResult> {
    if (!Number.isInteger(episodes) || episodes < 1) {
      throw new ConfigError(`episodes: expected an integer >= 1, got ${episodes}`);
    }
    const { config } = this.resolved;
    return evaluatePolicy(
      this.policyNow,
      () => this.registry.env(config.env).create(config.envParams),
      { episodes, seed: options.seed ?? 0, deterministic: options.deterministic ?? true },
    );
  }

  /**
   * Writes the run folder to `dir` (which must not exist yet): config, checkpoint, policy,
   * metrics and ONNX model, as `deno task train` leaves them. An agent that has not learned
   * yet saves its initial policy.
   */
  save(dir: string): void {
    if (pathExists(dir)) throw new ConfigError(`dir: '${dir}' exists; give a new folder`);
    if (pathExists(`${this.workDir}/${RUN_FILES.config}`)) {
      copyFolder(this.workDir, dir);
      return;
    }
    const slash = dir.replace(/\/+$/, "").lastIndexOf("/");
    const store = RunStore.create(
      slash > 0 ? dir.slice(0, slash) : ".",
      dir.replace(/\/+$/, "").slice(slash + 1),
    );
    const { config } = this.resolved;
    store.writeConfig(config);
    store.writeSnapshot(RUN_FILES.policy, policyFile(config, this.policyNow, 0));
    store.writeStatus({ status: "interrupted", envSteps: 0 });
  }

  /**
   * Writes the policy as an ONNX model to `file` (inputs `obs` and, unless deterministic,
   * `noise`; output `action`), with the run's metadata.
   */
  exportOnnx(file: string, options: { deterministic?: boolean } = {}): void {
    if (!this.policyNow.exportOnnx) {
      throw new ConfigError(`policy: '${this.config.policy}' cannot be exported to ONNX`);
    }
    const bytes = this.policyNow.exportOnnx({
      deterministic: options.deterministic ?? false,
      metadata: runOnnxMetadata(this.config, this.envStepsNow),
    });
    writeFileAtomicSync(file, bytes);
  }

  /** A new copy of the agent's env (its own instance; close it when done). */
  makeEnv(): Env {
    return this.registry.env(this.config.env).create(this.config.envParams);
  }

  /** Frees the policy's tensors and removes the temporary working folder. */
  dispose(): void {
    this.policyNow.dispose();
    if (this.ownsWorkDir) {
      const parent = this.workDir.slice(0, this.workDir.lastIndexOf("/"));
      try {
        Deno.removeSync(parent, { recursive: true });
      } catch {
        // already gone
      }
    }
  }

  /** Loads the working folder's trained policy into the live one. */
  private reloadPolicy(): void {
    const store = RunStore.open(this.workDir, "runDir");
    if (!store.has(RUN_FILES.policy)) return;
    const file = store.readSnapshot(RUN_FILES.policy) as PolicyFile;
    this.policyNow.loadWeights(file.weights);
  }
}

function lastEvalOf(store: RunStore): { mean: number; std: number } | null {
  const rows = store.readMetrics().filter((r) => "eval/return_mean" in r);
  const last = rows.at(-1);
  return last ? { mean: last["eval/return_mean"], std: last["eval/return_std"] } : null;
}

/**
 * Builds a registered env (preparing its engine first, e.g. loading MuJoCo), with its params
 * checked by the env; `plugins` adds plugin envs.
 */
export async function makeEnv(
  id: string,
  params: Record<string, unknown> = {},
  options: { plugins?: PluginSource[] } = {},
): Promise<Env> {
  const registry = await registryOf(options.plugins ?? []);
  await registry.prepareEnv(id);
  const def = registry.env(id);
  const checked = def.schema ? validate(def.schema, params, "envParams") : params;
  try {
    return def.create(checked);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`envParams (${id}): ${(e as Error).message}`);
  }
}
