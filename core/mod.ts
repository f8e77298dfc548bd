/**
 * The core kernel's public surface: spaces, envs, policies, algorithms, plugins and the
 * registry, the run config, the trainer and run storage. Imports nothing outside core/ and not
 * the tensor engine. Internal pieces (the trainer's schedule, log and checkpoint format, the
 * plugin shape check) are imported from their own files by the few places that need them.
 */
// Spaces, envs and generators
export { type Box, box, boxSize, isBounded, scaleToBox, squashToBox } from "./spaces.ts";
export { Rng, type RngState } from "./rng.ts";
export {
  type Env,
  type EnvFactory,
  type EpisodeStat,
  type StepResult,
  VecEnv,
  type VecEnvState,
  type VecStep,
} from "./env.ts";
export type { EnvView, EnvViewFactory, ViewFrame } from "./env_view.ts";
// Policies, algorithms and plugins
export type { ActOptions, OnnxExportOptions, Policy, PolicySpec } from "./policy.ts";
export {
  type Algorithm,
  type AlgorithmContext,
  type AlgorithmDefinition,
  defineAlgorithm,
  defineEnv,
  definePlugin,
  definePolicy,
  type EnvDefinition,
  type IterationResult,
  type Metrics,
  type Plugin,
  type PolicyDefinition,
  type Preset,
  Registry,
} from "./plugin.ts";
// Schemas and the run config
export {
  checkField,
  ConfigError,
  defaultsOf,
  describeField,
  type Field,
  type Schema,
  validate,
  type ValuesOf,
} from "./schema.ts";
export {
  type BackendName,
  BACKENDS,
  prepareConfigEnv,
  type RawConfig,
  readConfigFile,
  resolveConfig,
  type ResolvedRun,
  RUN_SCHEMA,
  type RunConfig,
} from "./config.ts";
// Training, evaluation and run folders
export {
  defaultRunName,
  RunFailedError,
  train,
  type TrainOptions,
  type TrainResult,
} from "./trainer.ts";
export { LOCK_FILE, type LockHolder, RunLock } from "./run_lock.ts";
export { loadPluginModule } from "./plugin_loader.ts";
export type { Progress } from "./progress.ts";
export {
  evalSeed,
  type EvaluateOptions,
  evaluatePolicy,
  type EvaluationResult,
  meanStd,
} from "./evaluate.ts";
export { type MetricsRow, RUN_FILES, type RunStatus, RunStore } from "./run_store.ts";
export {
  exportRunOnnx,
  loadRunPolicy,
  type PolicyFile,
  policyFile,
  runOnnxMetadata,
} from "./run_policy.ts";
export { type NamedArrays, writeFileAtomicSync } from "./serialize.ts";
export { VERSION } from "./version.ts";
export { checkEnv, type CheckEnvOptions, type CheckEnvResult } from "./check_env.ts";
