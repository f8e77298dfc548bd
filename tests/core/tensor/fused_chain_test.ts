import assert from "node:assert/strict";
import { tf } from "../../../core/tensor/tf.ts";
import { useBackend } from "../../../core/tensor/backend.ts";
import { disableNativeMatMul, enableNativeMatMul } from "../../../core/tensor/blas.ts";
import { linear } from "../../../core/tensor/nn.ts";
import { Rng } from "../../../core/rng.ts";
import {
  addSameShape,
  broadcastRows,
  chainModuleBytes,
  langevinDensities,
  langevinDensitiesTensor,
  type LangevinStep,
  langevinStep,
  langevinStepTensor,
  rowBlocks,
  setFusedChain,
  silu,
  siluTensor,
  unstackSlots,
} from "../../../core/tensor/fused_chain.ts";

await useBackend("wasm");

function randomArray(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => scale * rng.normal());
}

/** Random step inputs `[batch, dims]`: eta positive, per sample or one row for all samples. */
function stepInputs(seed: number, batch: number, dims: number, rowEta: boolean) {
  const rng = new Rng(seed);
  const n = batch * dims;
  const etaRow = Float32Array.from({ length: dims }, () => 0.02 + 0.5 * rng.uniform());
  const eta = rowEta
    ? Float32Array.from({ length: n }, (_, i) => etaRow[i % dims])
    : Float32Array.from({ length: n }, () => 0.02 + 0.5 * rng.uniform());
  return {
    a: randomArray(rng, n, 2),
    f: randomArray(rng, n),
    eta,
    noise: randomArray(rng, n),
    // upstream gradient weights for next, logQ and logRatio
    wNext: randomArray(rng, n),
    wQ: randomArray(rng, batch),
    wRatio: randomArray(rng, batch),
  };
}

type Inputs = ReturnType<typeof stepInputs>;
type StepFn = typeof langevinStep;

/** Outputs and gradients (a, f, eta) of `step` on `x`; `use` picks the outputs in the loss. */
function run(step: StepFn, x: Inputs, batch: number, dims: number, use = [true, true, true]) {
  return tf.tidy(() => {
    const t = (v: Float32Array) => tf.tensor2d(v, [batch, dims]);
    const [a, f, eta, noise] = [t(x.a), t(x.f), t(x.eta), t(x.noise)];
    const out = step(a, f, eta, noise, 3) as LangevinStep;
    const loss = (a: tf.Tensor2D, f: tf.Tensor2D, eta: tf.Tensor2D) => {
      const s = step(a, f, eta, noise, 3);
      const terms: tf.Tensor[] = [];
      if (use[0]) terms.push(tf.sum(tf.mul(s.next, t(x.wNext))));
      if (use[1]) terms.push(tf.sum(tf.mul(s.logQ, tf.tensor1d(x.wQ))));
      if (use[2]) terms.push(tf.sum(tf.mul(s.logRatio, tf.tensor1d(x.wRatio))));
      return tf.addN(terms) as tf.Scalar;
    };
    const grads = tf.grads(loss as (...xs: tf.Tensor[]) => tf.Scalar)([a, f, eta]);
    return {
      next: out.next.dataSync(),
      logQ: out.logQ.dataSync(),
      logRatio: out.logRatio.dataSync(),
      grads: grads.map((g) => g.dataSync()),
    };
  });
}

/** Bitwise equality, +0 and -0 counted equal (a zero upstream gradient may flip a zero's sign). */
function assertSameBits(got: ArrayLike<number>, want: ArrayLike<number>, what: string) {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < got.length; i++) {
    const same = got[i] === want[i] || (Number.isNaN(got[i]) && Number.isNaN(want[i]));
    assert.ok(same, `${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
}

Deno.test("the chain kernel module is valid WebAssembly", () => {
  assert.ok(WebAssembly.validate(chainModuleBytes() as BufferSource));
});

// sizes around the four-lane boundary, DiffSAC's (batch 256, Humanoid's 17 dims), one element
for (
  const [batch, dims, rowEta] of [[256, 17, true], [5, 3, false], [1, 1, true], [7, 4, false]] as [
    number,
    number,
    boolean,
  ][]
) {
  Deno.test(`langevinStep on wasm (fused) gives the tensor form's bits, forward and backward (${batch}x${dims})`, () => {
    const x = stepInputs(batch * 31 + dims, batch, dims, rowEta);
    const fused = run(langevinStep, x, batch, dims);
    const tensor = run(langevinStepTensor, x, batch, dims);
    assertSameBits(fused.next, tensor.next, "next");
    assertSameBits(fused.logQ, tensor.logQ, "logQ");
    assertSameBits(fused.logRatio, tensor.logRatio, "logRatio");
    ["a", "f", "eta"].forEach((name, i) => {
      assertSameBits(fused.grads[i], tensor.grads[i], `d/d${name}`);
    });
  });
}

