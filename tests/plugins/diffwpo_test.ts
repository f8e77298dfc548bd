import assert from "node:assert/strict";
import {
  Adam,
  builtinRegistry,
  defaultsOf,
  resolveConfig,
  Rng,
  tf,
  train,
  useBackend,
  VecEnv,
} from "../../mod.ts";
import { createPendulum } from "../../envs/pendulum.ts";
import { DIFFUSION_SCHEMA, DiffusionPolicy } from "../../plugins/diffusion_policy/mod.ts";
import {
  DiffWpo,
  DIFFWPO_SCHEMA,
  type DiffWpoParams,
  kernelKl,
  logRatioActionGrad,
} from "../../plugins/diffwpo/mod.ts";
import { assertSnapshotContinues, contextOf } from "../helpers.ts";

await useBackend("wasm");

function build(seed: number, overrides: Partial<DiffWpoParams> = {}, steps = 3) {
  const env = new VecEnv(() => createPendulum({}), 1, seed);
  const policy = new DiffusionPolicy(
    { observationSpace: env.observationSpace, actionSpace: env.actionSpace },
    {
      ...defaultsOf(DIFFUSION_SCHEMA),
      learnFriction: false,
      diffusionSteps: steps,
      hidden: [8, 8],
      timeHidden: 8,
    },
    new Rng(seed).fork("policy"),
  );
  // a nonzero score network, so the kernel depends on every parameter
  const rng = new Rng(seed + 100);
  for (const v of policy.scoreNet.layers[policy.scoreNet.layers.length - 1].variables()) {
    v.assign(tf.tensor(rng.fillNormal(new Float32Array(v.size)).map((x) => 0.3 * x), v.shape));
  }
  const params = {
    ...defaultsOf(DIFFWPO_SCHEMA),
    learningStarts: 32,
    batchSize: 16,
    criticHidden: [16, 16],
    criticActivation: "tanh",
    ...overrides,
  } as DiffWpoParams;
  const algo = new DiffWpo(contextOf({
    env,
    policy,
    params,
    rng: new Rng(seed).fork("algo"),
    totalSteps: 500,
  }));
  return { env, policy, algo };
}

function close(a: number, b: number, tol: number, what: string) {
  assert.ok(
    Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b)),
    `${what}: ${a} vs ${b}`,
  );
}

const OBS = [0.2, 0.9, -0.4, -0.7, 0.1, 1.3, 1, 0, 0.2];
const batch3 = () => ({
  obs: tf.tensor2d(OBS, [3, 3]),
  a: tf.tensor2d([1.5, -2.2, 0.4], [3, 1]),
  k: tf.tensor1d([1, 3, 2], "int32"),
  noise: tf.tensor2d([0.3, -0.8, 1.1], [3, 1]),
});

/** d/da l_theta(a) by autodiff of the policy's own log densities. */
function autodiffDl(
  policy: DiffusionPolicy,
  obs: tf.Tensor2D,
  a: tf.Tensor2D,
  k: tf.Tensor1D,
  prev: tf.Tensor2D,
) {
  return tf.grad((p: tf.Tensor) =>
    tf.sum(policy.logDensities(obs, a, p as tf.Tensor2D, k).logRatio)
  )(prev);
}

Deno.test("diffwpo: the closed-form d/da l matches autodiff of the policy's log ratio", () => {
  const { policy, algo } = build(0);
  const { obs, a, k, noise } = batch3();
  const prev = policy.denoise(obs, a, k, noise).next;
  const closed = logRatioActionGrad(prev, a, policy.denoiseMean(obs, a, k), policy.sigma0);
  const auto = autodiffDl(policy, obs, a, k, prev).dataSync();
  closed.dataSync().forEach((x, i) => close(x, auto[i], 1e-4, `sample ${i}`));
  algo.dispose();
  policy.dispose();
});

Deno.test("diffwpo: actor-loss gradient in the policy parameters matches finite differences of coef . d/da l_theta", () => {
  const { policy, algo } = build(1, { trustRegion: false });
  const { obs, a, k, noise } = batch3();
  const sample = algo.actorSample(obs, a, k, noise, 0.4);
  // reference with coef and a^{k-1} frozen, d/da l by autodiff (independent of the closed form)
  const reference = () =>
    tf.tidy(() => {
      const dl = autodiffDl(policy, obs, a, k, sample.prev);
      return tf.mean(tf.sum(tf.mul(sample.coef, dl), 1)).dataSync()[0];
    });
  const vars = policy.trainableVariables();
  const n = vars.length;
  assert.ok(!vars.includes(policy.frictionParam), "friction is not trained");
  // score net output layer, score net first layer, time net, dt (index n-1)
  const coords: [number, number][] = [[4, 5], [0, 2], [2, 3], [6, 1], [n - 1, 0], [n - 1, 2]];
  const { grads } = tf.variableGrads(
    () => algo.actorLoss(obs, a, k, sample, null, 1).loss,
    vars,
  );
  for (const [vi, i] of coords) {
    const v = vars[vi];
    const base = v.dataSync().slice();
    const at = (delta: number) => {
      const w = base.slice();
      w[i] += delta;
      v.assign(tf.tensor(w, v.shape));
      return reference();
    };
    const eps = 1e-2;
    const numeric = (at(eps) - at(-eps)) / (2 * eps);
    v.assign(tf.tensor(base, v.shape));
    close(grads[v.name].dataSync()[i], numeric, 2e-2, `variable ${vi}[${i}]`);
  }
  algo.dispose();
  policy.dispose();
});

