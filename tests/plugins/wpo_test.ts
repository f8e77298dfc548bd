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
import { createDoubleWell } from "../../envs/double_well.ts";
import { GAUSSIAN_SCHEMA, GaussianPolicy } from "../../plugins/gaussian_policy/mod.ts";
import {
  gaussianKl,
  gaussianWpoLoss,
  softActionGradient,
  Wpo,
  WPO_SCHEMA,
  type WpoParams,
} from "../../plugins/wpo/mod.ts";
import {
  LagrangeMultiplier,
  LOG_LAMBDA_RANGE,
  trustRegionLoss,
} from "../../plugins/learners/mod.ts";
import { assertSnapshotContinues, contextOf } from "../helpers.ts";

await useBackend("wasm");

function build(
  seed: number,
  overrides: Partial<WpoParams> = {},
  env = new VecEnv(() => createPendulum({}), 1, seed),
) {
  const policy = new GaussianPolicy(
    { observationSpace: env.observationSpace, actionSpace: env.actionSpace },
    { ...defaultsOf(GAUSSIAN_SCHEMA), hidden: [16, 16], activation: "tanh" },
    new Rng(seed).fork("policy"),
  );
  const params = {
    ...defaultsOf(WPO_SCHEMA),
    learningStarts: 64,
    batchSize: 32,
    criticHidden: [16, 16],
    criticActivation: "tanh",
    ...overrides,
  } as WpoParams;
  const algo = new Wpo(
    contextOf({ env, policy, params, rng: new Rng(seed).fork("algo"), totalSteps: 1000 }),
  );
  return { env, policy, algo };
}

/** Central finite differences of `f` at `[variable, element]` coordinates. */
function finiteDifferences(
  f: () => number,
  vars: tf.Variable[],
  coordinates: [number, number][],
  eps = 1e-2,
): number[] {
  return coordinates.map(([vi, i]) => {
    const v = vars[vi];
    const base = v.dataSync().slice();
    const at = (delta: number) => {
      const w = base.slice();
      w[i] += delta;
      v.assign(tf.tensor(w, v.shape));
      return f();
    };
    const out = (at(eps) - at(-eps)) / (2 * eps);
    v.assign(tf.tensor(base, v.shape));
    return out;
  });
}

function close(a: number, b: number, tol: number, what: string) {
  assert.ok(
    Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b)),
    `${what}: ${a} vs ${b}`,
  );
}

const OBS_2D_ACTION = [0.3, -1.2, 0.8, 2.0];

Deno.test("wpo: the actor-loss gradient is -E[grad_theta grad_u log pi . grad_u Q] for a known quadratic Q", () => {
  // 2-D actions so the quadratic's cross term mixes dimensions; Q is given on the squashed
  // action y (what a critic sees) and WPO works on u: dQ/du = dQ/dy (1 - y^2).
  const { algo, policy } = build(
    0,
    { fisherPreconditioning: false },
    new VecEnv(() => createDoubleWell({}), 1, 0),
  );
  const A = [[2, 0.5], [0.5, 1]];
  const c = [0.3, -0.2];
  const quadQ = (y: tf.Tensor2D) => {
    const d = tf.sub(y, tf.tensor2d([c], [1, 2]));
    return tf.mul(-0.5, tf.sum(tf.mul(d, tf.matMul(d, tf.tensor2d(A))), 1)) as tf.Tensor1D;
  };
  const dQdy = (y: tf.Tensor2D) =>
    tf.neg(tf.matMul(tf.sub(y, tf.tensor2d([c], [1, 2])), tf.tensor2d(A))) as tf.Tensor2D;
  const obs = tf.tensor2d(OBS_2D_ACTION, [4, 1]);
  const noise = tf.tensor2d([0.4, -1.1, 0.3, 0.9, -0.5, 0.2, 1.4, -0.7], [4, 2]);
  const sample = algo.actorSample(obs, noise, 0, dQdy);
  // independent reference of grad_u Q: autodiff through clip(tanh(u)) and the quadratic
  const dQdu = tf.grad((u: tf.Tensor) =>
    tf.sum(quadQ(tf.clipByValue(tf.tanh(u), -0.999, 0.999) as tf.Tensor2D))
  )(sample.u);
  assert.ok(tf.max(tf.abs(tf.sub(dQdu, sample.g))).dataSync()[0] < 1e-5, "g = dQ/du");
  // F(theta) = E[grad_u log pi_theta(u) . grad_u Q(u)] at the fixed sample, grad_u by autodiff
  const reference = () =>
    tf.tidy(() => {
      const { mean, logStd } = policy.distribution(obs);
      const score = tf.grad((u: tf.Tensor) =>
        tf.sum(GaussianPolicy.gaussianLogProb(u, mean, logStd))
      )(sample.u);
      return tf.mean(tf.sum(tf.mul(score, dQdu), 1)).dataSync()[0];
    });
  const vars = policy.trainableVariables();
  const coords: [number, number][] = [[0, 0], [0, 9], [2, 17], [4, 3], [4, 30], [5, 0], [5, 3]];
  const numeric = finiteDifferences(reference, vars, coords);
  const { grads } = tf.variableGrads(() => algo.actorLoss(obs, sample, null, 1).loss, vars);
  coords.forEach(([vi, i], j) => {
    close(grads[vars[vi].name].dataSync()[i], -numeric[j], 2e-2, `variable ${vi}[${i}]`);
  });
  algo.dispose();
  policy.dispose();
});