for (const use of [[false, false, true], [true, false, false], [false, true, false]]) {
  Deno.test(`langevinStep's gradient with only some outputs in the loss (${use}) equals the tensor form's`, () => {
    const x = stepInputs(11, 6, 5, false);
    const fused = run(langevinStep, x, 6, 5, use);
    const tensor = run(langevinStepTensor, x, 6, 5, use);
    ["a", "f", "eta"].forEach((name, i) => {
      assertSameBits(fused.grads[i], tensor.grads[i], `d/d${name}`);
    });
  });
}

/** The step's loss in float64 from the math (not the tensor form), for finite differences. */
function lossF64(x: Inputs, a: Float64Array, f: Float64Array, eta: Float64Array, dims: number) {
  const c = 1 / 9;
  let loss = 0;
  for (let r = 0; r < a.length / dims; r++) {
    let logQ = 0;
    let logPi = 0;
    for (let j = r * dims; j < (r + 1) * dims; j++) {
      const mean = a[j] + eta[j] * (-a[j] * c + f[j]);
      const next = mean + Math.sqrt(2 * eta[j]) * x.noise[j];
      const norm = 0.5 * Math.log(4 * Math.PI * eta[j]);
      logQ -= (next - mean) ** 2 / (4 * eta[j]) + norm;
      logPi -= (a[j] - (next - eta[j] * next * c)) ** 2 / (4 * eta[j]) + norm;
      loss += next * x.wNext[j];
    }
    loss += logQ * x.wQ[r] + (logQ - logPi) * x.wRatio[r];
  }
  return loss;
}

Deno.test("langevinStep's gradient on wasm equals central finite differences of the float64 math", () => {
  const [batch, dims] = [3, 5];
  const x = stepInputs(7, batch, dims, false);
  const fused = run(langevinStep, x, batch, dims);
  const base = [x.a, x.f, x.eta].map((v) => Float64Array.from(v));
  for (let which = 0; which < 3; which++) {
    for (let i = 0; i < batch * dims; i++) {
      const h = 1e-4;
      const shifted = (delta: number) => {
        const args = base.map((v) => Float64Array.from(v));
        args[which][i] += delta;
        return lossF64(x, args[0], args[1], args[2], dims);
      };
      const fd = (shifted(h) - shifted(-h)) / (2 * h);
      const g = fused.grads[which][i];
      assert.ok(
        Math.abs(g - fd) <= 2e-3 * (1 + Math.abs(fd)),
        `input ${which}, element ${i}: ${g} vs ${fd}`,
      );
    }
  }
});

Deno.test("langevinStep falls back to the tensor form when switched off, and on the cpu backend", async () => {
  const x = stepInputs(3, 4, 6, true);
  const fused = run(langevinStep, x, 4, 6);
  const previous = setFusedChain(false);
  try {
    const off = run(langevinStep, x, 4, 6);
    assertSameBits(off.logRatio, fused.logRatio, "logRatio, switched off");
    assertSameBits(off.grads[2], fused.grads[2], "d/deta, switched off");
  } finally {
    setFusedChain(previous);
  }
  await useBackend("cpu");
  try {
    const cpu = run(langevinStep, x, 4, 6);
    // other kernels (log, sum) on cpu: float32 rounding apart
    for (const [got, want] of [[cpu.logRatio, fused.logRatio], [cpu.grads[2], fused.grads[2]]]) {
      for (let i = 0; i < got.length; i++) {
        assert.ok(Math.abs(got[i] - want[i]) <= 1e-4 * (1 + Math.abs(want[i])), `${i}`);
      }
    }
  } finally {
    await useBackend("wasm");
  }
});

Deno.test("silu on wasm (fused gradient) gives x * sigmoid(x)'s bits, forward and backward", () => {
  const rng = new Rng(9);
  for (const n of [1, 3, 4, 5, 1001, 256 * 256]) {
    const x0 = randomArray(rng, n, 4);
    const w = randomArray(rng, n);
    const both = [silu, siluTensor].map((fn) =>
      tf.tidy(() => {
        const x = tf.tensor1d(x0);
        const y = fn(x).dataSync();
        // two uses of the output: the gradients of both reach it
        const loss = (x: tf.Tensor) => {
          const s = fn(x);
          return tf.add(tf.sum(tf.mul(s, tf.tensor1d(w))), tf.sum(tf.square(s))) as tf.Scalar;
        };
        return { y, g: tf.grad(loss)(x).dataSync() };
      })
    );
    assertSameBits(both[0].y, both[1].y, `silu (n = ${n})`);
    assertSameBits(both[0].g, both[1].g, `silu gradient (n = ${n})`);
  }
});