Deno.test("diffwpo: with tau = 0 the coefficient is exactly -dQ/da; otherwise tau dl/da - dQ/da", () => {
  const { policy, algo } = build(2);
  const { obs, a, k, noise } = batch3();
  const dQda = (prev: tf.Tensor2D) =>
    tf.grad((p: tf.Tensor) =>
      tf.sum(algo.critics.min(algo.criticInput(obs, a, k, p as tf.Tensor2D)))
    )(prev) as tf.Tensor2D;
  const plain = algo.actorSample(obs, a, k, noise, 0);
  assert.deepEqual(
    Array.from(plain.coef.dataSync()),
    Array.from(tf.neg(dQda(plain.prev)).dataSync()),
  );
  const soft = algo.actorSample(obs, a, k, noise, 0.7);
  const dl = autodiffDl(policy, obs, a, k, soft.prev).dataSync();
  const dq = dQda(soft.prev).dataSync();
  soft.coef.dataSync().forEach((c, i) => close(c, 0.7 * dl[i] - dq[i], 1e-4, `sample ${i}`));
  // the same draw: the prev sample does not depend on alpha
  assert.deepEqual(Array.from(soft.prev.dataSync()), Array.from(plain.prev.dataSync()));
  algo.dispose();
  policy.dispose();
});

Deno.test("diffwpo trust region: samples with K * KL above the bound use lambda * K * KL, the others the WPO loss", () => {
  // closed-form Gaussian KL, variances 2 eta: N(0, 2) || N(1, 4) = 0.5 (log 2 + 2/4 + 1/4 - 1)
  const kl = kernelKl(
    { mean: tf.tensor2d([[0]]), eta: tf.tensor2d([[1]]) },
    { mean: tf.tensor2d([[1]]), eta: tf.tensor2d([[2]]) },
  ).dataSync()[0];
  close(kl, 0.5 * (Math.log(2) + 0.5 + 0.25 - 1), 1e-5, "kernel KL");

  const { policy, algo } = build(3, { klBound: 0.02 });
  const K = algo.K;
  const { obs, a, k, noise } = batch3();
  const sample = algo.actorSample(obs, a, k, noise, 0.2);
  const cur = policy.denoiseMean(obs, a, k);
  // old: row 0 the current kernel (KL 0); row 1 a small mean shift (K * KL below 0.02);
  // row 2 a shift of one kernel std (KL 1/2 per dim, K * KL = 1.5 above)
  const std = tf.sqrt(tf.mul(2, cur.eta));
  const shift = tf.tensor2d([[0], [0.05], [1]]);
  const old = { mean: tf.add(cur.mean, tf.mul(shift, std)) as tf.Tensor2D, eta: cur.eta };
  const lambda = 2.5;
  const out = algo.actorLoss(obs, a, k, sample, old, lambda);
  const klv = out.kl.dataSync();
  assert.ok(Math.abs(klv[0]) < 1e-6, `row 0 KL ${klv[0]}`);
  close(klv[1], K * 0.5 * 0.05 * 0.05, 1e-3, "row 1 K * KL");
  close(klv[2], K * 0.5, 1e-4, "row 2 K * KL");
  assert.deepEqual(Array.from(out.violated.dataSync()), [0, 0, 1]);
  const objective = tf.sum(
    tf.mul(sample.coef, logRatioActionGrad(sample.prev, a, cur, policy.sigma0)),
    1,
  ).dataSync();
  close(
    out.loss.dataSync()[0],
    (objective[0] + objective[1] + lambda * klv[2]) / 3,
    1e-5,
    "switched loss",
  );
  // without the violating row the loss is the plain WPO objective
  const inside = algo.actorLoss(obs, a, k, sample, { mean: cur.mean, eta: cur.eta }, lambda);
  assert.deepEqual(Array.from(inside.violated.dataSync()), [0, 0, 0]);
  close(
    inside.loss.dataSync()[0],
    (objective[0] + objective[1] + objective[2]) / 3,
    1e-5,
    "inside",
  );
  algo.dispose();
  policy.dispose();
});