Deno.test("wpo: Fisher preconditioning scales the mean gradient by std^2 and the std gradient by std^2/2", () => {
  const mean = tf.variable(tf.tensor2d([0.2, -0.7, 1.1, 0.05, -0.3, 0.4], [3, 2]));
  const logStd = tf.variable(tf.tensor2d([-0.5, 0.3, 0.0, -1.2, 0.8, -0.1], [3, 2]));
  const eps = tf.tensor2d([0.5, -1.3, 0.8, 0.1, -0.4, 2.0], [3, 2]);
  const u = tf.add(mean, tf.mul(tf.exp(logStd), eps)) as tf.Tensor2D;
  const g = tf.tensor2d([1.5, -0.4, 0.9, 2.2, -1.1, 0.3], [3, 2]);
  const gradsOf = (precondition: boolean) => {
    const { grads } = tf.variableGrads(
      () => tf.sum(gaussianWpoLoss({ mean, logStd }, { u, eps, g }, precondition)) as tf.Scalar,
      [mean, logStd],
    );
    const std = tf.exp(logStd);
    // d/dstd = d/dlogStd / std
    return {
      mean: grads[mean.name].dataSync(),
      std: tf.div(grads[logStd.name], std).dataSync(),
    };
  };
  const raw = gradsOf(false);
  const pre = gradsOf(true);
  const std = tf.exp(logStd).dataSync();
  const gv = g.dataSync();
  const ev = eps.dataSync();
  for (let i = 0; i < 6; i++) {
    const s2 = std[i] * std[i];
    close(pre.mean[i], s2 * raw.mean[i], 1e-4, `mean ${i}`);
    close(pre.std[i], (s2 / 2) * raw.std[i], 1e-4, `std ${i}`);
    // the natural gradient in closed form: -g for the mean, -g eps for the std
    close(pre.mean[i], -gv[i], 1e-5, `mean ${i} closed form`);
    close(pre.std[i], -gv[i] * ev[i], 1e-4, `std ${i} closed form`);
  }
});

Deno.test("wpo: the soft coefficient g matches autodiff of Q(y(u)) - alpha log p(y(u)), clip included", () => {
  const { policy } = build(1);
  const obs = tf.tensor2d([0.2, 0.9, -0.4, -0.7, 0.1, 1.3, 1, 0, 0.2], [3, 3]);
  const { mean, logStd } = policy.distribution(obs);
  // third sample saturates tanh past the clip: dQ/dy must not pass there
  const noise = tf.tensor2d([0.4, -1.1, 0], [3, 1]);
  const u = tf.concat([
    tf.slice(tf.add(mean, tf.mul(tf.exp(logStd), noise)), [0, 0], [2, 1]),
    tf.tensor2d([4.5], [1, 1]),
  ]) as tf.Tensor2D;
  const alpha = 0.3;
  const q = (y: tf.Tensor) => tf.sum(tf.add(tf.mul(1.7, y), tf.mul(-2, tf.square(y))), 1);
  const auto = tf.grad((x: tf.Tensor) => {
    const y = tf.clipByValue(tf.tanh(x), -0.999, 0.999);
    const logP = tf.sub(
      GaussianPolicy.gaussianLogProb(x, mean, logStd),
      tf.sum(tf.log(tf.add(tf.sub(1, tf.square(tf.tanh(x))), 1e-6)), 1),
    );
    return tf.sum(tf.sub(q(y), tf.mul(alpha, logP)));
  })(u);
  const y = tf.clipByValue(tf.tanh(u), -0.999, 0.999) as tf.Tensor2D;
  const dQdy = tf.grad((x: tf.Tensor) => tf.sum(q(x)))(y) as tf.Tensor2D;
  const g = softActionGradient(dQdy, u, mean, logStd, alpha);
  const a = auto.dataSync();
  const b = g.dataSync();
  for (let i = 0; i < 3; i++) close(b[i], a[i], 1e-4, `sample ${i}`);
  // plain WPO: g is dQ/du, zero past the clip
  const plain = softActionGradient(dQdy, u, mean, logStd, 0).dataSync();
  assert.equal(plain[2], 0);
  policy.dispose();
});