Deno.test("silu's gradient on wasm equals finite differences", () => {
  const rng = new Rng(10);
  const x0 = randomArray(rng, 23, 3);
  const w = randomArray(rng, 23);
  const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(silu(x), tf.tensor1d(w))) as tf.Scalar)(
    tf.tensor1d(x0),
  ).dataSync();
  const f = (v: number) => v / (1 + Math.exp(-v));
  for (let i = 0; i < 23; i++) {
    const h = 1e-3;
    const fd = w[i] * (f(x0[i] + h) - f(x0[i] - h)) / (2 * h);
    assert.ok(Math.abs(g[i] - fd) < 1e-4 * (1 + Math.abs(fd)), `${i}: ${g[i]} vs ${fd}`);
  }
});

Deno.test("langevinStep and silu on wasm run fused: a few kernels in place of dozens", async () => {
  const x = stepInputs(5, 8, 3, false);
  const kernelsOf = async (step: StepFn) =>
    (await tf.profile(() => {
      tf.tidy(() => run(step, x, 8, 3, [true, true, true]));
    })).kernels.length;
  const fused = await kernelsOf(langevinStep);
  const tensor = await kernelsOf(langevinStepTensor);
  assert.ok(fused * 3 < tensor, `fused ${fused} kernels, tensor form ${tensor}`);
  const densityKernels = async (densities: DensitiesFn) =>
    (await tf.profile(() => {
      tf.tidy(() => runDensities(densities, x, 8, 3));
    })).kernels.length;
  const [fusedDensities, tensorDensities] = [
    await densityKernels(langevinDensities),
    await densityKernels(langevinDensitiesTensor),
  ];
  assert.ok(fusedDensities * 3 < tensorDensities, `${fusedDensities} vs ${tensorDensities}`);
  const siluKernels = async (fn: (x: tf.Tensor) => tf.Tensor) =>
    (await tf.profile(() => {
      tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(fn(v)) as tf.Scalar)(tf.ones([4, 4])));
    })).kernels.length;
  assert.ok(await siluKernels(silu) < await siluKernels(siluTensor));
});

Deno.test("rowBlocks on wasm gives tf.split's blocks and gradient", () => {
  const rng = new Rng(12);
  const w0 = randomArray(rng, 11 * 5);
  const sizes = [2, 0, 6, 3];
  const weights = sizes.map((s) => randomArray(rng, s * 5));
  const run = (split: (w: tf.Tensor2D) => tf.Tensor2D[]) =>
    tf.tidy(() => {
      const w = tf.tensor2d(w0, [11, 5]);
      const blocks = split(w).map((b) => b.dataSync());
      // only some blocks in the loss: the others' gradients are zeros
      const loss = (w: tf.Tensor) => {
        const parts = split(w as tf.Tensor2D);
        return tf.add(
          tf.sum(tf.mul(parts[0], tf.tensor2d(weights[0], [2, 5]))),
          tf.sum(tf.mul(tf.square(parts[2]), tf.tensor2d(weights[2], [6, 5]))),
        ) as tf.Scalar;
      };
      return { blocks, grad: tf.grad(loss)(w).dataSync() };
    });
  const fused = run((w) => rowBlocks(w, sizes));
  const tensor = run((w) => tf.split(w, sizes, 0) as tf.Tensor2D[]);
  fused.blocks.forEach((b, i) => assertSameBits(b, tensor.blocks[i], `block ${i}`));
  assertSameBits(fused.grad, tensor.grad, "gradient");
});

Deno.test("unstackSlots on wasm gives tf.unstack(x, 1)'s slots and gradient", () => {
  const rng = new Rng(13);
  const [batch, slots, dims] = [5, 4, 3];
  const x0 = randomArray(rng, batch * slots * dims);
  const weights = Array.from({ length: slots }, () => randomArray(rng, batch * dims));
  const run = (unstack: (x: tf.Tensor3D) => tf.Tensor2D[]) =>
    tf.tidy(() => {
      const x = tf.tensor3d(x0, [batch, slots, dims]);
      const parts = unstack(x).map((p) => p.dataSync());
      // slot 1 left out of the loss: its gradient is zeros
      const loss = (x: tf.Tensor) =>
        tf.addN(
          unstack(x as tf.Tensor3D).filter((_, j) => j !== 1).map((p, j) =>
            tf.sum(tf.mul(tf.square(p), tf.tensor2d(weights[j], [batch, dims])))
          ),
        ) as tf.Scalar;
      return { parts, grad: tf.grad(loss)(x).dataSync() };
    });
  const fused = run(unstackSlots);
  const tensor = run((x) => tf.unstack(x, 1) as tf.Tensor2D[]);
  fused.parts.forEach((p, j) => assertSameBits(p, tensor.parts[j], `slot ${j}`));
  assertSameBits(fused.grad, tensor.grad, "gradient");
});

