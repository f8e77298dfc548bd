import assert from "node:assert/strict";
import { Rng } from "../../../core/mod.ts";
import {
  Adam,
  disableNativeMatMul,
  enableNativeMatMul,
  linear,
  Mlp,
  stackedLinear,
  tf,
  useBackend,
} from "../../../core/tensor/mod.ts";
import { TwinQ } from "../../../plugins/learners/mod.ts";

await useBackend("wasm");
const probe = enableNativeMatMul();
disableNativeMatMul();
const kernels = probe.enabled ? ["wasm", "native"] : ["wasm"];

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const tol = 1e-5 * Math.max(1, Math.abs(expected[i]));
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol,
      `${what}[${i}]: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

function randomTensor(rng: Rng, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng.fillNormal(new Float32Array(n)), shape);
}

for (const kernel of kernels) {
  for (const shared of [true, false]) {
    Deno.test(`stackedLinear (${kernel} matMul, ${shared ? "shared" : "own"} input): value and gradients are each slice's linear`, () => {
      if (kernel === "native") enableNativeMatMul();
      try {
        tf.tidy(() => {
          const rng = new Rng(3);
          const [B, I, O] = [5, 4, 3];
          const x = randomTensor(rng, shared ? [B, I] : [2, B, I]);
          const w = randomTensor(rng, [2, I, O]) as tf.Tensor3D;
          const b = randomTensor(rng, [2, 1, O]) as tf.Tensor3D;
          const dy = randomTensor(rng, [2, B, O]);
          const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
            tf.sum(tf.mul(stackedLinear(xx, ww as tf.Tensor3D, bb as tf.Tensor3D), dy));
          const ref = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => {
            const parts = [0, 1].map((k) => {
              const xk = shared ? xx : tf.squeeze(tf.slice(xx, [k, 0, 0], [1, -1, -1]), [0]);
              const wk = tf.squeeze(tf.slice(ww, [k, 0, 0], [1, -1, -1]), [0]);
              const bk = tf.reshape(tf.slice(bb, [k, 0, 0], [1, -1, -1]), [O]);
              const dyk = tf.squeeze(tf.slice(dy, [k, 0, 0], [1, -1, -1]), [0]);
              return tf.sum(tf.mul(linear(xk, wk, bk), dyk));
            });
            return tf.add(parts[0], parts[1]);
          };
          assertClose(f(x, w, b).dataSync(), ref(x, w, b).dataSync(), "value");
          const got = tf.grads(f)([x, w, b]);
          const want = tf.grads(ref)([x, w, b]);
          ["x", "w", "b"].forEach((name, i) => {
            assert.deepEqual(got[i].shape, want[i].shape, `d${name} shape`);
            assertClose(got[i].dataSync(), want[i].dataSync(), `d${name}`);
          });
          // the switches zero what they skip and leave the rest
          const gradsWith = (options: { weightGrads?: boolean; inputGrad?: boolean }) =>
            tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
              tf.sum(tf.mul(stackedLinear(xx, ww as tf.Tensor3D, bb as tf.Tensor3D, options), dy))
            )([x, w, b]);
          const noW = gradsWith({ weightGrads: false });
          assertClose(noW[0].dataSync(), want[0].dataSync(), "dx without weight grads");
          assert.ok(
            noW[1].dataSync().every((v) => v === 0) && noW[2].dataSync().every((v) => v === 0),
          );
          const noX = gradsWith({ inputGrad: false });
          assert.ok(noX[0].dataSync().every((v) => v === 0));
          assertClose(noX[1].dataSync(), want[1].dataSync(), "dw without input grad");
        });
      } finally {
        disableNativeMatMul();
      }
    });
  }
}

for (const kernel of kernels) {
  Deno.test(`stackedLinear with an addend and an activation (${kernel} matMul): the composed form's bits, value and gradients`, () => {
    if (kernel === "native") enableNativeMatMul();
    try {
      tf.tidy(() => {
        const rng = new Rng(5);
        const [B, I, O] = [6, 4, 9]; // 9 columns: a vector body and a scalar tail per row
        const x = randomTensor(rng, [B, I]);
        const w = randomTensor(rng, [2, I, O]) as tf.Tensor3D;
        const b = randomTensor(rng, [2, 1, O]) as tf.Tensor3D;
        const addend = randomTensor(rng, [2, B, O]) as tf.Tensor3D;
        const dy = randomTensor(rng, [2, B, O]);
        for (const activation of ["relu", "tanh"] as const) {
          const fused = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor, aa: tf.Tensor) =>
            tf.sum(tf.mul(
              stackedLinear(xx, ww as tf.Tensor3D, bb as tf.Tensor3D, {
                addend: aa as tf.Tensor3D,
                activation,
              }),
              dy,
            ));
          const composed = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor, aa: tf.Tensor) => {
            const pre = stackedLinear(xx, ww as tf.Tensor3D, bb as tf.Tensor3D, {
              addend: aa as tf.Tensor3D,
            });
            return tf.sum(tf.mul(activation === "relu" ? tf.relu(pre) : tf.tanh(pre), dy));
          };
          assert.deepEqual(
            fused(x, w, b, addend).dataSync(),
            composed(x, w, b, addend).dataSync(),
            `${activation} value`,
          );
          const got = tf.grads(fused)([x, w, b, addend]);
          const want = tf.grads(composed)([x, w, b, addend]);
          ["x", "w", "b", "addend"].forEach((name, i) =>
            assert.deepEqual(got[i].dataSync(), want[i].dataSync(), `${activation} d${name}`)
          );
        }
        assert.throws(
          () => stackedLinear(x, w, b, { activation: "silu" }),
          /activation 'silu' is not one of relu,tanh,linear/,
        );
      });
    } finally {
      disableNativeMatMul();
    }
  });
}

