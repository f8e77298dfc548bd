import assert from "node:assert/strict";
import { tf } from "../../../core/tensor/tf.ts";
import { useBackend } from "../../../core/tensor/backend.ts";
import { customOp } from "../../../core/tensor/custom_op.ts";
import { linear } from "../../../core/tensor/nn.ts";

await useBackend("wasm");

/** `[x + y, x * y]` as one custom op, counting the gradient functions the engine calls. */
function sumAndProduct(x: tf.Tensor, y: tf.Tensor, calls: string[]): tf.Tensor[] {
  return customOp(
    { x, y },
    () => ({ outputs: [tf.add(x, y), tf.mul(x, y)], keep: [x, y] }),
    ([dSum, dProduct], [kx, ky]) => ({
      x: () => {
        calls.push("x");
        return tf.add(dSum, tf.mul(dProduct, ky));
      },
      y: () => {
        calls.push("y");
        return tf.add(dSum, tf.mul(dProduct, kx));
      },
    }),
  );
}

Deno.test("customOp: two outputs, gradients for the inputs on the path only, kept tensors freed", () => {
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.tensor1d([4, 5, 6]);
  const before = tf.memory().numTensors;
  const calls: string[] = [];
  // only x is differentiated: y's gradient function is never called
  const init = tf.tensor1d([1, 2, 3]);
  const vx = tf.variable(init);
  const g = tf.grad((v: tf.Tensor) => {
    const [s, p] = sumAndProduct(v, y, calls);
    return tf.add(tf.sum(s), tf.sum(tf.mul(p, 2))) as tf.Scalar;
  })(vx);
  assert.deepEqual(Array.from(g.dataSync()), [9, 11, 13]); // 1 + 2 y
  assert.deepEqual(calls, ["x"], "y is a constant: its gradient is not computed");
  // one output unused: its gradient arrives as zeros
  const g2 = tf.grad((v: tf.Tensor) => tf.sum(sumAndProduct(v, y, calls)[1]) as tf.Scalar)(vx);
  assert.deepEqual(Array.from(g2.dataSync()), [4, 5, 6]);
  tf.dispose([g, g2, vx, init]);
  assert.equal(tf.memory().numTensors, before, "nothing kept after the backward passes");
  tf.dispose([x, y]);
});

Deno.test("linear computes no gradient for a data input and copies nothing for its backward pass", async () => {
  const x = tf.randomNormal([8, 5]);
  const w = tf.variable(tf.randomNormal([5, 3]));
  const b = tf.variable(tf.zeros([3]));
  const profile = await tf.profile(() => {
    tf.tidy(() => tf.variableGrads(() => tf.sum(linear(x, w, b)) as tf.Scalar, [w, b]));
  });
  const names = profile.kernels.map((k) => k.name);
  // forward x w, then ones^T dy for b and x^T dy for w: no dy w^T for x
  assert.equal(names.filter((n) => n === "BatchMatMul").length, 3, names.join(", "));
  const copies = profile.kernels.filter((k) => k.name === "Identity");
  assert.ok(copies.every((k) => k.inputShapes[0]?.join("x") !== "8x5"), "x is not copied");
  tf.dispose([x, w, b]);
});
