/**
 * Generalised advantage estimation (Schulman et al. 2016) over a rollout stored time-major:
 * index `t * numEnvs + e`. `dones[t]` marks that the transition at t ended its episode (no
 * bootstrapping through it); truncated episodes should have had `gamma * V(final obs)` added
 * to their reward before this is called.
 */
export function computeGae(
  rollout: {
    rewards: Float32Array;
    values: Float32Array;
    dones: Uint8Array;
    /** V of the observation after the last step, per env. */
    nextValues: Float32Array;
  },
  options: { numEnvs: number; gamma: number; lambda: number },
): { advantages: Float32Array; returns: Float32Array } {
  const { rewards, values, dones, nextValues } = rollout;
  const { numEnvs, gamma, lambda } = options;
  const steps = rewards.length / numEnvs;
  const advantages = new Float32Array(rewards.length);
  const returns = new Float32Array(rewards.length);
  for (let e = 0; e < numEnvs; e++) {
    let lastGae = 0;
    for (let t = steps - 1; t >= 0; t--) {
      const i = t * numEnvs + e;
      const notDone = dones[i] ? 0 : 1;
      const nextValue = t === steps - 1 ? nextValues[e] : values[i + numEnvs];
      const delta = rewards[i] + gamma * nextValue * notDone - values[i];
      lastGae = delta + gamma * lambda * notDone * lastGae;
      advantages[i] = lastGae;
      returns[i] = lastGae + values[i];
    }
  }
  return { advantages, returns };
}
