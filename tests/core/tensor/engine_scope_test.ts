import assert from "node:assert/strict";
import { tf, useBackend } from "../../../core/tensor/mod.ts";

await useBackend("wasm");

Deno.test("tf.ts replaces the engine's endScope, written against tfjs-core 4.22.0", () => {
  // another tfjs version: compare its Engine.endScope with core/tensor/tf.ts's before bumping
  assert.equal(tf.version_core, "4.22.0");
  const endScope = Object.getPrototypeOf(tf.engine()).endScope as () => void;
  assert.equal(endScope.toString().includes("collectTensors"), true);
});

Deno.test("tidy keeps what its result holds at any depth, once, and disposes the rest", () => {
  const before = tf.memory().numTensors;
  const outside = tf.scalar(1);
  let kept: tf.Tensor | null = null;
  let inner: tf.Tensor | null = null;
  type Result = { value: tf.Tensor; list: unknown[] };
  const result = tf.tidy(() => {
    const a = tf.scalar(2);
    const b = tf.scalar(3);
    tf.scalar(4); // dropped
    kept = tf.keep(tf.scalar(5));
    inner = tf.tidy(() => [tf.scalar(6), tf.scalar(7)])[1]; // one of two survives the inner tidy
    return {
      value: a,
      list: [b, a, { deep: [b], inner }],
      outside, // made outside: stays where it was tracked
      values: new Float32Array(100_000), // holds no tensors, not walked element by element
      label: "x",
      nothing: null,
    } as unknown as tf.TensorContainer;
  }) as unknown as Result;
  const alive = (t: tf.Tensor) => !t.isDisposed;
  assert.ok(alive(result.value) && alive(result.list[0] as tf.Tensor) && alive(inner!));
  assert.ok(alive(kept!) && alive(outside));
  // outside, the result's a, b and inner, and the kept scalar: the dropped ones are gone
  assert.equal(tf.memory().numTensors, before + 5);
  tf.dispose([result.value, result.list[0] as tf.Tensor, inner!, kept!, outside]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("a tidy's result is tracked by the enclosing tidy and freed with it", () => {
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const [x, y] = tf.tidy(() => [tf.scalar(1), tf.scalar(2), tf.scalar(3)].slice(0, 2));
    assert.ok(!x.isDisposed && !y.isDisposed);
    assert.equal(tf.memory().numTensors, before + 2); // the third is gone with the inner tidy
  });
  assert.equal(tf.memory().numTensors, before);
});