Deno.test("wpo trust region: samples above the KL bound use lambda * KL, the others the WPO loss", () => {
  // closed-form KL of N(0, 1) || N(1, 2^2): log 2 + (1 + 1) / 8 - 1/2
  const kl = gaussianKl(
    { mean: tf.tensor2d([[0]]), logStd: tf.tensor2d([[0]]) },
    { mean: tf.tensor2d([[1]]), logStd: tf.tensor2d([[Math.log(2)]]) },
  ).dataSync()[0];
  close(kl, Math.log(2) + 0.25 - 0.5, 1e-5, "Gaussian KL");

  const { algo, policy } = build(2, { klBound: 0.02 });
  const obs = tf.tensor2d([0.2, 0.9, -0.4, -0.7, 0.1, 1.3, 1, 0, 0.2], [3, 3]);
  const noise = tf.tensor2d([0.4, -1.1, 0.3], [3, 1]);
  const sample = algo.actorSample(obs, noise, 0, (y) => tf.mul(-2, tf.sub(y, 0.4)) as tf.Tensor2D);
  const cur = policy.distribution(obs);
  // old: row 0 equal to the current policy (KL 0), row 1 slightly off (below the bound),
  // row 2 far off (above)
  const shift = tf.tensor2d([[0], [0.05], [1.0]]);
  const old = {
    mean: tf.add(cur.mean, tf.mul(shift, tf.exp(cur.logStd))) as tf.Tensor2D,
    logStd: cur.logStd,
  };
  const lambda = 3;
  const out = algo.actorLoss(obs, sample, old, lambda);
  const klv = out.kl.dataSync();
  assert.ok(Math.abs(klv[0]) < 1e-6 && klv[1] > 0 && klv[1] < 0.02 && klv[2] > 0.02, `KL ${klv}`);
  close(klv[2], 0.5, 1e-4, "KL of a one-std mean shift");
  assert.deepEqual(Array.from(out.violated.dataSync()), [0, 0, 1]);
  const objective = gaussianWpoLoss(cur, sample, true).dataSync();
  const expected = (objective[0] + objective[1] + lambda * klv[2]) / 3;
  close(out.loss.dataSync()[0], expected, 1e-5, "switched loss");
  // the penalised sample's gradient points back to the old mean: at the distribution level,
  // d(lambda KL)/dmean = lambda (mean - mean_old) / std^2 < 0 here (old is above)
  const m = tf.variable(cur.mean);
  const { grads } = tf.variableGrads(() =>
    trustRegionLoss(
      gaussianWpoLoss({ mean: m, logStd: cur.logStd }, sample, true),
      gaussianKl(old, { mean: m, logStd: cur.logStd }),
      0.02,
      lambda,
    ).loss, [m]);
  const gm = grads[m.name].dataSync();
  const std2 = Math.exp(2 * cur.logStd.dataSync()[2]);
  close(gm[2], (lambda / 3) * (-1.0 * Math.sqrt(std2)) / std2, 1e-4, "penalty gradient");
  algo.dispose();
  policy.dispose();
});

Deno.test("wpo trust region: lambda rises while KL is above the bound, falls below it, stays in range", () => {
  const lagrange = new LagrangeMultiplier({ init: 1, lr: 0.1 });
  lagrange.update(tf.tensor1d([0.5, 0.1]), 0.02);
  assert.ok(lagrange.value > 1);
  const high = lagrange.value;
  for (let i = 0; i < 30; i++) lagrange.update(tf.tensor1d([0, 0.001]), 0.02);
  assert.ok(lagrange.value < high);
  lagrange.dispose();
  const fast = new LagrangeMultiplier({ init: 1, lr: 4 });
  for (let i = 0; i < 5; i++) fast.update(tf.tensor1d([1]), 0.02);
  close(Math.log(fast.value), LOG_LAMBDA_RANGE[1], 1e-5, "ceiling");
  for (let i = 0; i < 200; i++) fast.update(tf.tensor1d([0]), 0.02);
  close(Math.log(fast.value), LOG_LAMBDA_RANGE[0], 1e-5, "floor");
  fast.dispose();
});

