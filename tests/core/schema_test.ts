import assert from "node:assert/strict";
import {
  checkField,
  ConfigError,
  defaultsOf,
  describeField,
  type Schema,
  validate,
} from "../../core/schema.ts";

const SCHEMA = {
  lr: { type: "number", min: 0, exclusiveMin: true, default: 3e-4 },
  batch: { type: "number", integer: true, min: 1, max: 4096, default: 256 },
  gamma: { type: "number", min: 0, max: 1, default: 0.99 },
  free: { type: "number", default: -2 },
  flag: { type: "boolean", default: false },
  mode: { type: "string", values: ["fast", "slow"], default: "fast" },
  label: { type: "string", default: "x" },
  hidden: { type: "number[]", integer: true, min: 1, minLength: 1, default: [64, 64] },
  weights: { type: "number[]", default: [] },
} as const satisfies Schema;

/** Asserts that `fn` throws a ConfigError whose message contains every fragment. */
function throwsConfig(fn: () => unknown, ...fragments: string[]): ConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${caught}`);
  assert.equal(caught.name, "ConfigError");
  for (const f of fragments) {
    assert.ok(caught.message.includes(f), `message "${caught.message}" lacks "${f}"`);
  }
  return caught;
}

Deno.test("validate: fills every default and keeps given values", () => {
  const v = validate(SCHEMA, { batch: 32, mode: "slow" }, "algoParams");
  assert.deepEqual(v, {
    lr: 3e-4,
    batch: 32,
    gamma: 0.99,
    free: -2,
    flag: false,
    mode: "slow",
    label: "x",
    hidden: [64, 64],
    weights: [],
  });
  // undefined and null mean "all defaults".
  assert.deepEqual(validate(SCHEMA, undefined, ""), defaultsOf(SCHEMA));
  assert.deepEqual(validate(SCHEMA, null, ""), defaultsOf(SCHEMA));
});

Deno.test("validate: array defaults are copies, not shared with the schema", () => {
  const a = validate(SCHEMA, {}, "p");
  a.hidden.push(1);
  assert.deepEqual(SCHEMA.hidden.default, [64, 64]);
  assert.deepEqual(validate(SCHEMA, {}, "p").hidden, [64, 64]);
});

Deno.test("validate: unknown key names it and lists the allowed keys", () => {
  const e = throwsConfig(() => validate(SCHEMA, { lr: 1, bogus: 2 }, "algoParams"), "'bogus'");
  assert.match(e.message, /^algoParams: /);
  assert.ok(
    e.message.includes(
      "allowed: lr, batch, gamma, free, flag, mode, label, hidden, weights",
    ),
    e.message,
  );
  // With no path prefix the message says "config".
  throwsConfig(() => validate(SCHEMA, { nope: 1 }, ""), "config: unknown key 'nope'");
});

Deno.test("validate: non-object input is rejected", () => {
  throwsConfig(() => validate(SCHEMA, [1, 2], "algoParams"), "algoParams", "expected an object");
  throwsConfig(() => validate(SCHEMA, 5, ""), "config", "expected an object", "5");
  throwsConfig(() => validate(SCHEMA, "x", "p"), "p: expected an object", '"x"');
});

Deno.test("validate: wrong types name the field path and what is allowed", () => {
  throwsConfig(
    () => validate(SCHEMA, { batch: "32" }, "algoParams"),
    "algoParams.batch",
    "an integer >= 1 <= 4096",
    '"32"',
  );
  throwsConfig(() => validate(SCHEMA, { flag: 1 }, "p"), "p.flag", "true or false", "got 1");
  throwsConfig(() => validate(SCHEMA, { label: 3 }, "p"), "p.label", "a string");
  throwsConfig(() => validate(SCHEMA, { free: null }, "p"), "p.free", "a number", "null");
  throwsConfig(() => validate(SCHEMA, { hidden: 64 }, "p"), "p.hidden", "an array of integers");
  // No prefix: the path is the bare key.
  const e = throwsConfig(() => validate(SCHEMA, { gamma: true }, ""), "gamma: expected");
  assert.match(e.message, /^gamma: /);
});

Deno.test("validate: numbers out of range (integer, min, exclusiveMin, max)", () => {
  throwsConfig(() => validate(SCHEMA, { batch: 2.5 }, "p"), "p.batch", "an integer", "2.5");
  throwsConfig(() => validate(SCHEMA, { batch: 0 }, "p"), "p.batch", ">= 1", "got 0");
  throwsConfig(() => validate(SCHEMA, { batch: 4097 }, "p"), "p.batch", "<= 4096", "4097");
  throwsConfig(() => validate(SCHEMA, { lr: 0 }, "p"), "p.lr", "a number > 0", "got 0");
  throwsConfig(() => validate(SCHEMA, { lr: -1 }, "p"), "p.lr", "> 0");
  throwsConfig(() => validate(SCHEMA, { gamma: 1.01 }, "p"), "p.gamma", ">= 0 <= 1");
  throwsConfig(() => validate(SCHEMA, { gamma: -0.01 }, "p"), "p.gamma", ">= 0 <= 1");
  throwsConfig(() => validate(SCHEMA, { free: NaN }, "p"), "p.free");
  throwsConfig(() => validate(SCHEMA, { free: Infinity }, "p"), "p.free");
  // Bounds themselves: inclusive min/max accepted, exclusive min rejected (above).
  const ok = validate(SCHEMA, { batch: 1, gamma: 0, lr: 1e-12 }, "p");
  assert.equal(ok.batch, 1);
  assert.equal(validate(SCHEMA, { batch: 4096, gamma: 1 }, "p").gamma, 1);
  assert.equal(validate(SCHEMA, { free: -1e9 }, "p").free, -1e9);
});

Deno.test("validate: string enums list the allowed values", () => {
  throwsConfig(
    () => validate(SCHEMA, { mode: "medium" }, "policyParams"),
    "policyParams.mode",
    "one of fast, slow",
    '"medium"',
  );
  assert.equal(validate(SCHEMA, { label: "anything" }, "p").label, "anything");
});

Deno.test("validate: number[] fields check elements, bounds and length", () => {
  throwsConfig(
    () => validate(SCHEMA, { hidden: [64, 0] }, "policyParams"),
    "policyParams.hidden",
    "an array of integers >= 1 (at least 1)",
    "[64,0]",
  );
  throwsConfig(() => validate(SCHEMA, { hidden: [1.5] }, "p"), "p.hidden", "integers");
  throwsConfig(() => validate(SCHEMA, { hidden: [] }, "p"), "p.hidden", "(at least 1)", "[]");
  throwsConfig(() => validate(SCHEMA, { hidden: ["8"] }, "p"), "p.hidden");
  throwsConfig(() => validate(SCHEMA, { weights: [1, NaN] }, "p"), "p.weights", "numbers");
  assert.deepEqual(validate(SCHEMA, { weights: [-1.5, 2] }, "p").weights, [-1.5, 2]);
  assert.deepEqual(validate(SCHEMA, { hidden: [3] }, "p").hidden, [3]);
});

Deno.test("describeField and checkField", () => {
  assert.equal(describeField(SCHEMA.lr), "a number > 0");
  assert.equal(describeField(SCHEMA.batch), "an integer >= 1 <= 4096");
  assert.equal(describeField(SCHEMA.free), "a number");
  assert.equal(describeField(SCHEMA.mode), "one of fast, slow");
  assert.equal(describeField(SCHEMA.weights), "an array of numbers");
  checkField(SCHEMA.batch, 7, "x.batch");
  throwsConfig(() => checkField(SCHEMA.batch, 7.5, "x.batch"), "x.batch: expected an integer");
});

Deno.test("defaultsOf returns the defaults", () => {
  const d = defaultsOf(SCHEMA);
  assert.equal(d.lr, 3e-4);
  assert.equal(d.mode, "fast");
  assert.deepEqual(d.hidden, [64, 64]);
});