/** Q1, Q2 (and their targets) as plain MLPs read from a TwinQ checkpoint. */
function plainNets(q: TwinQ, inputs: number, hidden: number[]): Mlp[] {
  const { weights } = q.state();
  return [0, 1, 2, 3].map((k) => {
    const net = new Mlp(inputs, 1, new Rng(99), { hidden, activation: "relu" });
    net.variables().forEach((v, i) => {
      const entry = weights[`critics/${k * net.variables().length + i}`];
      assert.deepEqual(entry.shape, v.shape);
      v.assign(tf.tensor(entry.data, v.shape));
    });
    return net;
  });
}

Deno.test("TwinQ: checkpoints keep two networks' layout; min and fit are those of two MLPs", () => {
  const [inputs, hidden, B] = [6, [8, 7], 9];
  const q = new TwinQ(inputs, new Rng(5), { hidden, activation: "relu", lr: 1e-2 });
  const state = q.state();
  assert.equal(Object.keys(state.weights).length, 4 * 6);
  assert.deepEqual(state.weights["critics/0"].shape, [inputs, 8]);
  assert.deepEqual(state.weights["critics/1"].shape, [8]);
  assert.deepEqual(state.weights["critics/5"].shape, [1]);
  assert.equal(state.optimizer.m.length, 12);
  // the networks are drawn as four separate MLPs were: Q1 from the first draws
  const first = new Mlp(inputs, 1, new Rng(5), { hidden, activation: "relu" });
  first.variables().forEach((v, i) =>
    assert.deepEqual(state.weights[`critics/${i}`].data, v.dataSync())
  );
  const nets = plainNets(q, inputs, hidden);
  // targets start as copies of the online networks
  nets[0].variables().forEach((v, i) =>
    assert.deepEqual(nets[2].variables()[i].dataSync(), v.dataSync())
  );
  const rng = new Rng(8);
  const input = randomTensor(rng, [B, inputs]) as tf.Tensor2D;
  const y = randomTensor(rng, [B]) as tf.Tensor1D;
  const plainMin = (a: Mlp, b: Mlp) =>
    tf.tidy(() => tf.minimum(tf.squeeze(a.apply(input), [1]), tf.squeeze(b.apply(input), [1])));
  assertClose(q.min(input).dataSync(), plainMin(nets[0], nets[1]).dataSync(), "min");
  // one step each: the pair and two MLPs under one Adam on the summed mean squared errors
  const adam = new Adam([...nets[0].variables(), ...nets[1].variables()], { lr: 1e-2 });
  const plainLoss = adam.minimize(() =>
    tf.add(
      tf.mean(tf.square(tf.sub(tf.squeeze(nets[0].apply(input), [1]), y))),
      tf.mean(tf.square(tf.sub(tf.squeeze(nets[1].apply(input), [1]), y))),
    ) as tf.Scalar
  );
  const loss = q.fit(input, y);
  assertClose([loss], [plainLoss], "loss");
  const after = plainNets(q, inputs, hidden);
  [0, 1].forEach((k) =>
    after[k].variables().forEach((v, i) =>
      assertClose(v.dataSync(), nets[k].variables()[i].dataSync(), `Q${k + 1} variable ${i}`)
    )
  );
  const moments = adam.state();
  const saved = q.state().optimizer;
  moments.m.forEach((m, i) => assertClose(saved.m[i], m, `m ${i}`));
  moments.v.forEach((v, i) => assertClose(saved.v[i], v, `v ${i}`));
  // Polyak targets: tau 1 copies the online networks
  q.updateTargets(1);
  assertClose(q.min(input, { target: true }).dataSync(), q.min(input).dataSync(), "targets");
  adam.dispose();
  [...nets, ...after, first].forEach((n) => n.variables().forEach((v) => v.dispose()));
  q.dispose();
});

