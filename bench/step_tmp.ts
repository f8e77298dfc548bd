import { Rng, useBackend, VecEnv } from "../core/mod.ts";
import { builtinRegistry } from "../plugins/builtin.ts";
await useBackend("wasm");
const reg = builtinRegistry();
const env = new VecEnv(() => reg.env("Pendulum-v1").create({}), 1, 0);
const policy = reg.policy("gaussian").create({
  observationSpace: env.observationSpace,
  actionSpace: env.actionSpace,
}, {
  hidden: [256, 256],
  activation: "relu",
  logStd: "state",
  logStdInit: 0,
  logStdMin: -5,
  logStdMax: 2,
  init: "torch",
  normalizeObs: false,
}, new Rng(1));
const algo = reg.algorithm("sac").create({
  env,
  policy,
  params: {
    gamma: 0.99,
    tau: 0.005,
    batchSize: 256,
    bufferSize: 100000,
    learningStarts: 300,
    policyLr: 3e-4,
    qLr: 1e-3,
    policyFrequency: 2,
    targetNetworkFrequency: 1,
    autotune: true,
    alpha: 0.2,
    targetEntropyScale: 1,
    criticHidden: [256, 256],
    criticActivation: "relu",
  },
  rng: new Rng(2),
  totalSteps: 100000,
});
for (let i = 0; i < 400; i++) algo.iterate();
const t0 = performance.now();
for (let i = 0; i < 300; i++) algo.iterate();
console.log("ms/step", ((performance.now() - t0) / 300).toFixed(2));