Deno.test("diffwpo trust region: repeated large actor steps on one batch stay near the bound", () => {
  const run = (trustRegion: boolean) => {
    const { policy, algo } = build(4, { trustRegion, klLambdaInit: 10 });
    const rng = new Rng(9);
    const B = 48;
    const obs = tf.tensor2d(rng.fillNormal(new Float32Array(B * 3)), [B, 3]);
    const a = tf.tensor2d(rng.fillNormal(new Float32Array(B)), [B, 1]);
    const k = tf.tensor1d(Array.from({ length: B }, (_, i) => 1 + (i % 3)), "int32");
    const old = tf.tidy(() => policy.denoiseMean(obs, a, k));
    const opt = new Adam(policy.trainableVariables(), { lr: 1e-2 });
    const dQda = (prev: tf.Tensor2D) => tf.mul(-4, tf.sub(prev, 2)) as tf.Tensor2D;
    for (let i = 0; i < 30; i++) {
      const noise = tf.tensor2d(rng.fillNormal(new Float32Array(B)), [B, 1]);
      const sample = algo.actorSample(obs, a, k, noise, 0, dQda);
      opt.minimize(() =>
        algo.actorLoss(obs, a, k, sample, trustRegion ? old : null, algo.lambda).loss
      );
    }
    const kl = tf.tidy(() =>
      tf.mean(tf.mul(algo.K, kernelKl(old, policy.denoiseMean(obs, a, k)))).dataSync()[0]
    );
    opt.dispose();
    algo.dispose();
    policy.dispose();
    return kl;
  };
  const free = run(false);
  const bounded = run(true);
  assert.ok(free > 0.5, `without the trust region the kernel moves far (K * KL ${free})`);
  assert.ok(bounded < 0.1, `with it K * KL stays near the bound 0.02 (${bounded})`);
});

Deno.test("diffwpo: state()/load() through a snapshot continues exactly like the original", () => {
  assertSnapshotContinues((seed) => build(seed), { seeds: [5, 99], warmup: 50, steps: 12 });
});

Deno.test("diffwpo: updates report finite metrics; friction stays fixed while dt learns", () => {
  const { algo, policy } = build(6, { learningStarts: 8 });
  const friction = policy.frictionParam.dataSync().slice();
  const dt = policy.dtParam.dataSync().slice();
  for (let i = 0; i < 8; i++) assert.deepEqual(algo.iterate().metrics, {});
  algo.iterate();
  const m = algo.iterate().metrics;
  for (
    const key of [
      "q_loss",
      "actor_loss",
      "entropy",
      "alpha",
      "alpha_loss",
      "coef_abs",
      "kl",
      "kl_violated",
      "lambda",
      "lambda_loss",
    ]
  ) {
    assert.ok(Number.isFinite(m[key]), `${key} = ${m[key]}`);
  }
  for (let i = 0; i < 6; i++) algo.iterate();
  assert.deepEqual(policy.frictionParam.dataSync(), friction);
  assert.notDeepEqual(policy.dtParam.dataSync(), dt);
  const replay = algo.replay.state();
  assert.equal(replay.data.chain.length, replay.size * (3 + 1), "a^K..a^0 per transition");
  algo.dispose();
  policy.dispose();
});

Deno.test("trainer: the built-in DiffWPO fixes the friction and runs", async () => {
  const registry = builtinRegistry();
  const resolved = resolveConfig({ algo: "diffwpo", env: "Pendulum-v1" }, registry);
  assert.equal(resolved.config.policy, "diffusion");
  assert.equal(resolved.config.policyParams.learnFriction, false);
  assert.deepEqual(resolved.config.policyParams.hidden, [256, 256]);
  const dir = Deno.makeTempDirSync();
  const result = await train(
    resolveConfig({
      algo: "diffwpo",
      env: "Pendulum-v1",
      steps: 60,
      logEvery: 30,
      evalEvery: 60,
      evalEpisodes: 1,
      out: dir,
      name: "diffwpo",
      algoParams: { learningStarts: 30, batchSize: 8, criticHidden: [8, 8] },
      policyParams: { diffusionSteps: 2, hidden: [8, 8], timeHidden: 8 },
    }, registry),
    { registry },
  );
  assert.equal(result.status, "finished");
  const rows = Deno.readTextFileSync(`${dir}/diffwpo/metrics.jsonl`).trim().split("\n").map((
    l,
  ) => JSON.parse(l));
  assert.ok(
    rows.some((r) => Number.isFinite(r["eval/return_mean"]) && Number.isFinite(r.actor_loss)),
  );
  Deno.removeSync(dir, { recursive: true });
});