Deno.test("TwinQ: load(state()) continues identically and checks the layout", () => {
  const opts = { hidden: [5], activation: "relu" as const, lr: 1e-2 };
  const rng = new Rng(2);
  const input = randomTensor(rng, [4, 3]) as tf.Tensor2D;
  const y = randomTensor(rng, [4]) as tf.Tensor1D;
  const a = new TwinQ(3, new Rng(1), opts);
  a.fit(input, y);
  a.updateTargets(0.5);
  const b = new TwinQ(3, new Rng(7), opts);
  b.load(structuredClone(a.state()));
  assert.deepEqual(b.state(), a.state());
  a.fit(input, y);
  b.fit(input, y);
  assert.deepEqual(b.state(), a.state());
  const bad = structuredClone(a.state());
  bad.weights["critics/0"].shape = [5, 3];
  assert.throws(() => b.load(bad), /critics\/0' has shape \[5,3\], expected \[3,5\]/);
  const missing = structuredClone(a.state());
  delete missing.weights["critics/7"];
  assert.throws(() => b.load(missing), /missing 'critics\/7'/);
  [a, b].forEach((q) => q.dispose());
  tf.dispose([input, y]);
});

for (const kernel of kernels) {
  Deno.test(`TwinQ with obsInputs (${kernel} matMul): same checkpoints, values, gradients and steps as without`, () => {
    if (kernel === "native") enableNativeMatMul();
    try {
      const [obsDim, actDim, B] = [5, 3, 7];
      const opts = { hidden: [8, 6], activation: "relu" as const, lr: 1e-2 };
      const whole = new TwinQ(obsDim + actDim, new Rng(3), opts);
      const split = new TwinQ(obsDim + actDim, new Rng(3), { ...opts, obsInputs: obsDim });
      assert.deepEqual(split.state(), whole.state());
      const rng = new Rng(9);
      const obs = randomTensor(rng, [B, obsDim]) as tf.Tensor2D;
      const action = randomTensor(rng, [B, actDim]) as tf.Tensor2D;
      const y = randomTensor(rng, [B]) as tf.Tensor1D;
      const input = tf.concat([obs, action], 1) as tf.Tensor2D;
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        for (const target of [false, true]) {
          const expected = whole.min(input, { target }).dataSync();
          assertClose(split.min(input, { target }).dataSync(), expected, `min ${target}`);
          assertClose(split.minOf(obs, action, { target }).dataSync(), expected, "minOf");
          assertClose(whole.minOf(obs, action, { target }).dataSync(), expected, "whole minOf");
          const features = split.obsFeatures(obs, { target });
          assert.ok(features !== null && whole.obsFeatures(obs) === null);
          assertClose(
            split.minOf(obs, action, { target, features }).dataSync(),
            expected,
            "minOf with features",
          );
        }
        // dQ/da: the action columns of the whole input's gradient
        const dInput = tf.grad((x: tf.Tensor) =>
          tf.sum(whole.min(x as tf.Tensor2D, { weightGrads: false }))
        )(input);
        const expected = tf.slice(dInput, [0, obsDim], [-1, -1]).dataSync();
        const features = split.obsFeatures(obs);
        const dAction = tf.grad((a: tf.Tensor) =>
          tf.sum(split.minOf(obs, a as tf.Tensor2D, { weightGrads: false, features }))
        )(action);
        assertClose(dAction.dataSync(), expected, "dQ/da");
      });
      // fit on the whole input, then fitOf on its parts: the same steps either way
      for (let i = 0; i < 4; i++) {
        const loss = i < 2 ? split.fit(input, y) : split.fitOf(obs, action, y);
        const expected = i % 2 ? whole.fitOf(obs, action, y) : whole.fit(input, y);
        assertClose([loss], [expected], `loss ${i}`);
        split.updateTargets(0.5);
        whole.updateTargets(0.5);
      }
      assert.equal(tf.memory().numTensors, before, "tensors left behind");
      const [a, b] = [split.state(), whole.state()];
      for (const name of Object.keys(b.weights)) {
        assertClose(a.weights[name].data, b.weights[name].data, name);
      }
      b.optimizer.m.forEach((m, i) => assertClose(a.optimizer.m[i], m, `m ${i}`));
      b.optimizer.v.forEach((v, i) => assertClose(a.optimizer.v[i], v, `v ${i}`));
      // each loads the other's checkpoint exactly
      split.load(structuredClone(b));
      assert.deepEqual(split.state(), b);
      whole.load(structuredClone(a));
      assert.deepEqual(whole.state(), a);
      [split, whole].forEach((q) => q.dispose());
      tf.dispose([obs, action, y, input]);
    } finally {
      disableNativeMatMul();
    }
  });
}
