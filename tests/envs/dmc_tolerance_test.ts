/** dm_control's `rewards.tolerance`: every sigmoid against values worked out by hand. */
import assert from "node:assert/strict";
import { SIGMOIDS, tolerance } from "../../envs/dmc/rewards.ts";

const near = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} != ${expected}`);

// Half the margin out of bounds (d = 0.5) with value_at_margin 0.1, by hand:
// gaussian 0.1^(d^2); hyperbolic 1/cosh(acosh(10)/2) = 1/sqrt(5.5); long_tail 1/(9 d^2 + 1);
// reciprocal 1/(9 d + 1); cosine (1 + cos(acos(-0.8)/2))/2 = (1 + sqrt(0.1))/2;
// linear 1 - 0.9 d; quadratic 1 - 0.9 d^2; tanh_squared 1 - tanh(atanh(t)/2)^2 with
// t = sqrt(0.9), tanh(x/2) = t / (1 + sqrt(1 - t^2)).
const t = Math.sqrt(0.9);
const HALF_MARGIN: Record<string, number> = {
  gaussian: Math.sqrt(Math.sqrt(0.1)),
  hyperbolic: 1 / Math.sqrt(5.5),
  long_tail: 1 / 3.25,
  reciprocal: 1 / 5.5,
  cosine: (1 + Math.sqrt(0.1)) / 2,
  linear: 0.55,
  quadratic: 0.775,
  tanh_squared: 1 - (t / (1 + Math.sqrt(0.1))) ** 2,
};

Deno.test("tolerance: inside the bounds is 1 for every sigmoid, margin 0 or not", () => {
  for (const sigmoid of SIGMOIDS) {
    for (const margin of [0, 0.5, 3]) {
      for (const x of [1, 1.5, 2]) {
        assert.equal(tolerance(x, { bounds: [1, 2], margin, sigmoid }), 1, `${sigmoid} ${x}`);
      }
    }
  }
  assert.equal(tolerance(0), 1); // default bounds (0, 0) include 0
  assert.equal(tolerance(5, { bounds: [1, Infinity] }), 1);
});

Deno.test("tolerance: margin 0 is a hard indicator (bounds inclusive)", () => {
  for (const sigmoid of SIGMOIDS) {
    assert.equal(tolerance(0.999, { bounds: [1, 2], sigmoid }), 0);
    assert.equal(tolerance(2.001, { bounds: [1, 2], sigmoid }), 0);
    assert.equal(tolerance(-7, { bounds: [1, 2], sigmoid }), 0);
  }
  assert.equal(tolerance(1e-12), 0);
});

Deno.test("tolerance: every sigmoid at half the margin, below and above the bounds", () => {
  for (const sigmoid of SIGMOIDS) {
    // bounds [1, 2], margin 2: x = 0 and x = 3 are both d = 0.5
    near(tolerance(0, { bounds: [1, 2], margin: 2, sigmoid }), HALF_MARGIN[sigmoid], sigmoid);
    near(tolerance(3, { bounds: [1, 2], margin: 2, sigmoid }), HALF_MARGIN[sigmoid], sigmoid);
  }
});

Deno.test("tolerance: the value at the margin is value_at_margin for every sigmoid", () => {
  for (const sigmoid of SIGMOIDS) {
    for (const v of [0.1, 0.5, 0.9]) {
      near(tolerance(-1, { bounds: [1, 2], margin: 2, sigmoid, valueAtMargin: v }), v, sigmoid);
      near(tolerance(4, { bounds: [1, 2], margin: 2, sigmoid, valueAtMargin: v }), v, sigmoid);
    }
  }
});

Deno.test("tolerance: far tails and the finite-support sigmoids", () => {
  // d = 2, value_at_margin 0.1
  near(tolerance(2, { margin: 1 }), 1e-4, "gaussian 0.1^4");
  near(tolerance(2, { margin: 1, sigmoid: "long_tail" }), 1 / 37, "long_tail");
  near(tolerance(-2, { margin: 1, sigmoid: "reciprocal" }), 1 / 19, "reciprocal");
  near(tolerance(2, { margin: 1, sigmoid: "hyperbolic" }), 1 / Math.cosh(2 * Math.acosh(10)), "h");
  // cosine, linear and quadratic reach 0 at d = 1 / scale and stay there
  assert.equal(tolerance(1 / 0.9 + 1e-9, { margin: 1, sigmoid: "linear" }), 0);
  assert.equal(tolerance(5, { margin: 1, sigmoid: "quadratic" }), 0);
  assert.equal(tolerance(5, { margin: 1, sigmoid: "cosine" }), 0);
  // value_at_margin 0 is allowed for them: linear 1 - d, quadratic 1 - d^2, cosine (1+cos(pi d))/2
  near(tolerance(0.5, { margin: 1, sigmoid: "linear", valueAtMargin: 0 }), 0.5, "linear v0");
  near(tolerance(-0.5, { margin: 1, sigmoid: "quadratic", valueAtMargin: 0 }), 0.75, "quad v0");
  near(tolerance(0.5, { margin: 1, sigmoid: "cosine", valueAtMargin: 0 }), 0.5, "cosine v0");
  assert.equal(tolerance(1, { margin: 1, sigmoid: "linear", valueAtMargin: 0 }), 0);
  // dm_control's cheetah reward: linear from 0 at speed 0 to 1 at speed 10
  const run = (x: number) =>
    tolerance(x, { bounds: [10, Infinity], margin: 10, valueAtMargin: 0, sigmoid: "linear" });
  near(run(2.5), 0.25, "cheetah 2.5");
  assert.equal(run(-1), 0);
  assert.equal(run(12), 1);
});

Deno.test("tolerance: bad arguments throw as dm_control's do", () => {
  assert.throws(() => tolerance(0, { bounds: [2, 1] }), /lower bound/);
  assert.throws(() => tolerance(0, { margin: -1 }), /margin/);
  assert.throws(() => tolerance(3, { margin: 1, valueAtMargin: 0 }), /\(0, 1\) for the gaussian/);
  assert.throws(() => tolerance(3, { margin: 1, valueAtMargin: 1, sigmoid: "linear" }), /\[0, 1\)/);
  // checked inside the bounds too, as dm_control evaluates the sigmoid everywhere
  assert.throws(() => tolerance(0, { margin: 1, valueAtMargin: 1.5 }), /valueAtMargin/);
  assert.throws(
    () => tolerance(3, { margin: 1, sigmoid: "sigmoid" as "linear" }),
    /unknown sigmoid 'sigmoid'; allowed: gaussian/,
  );
});
