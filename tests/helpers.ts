/** Assertions shared by the test files. */
import assert from "node:assert/strict";
import { ConfigError } from "../core/schema.ts";
import { tf } from "../core/tf.ts";

/** Asserts a ConfigError whose message contains every fragment. */
export function throwsConfig(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    for (const f of fragments) {
      assert.ok(e.message.includes(f), `message "${e.message}" lacks "${f}"`);
    }
    return true;
  });
}

/**
 * Checks TensorFlow.js's gradient of a scalar `loss` against central finite differences at
 * chosen coordinates `[variable index, element index]` (float32: eps 1e-2, relative tol 2e-2).
 */
export function assertGradientMatchesFiniteDifferences(
  loss: () => tf.Scalar,
  vars: tf.Variable[],
  coordinates: [number, number][],
  { eps = 1e-2, tolerance = 2e-2 } = {},
): void {
  const { grads } = tf.variableGrads(loss, vars);
  for (const [vi, i] of coordinates) {
    const v = vars[vi];
    const base = v.dataSync().slice();
    const at = (delta: number) => {
      const w = base.slice();
      w[i] += delta;
      v.assign(tf.tensor(w, v.shape));
      return tf.tidy(() => loss().dataSync()[0]);
    };
    const numeric = (at(eps) - at(-eps)) / (2 * eps);
    v.assign(tf.tensor(base, v.shape));
    const analytic = grads[v.name].dataSync()[i];
    assert.ok(
      Math.abs(numeric - analytic) < tolerance * Math.max(1, Math.abs(analytic)),
      `variable ${vi}[${i}]: finite differences ${numeric} vs gradient ${analytic}`,
    );
  }
  tf.dispose(Object.values(grads));
}