Deno.test("addSameShape gives tf.add's sum and gradients, without copying its inputs for the tape", async () => {
  const rng = new Rng(14);
  const [x0, y0, w] = [0, 1, 2].map(() => randomArray(rng, 6 * 7));
  const run = (add: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) =>
    tf.tidy(() => {
      const [x, y] = [x0, y0].map((v) => tf.tensor2d(v, [6, 7]));
      const loss = (x: tf.Tensor, y: tf.Tensor) => {
        const s = add(x, y);
        // y used again: its gradient accumulates
        return tf.add(tf.sum(tf.mul(tf.square(s), tf.tensor2d(w, [6, 7]))), tf.sum(y)) as tf.Scalar;
      };
      const [gx, gy] = tf.grads(loss)([x, y]);
      return { sum: add(x, y).dataSync(), gx: gx.dataSync(), gy: gy.dataSync() };
    });
  const fused = run(addSameShape);
  const tensor = run(tf.add);
  assertSameBits(fused.sum, tensor.sum, "sum");
  assertSameBits(fused.gx, tensor.gx, "d/dx");
  assertSameBits(fused.gy, tensor.gy, "d/dy");
  const copies = async (add: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) =>
    (await tf.profile(() => {
      tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(add(x, x)) as tf.Scalar)(tf.ones([3, 3])));
    })).kernels.filter((k) => k.name === "Identity").length;
  assert.ok(await copies(addSameShape) < await copies(tf.add));
});

Deno.test("silu on wasm: x * sigmoid(x)'s bits and gradient over the whole float range and at special values", () => {
  const n = 400_003; // not a multiple of four: the scalar tail too
  const wide = tf.tidy(() => tf.linspace(-120, 120, n).dataSync());
  const special = [0, -0, 1e-30, -1e-30, 1e-42, -1e-42, 87.3, -87.3, 88, -88, 1e30, -1e30];
  const x0 = Float32Array.from([...wide, ...special, Infinity, -Infinity, NaN]);
  const [fused, tensor] = [silu, siluTensor].map((fn) =>
    tf.tidy(() => {
      const x = tf.tensor1d(x0);
      return {
        y: fn(x).dataSync(),
        g: tf.grad((v: tf.Tensor) => tf.sum(fn(v)) as tf.Scalar)(x).dataSync(),
      };
    })
  );
  assertSameBits(fused.y, tensor.y, "silu");
  assertSameBits(fused.g, tensor.g, "silu gradient");
});

Deno.test("broadcastRows on wasm gives linear(ones, row)'s rows and gradient (both matMul kernels)", () => {
  const rng = new Rng(15);
  const [batch, dims] = [9, 6];
  const row0 = randomArray(rng, dims);
  const w = randomArray(rng, batch * dims);
  const run = (broadcast: (row: tf.Tensor1D) => tf.Tensor2D) =>
    tf.tidy(() => {
      const row = tf.tensor1d(row0);
      const loss = (r: tf.Tensor) =>
        tf.sum(tf.mul(tf.square(broadcast(r as tf.Tensor1D)), tf.tensor2d(w, [batch, dims])));
      return {
        rows: broadcast(row).dataSync(),
        grad: tf.grad(loss as (r: tf.Tensor) => tf.Scalar)(row).dataSync(),
      };
    });
  const viaLinear = (row: tf.Tensor1D) =>
    linear(tf.ones([batch, 1]), tf.reshape(row, [1, dims]), null);
  for (const native of [false, true]) {
    if (native && !enableNativeMatMul().enabled) continue; // no BLAS on this machine
    try {
      const fused = run((row) => broadcastRows(row, batch));
      const tensor = run(viaLinear);
      assertSameBits(fused.rows, tensor.rows, `rows (native ${native})`);
      assertSameBits(fused.grad, tensor.grad, `gradient (native ${native})`);
    } finally {
      disableNativeMatMul();
    }
  }
});

type DensitiesFn = typeof langevinDensities;