Deno.test("wpo trust region: repeated large actor steps on one batch keep the KL near the bound", () => {
  const run = (trustRegion: boolean) => {
    const { algo, policy } = build(3, { trustRegion, klBound: 0.02, klLambdaInit: 10 });
    const rng = new Rng(5);
    const obs = tf.tensor2d(rng.fillNormal(new Float32Array(64 * 3)), [64, 3]);
    const old = tf.tidy(() => policy.distribution(obs));
    const opt = new Adam(policy.trainableVariables(), { lr: 1e-2 });
    const dQdy = (y: tf.Tensor2D) => tf.mul(-4, tf.sub(y, 0.8)) as tf.Tensor2D; // pulls toward 0.8
    for (let i = 0; i < 40; i++) {
      const noise = tf.tensor2d(rng.fillNormal(new Float32Array(64)), [64, 1]);
      const sample = algo.actorSample(obs, noise, 0, dQdy);
      opt.minimize(() => algo.actorLoss(obs, sample, trustRegion ? old : null, algo.lambda).loss);
    }
    const kl = tf.tidy(() => tf.mean(gaussianKl(old, policy.distribution(obs))).dataSync()[0]);
    opt.dispose();
    algo.dispose();
    policy.dispose();
    return kl;
  };
  const free = run(false);
  const bounded = run(true);
  assert.ok(free > 0.5, `without the trust region the policy moves far (KL ${free})`);
  assert.ok(bounded < 0.1, `with it the mean KL stays near the bound 0.02 (KL ${bounded})`);
});

Deno.test("wpo: state()/load() through a snapshot continues exactly like the original", () => {
  assertSnapshotContinues((seed) => build(seed, { autotune: true, alpha: 0.1 }), {
    seeds: [4, 77],
    warmup: 100,
    steps: 30,
  });
});

Deno.test("wpo: iterate() reports finite metrics for plain and MaxEnt WPO", () => {
  for (
    const overrides of [{}, { autotune: true, alpha: 0.2 }, {
      fisherPreconditioning: false,
      trustRegion: false,
    }]
  ) {
    const { algo, policy } = build(5, overrides as Partial<WpoParams>);
    for (let i = 0; i < 64; i++) assert.deepEqual(algo.iterate().metrics, {});
    algo.iterate();
    const m = algo.iterate().metrics; // policyFrequency 2: the actor steps on even updates
    const keys = ["q_loss", "actor_loss", "entropy", "alpha", "grad_q_abs"];
    if (overrides !== undefined && "autotune" in overrides) keys.push("alpha_loss");
    if (!("trustRegion" in overrides)) keys.push("kl", "kl_violated", "lambda", "lambda_loss");
    for (const key of keys) assert.ok(Number.isFinite(m[key]), `${key} = ${m[key]}`);
    if (!("autotune" in overrides)) assert.equal(m.alpha, 0, "plain WPO has alpha exactly 0");
    algo.dispose();
    policy.dispose();
  }
});

Deno.test("trainer: the built-in WPO runs, resolves its preset, and evaluates", async () => {
  const registry = builtinRegistry();
  const resolved = resolveConfig({ algo: "wpo", env: "Pendulum-v1" }, registry);
  assert.equal(resolved.config.policy, "gaussian");
  assert.equal(resolved.config.steps, 10000);
  assert.equal((resolved.config.algoParams as WpoParams).learningStarts, 1000);
  const dir = Deno.makeTempDirSync();
  const result = await train(
    resolveConfig({
      algo: "wpo",
      env: "Pendulum-v1",
      steps: 80,
      logEvery: 40,
      evalEvery: 80,
      evalEpisodes: 1,
      out: dir,
      name: "wpo",
      algoParams: { learningStarts: 40, batchSize: 8, criticHidden: [8, 8] },
      policyParams: { hidden: [8, 8] },
    }, registry),
    { registry },
  );
  assert.equal(result.status, "finished");
  const rows = Deno.readTextFileSync(`${dir}/wpo/metrics.jsonl`).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  assert.ok(
    rows.some((r) => Number.isFinite(r["eval/return_mean"]) && Number.isFinite(r.actor_loss)),
  );
  Deno.removeSync(dir, { recursive: true });
});
