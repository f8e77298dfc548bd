/**
 * A run's trained policy as a file (`policy.bin`): what it holds, how it is written from a live
 * policy, loaded back with the registry, and exported to ONNX.
 */
import type { RunConfig } from "./config.ts";
import type { Registry } from "./plugin.ts";
import type { Policy } from "./policy.ts";
import { Rng } from "./rng.ts";
import { RUN_FILES, type RunStore } from "./run_store.ts";
import { ConfigError } from "./schema.ts";
import type { NamedArrays } from "./serialize.ts";
import { resolveConfig } from "./config.ts";
import { findNonFinite } from "./finite.ts";

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
  const bad = findNonFinite(file.weights, "weights");
  if (bad) {
    throw new ConfigError(
      `runDir: '${store.path(RUN_FILES.policy)}' holds a non-finite weight (${bad.path} is ` +
        `${bad.value}); its run diverged`,
    );
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
      `runDir: '${store.dir}' has no trained policy yet (${RUN_FILES.policy} is written at ` +
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