/** logQ, logRatio and the gradients (a, f, eta, prev) of `densities` on `x` (noise as prev). */
function runDensities(densities: DensitiesFn, x: Inputs, batch: number, dims: number) {
  return tf.tidy(() => {
    const t = (v: Float32Array) => tf.tensor2d(v, [batch, dims]);
    const [a, f, eta, prev] = [t(x.a), t(x.f), t(x.eta), t(x.noise)];
    const out = densities(a, f, eta, prev, 3);
    const loss = (a: tf.Tensor2D, f: tf.Tensor2D, eta: tf.Tensor2D, prev: tf.Tensor2D) => {
      const d = densities(a, f, eta, prev, 3);
      return tf.add(
        tf.sum(tf.mul(d.logQ, tf.tensor1d(x.wQ))),
        tf.sum(tf.mul(d.logRatio, tf.tensor1d(x.wRatio))),
      ) as tf.Scalar;
    };
    const grads = tf.grads(loss as (...xs: tf.Tensor[]) => tf.Scalar)([a, f, eta, prev]);
    return {
      logQ: out.logQ.dataSync(),
      logRatio: out.logRatio.dataSync(),
      grads: grads.map((g) => g.dataSync()),
    };
  });
}

for (const [batch, dims] of [[256, 17], [5, 3], [1, 1], [7, 4]]) {
  Deno.test(`langevinDensities on wasm (fused) gives the tensor form's bits, forward and backward (${batch}x${dims})`, () => {
    const x = stepInputs(batch * 17 + dims, batch, dims, false);
    const fused = runDensities(langevinDensities, x, batch, dims);
    const tensor = runDensities(langevinDensitiesTensor, x, batch, dims);
    assertSameBits(fused.logQ, tensor.logQ, "logQ");
    assertSameBits(fused.logRatio, tensor.logRatio, "logRatio");
    ["a", "f", "eta", "prev"].forEach((name, i) => {
      assertSameBits(fused.grads[i], tensor.grads[i], `d/d${name}`);
    });
  });
}

Deno.test("langevinDensities: a prev computed on the tape gets the tensor form, whose gradient is the same", () => {
  const x = stepInputs(21, 6, 4, false);
  const both = [langevinDensities, langevinDensitiesTensor].map((densities) =>
    tf.tidy(() => {
      const t = (v: Float32Array) => tf.tensor2d(v, [6, 4]);
      const loss = (a: tf.Tensor, u: tf.Tensor) => {
        const prev = tf.mul(u, 0.5) as tf.Tensor2D; // on the tape
        const d = densities(a as tf.Tensor2D, t(x.f), t(x.eta), prev, 3);
        return tf.add(tf.sum(d.logRatio), tf.sum(tf.square(prev))) as tf.Scalar;
      };
      return tf.grads(loss)([t(x.a), t(x.noise)]).map((g) => g.dataSync());
    })
  );
  both[0].forEach((g, i) => assertSameBits(g, both[1][i], `gradient ${i}`));
});

Deno.test("langevinDensities' gradient on wasm equals central finite differences of the float64 math", () => {
  const [batch, dims] = [3, 4];
  const x = stepInputs(8, batch, dims, false);
  const fused = runDensities(langevinDensities, x, batch, dims);
  const c = 1 / 9;
  const lossF64 = (v: Float64Array[]) => {
    const [a, f, eta, prev] = v;
    let loss = 0;
    for (let r = 0; r < batch; r++) {
      let logQ = 0;
      let logPi = 0;
      for (let j = r * dims; j < (r + 1) * dims; j++) {
        const mean = a[j] + eta[j] * (-a[j] * c + f[j]);
        const norm = 0.5 * Math.log(4 * Math.PI * eta[j]);
        logQ -= (prev[j] - mean) ** 2 / (4 * eta[j]) + norm;
        logPi -= (a[j] - (prev[j] - eta[j] * prev[j] * c)) ** 2 / (4 * eta[j]) + norm;
      }
      loss += logQ * x.wQ[r] + (logQ - logPi) * x.wRatio[r];
    }
    return loss;
  };
  const base = [x.a, x.f, x.eta, x.noise].map((v) => Float64Array.from(v));
  for (let which = 0; which < 4; which++) {
    for (let i = 0; i < batch * dims; i++) {
      const h = 1e-4;
      const shifted = (delta: number) => {
        const args = base.map((v) => Float64Array.from(v));
        args[which][i] += delta;
        return lossF64(args);
      };
      const fd = (shifted(h) - shifted(-h)) / (2 * h);
      const g = fused.grads[which][i];
      assert.ok(
        Math.abs(g - fd) <= 2e-3 * (1 + Math.abs(fd)),
        `input ${which}, ${i}: ${g} vs ${fd}`,
      );
    }
  }
});
