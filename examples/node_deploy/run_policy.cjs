#!/usr/bin/env node
// Runs a policy exported by dmerl (policy.onnx) with plain Node.js and onnxruntime-node: no
// dmerl code, no Deno. Everything the model needs to be driven is in its metadata.
//
//   node run_policy.cjs MODEL.onnx [OBS.json] [flags]
//
//   OBS.json                  observations: [[...obs], ...] or a flat array (default: zeros)
//   --batch N                 rows of zeros when no OBS.json is given (default 1)
//   --seed S                  seed of the Gaussian noise of stochastic models (default 0)
//   --pendulum-episodes N     instead: play N Pendulum-v1 episodes and print the mean return
//   --obs-dim / --act-dim / --noise-steps / --low / --high
//                             only for models without dmerl metadata
//
// The model's inputs: obs [batch, obs_dim] (raw observations) and, for stochastic exports,
// noise [batch, noise_steps, act_dim] of standard-normal draws; its output: action
// [batch, act_dim], already inside the env's action Box.
"use strict";

const fs = require("node:fs");
const ort = require("onnxruntime-node");

// ---------------------------------------------------------------------------------------------
// Model metadata. onnxruntime-node's InferenceSession exposes input/output names and shapes but
// not the model's metadata_props, so read them from the file: ModelProto field 14 holds
// repeated StringStringEntryProto { key = 1; value = 2 }. A protobuf reader for just that.

function readVarint(bytes, pos) {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (pos >= bytes.length) throw new Error("truncated protobuf varint");
    const b = bytes[pos++];
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, pos];
    scale *= 128;
  }
}

/** Calls visit(field, wireType, value) for each top-level field; value = bytes or number. */
function forEachField(bytes, visit) {
  let pos = 0;
  while (pos < bytes.length) {
    let tag;
    [tag, pos] = readVarint(bytes, pos);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === 0) {
      let v;
      [v, pos] = readVarint(bytes, pos);
      visit(field, wire, v);
    } else if (wire === 1) {
      pos += 8;
    } else if (wire === 2) {
      let len;
      [len, pos] = readVarint(bytes, pos);
      if (pos + len > bytes.length) throw new Error("truncated protobuf field");
      visit(field, wire, bytes.subarray(pos, pos + len));
      pos += len;
    } else if (wire === 5) {
      pos += 4;
    } else {
      throw new Error(`unsupported protobuf wire type ${wire}`);
    }
  }
}

function readModelMetadata(bytes) {
  const out = {};
  const text = new TextDecoder();
  forEachField(bytes, (field, wire, value) => {
    if (field !== 14 || wire !== 2) return;
    let key = "";
    let val = "";
    forEachField(value, (f, w, v) => {
      if (w !== 2) return;
      if (f === 1) key = text.decode(v);
      if (f === 2) val = text.decode(v);
    });
    out[key] = val;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// A tiny seeded generator: mulberry32 uniforms, Box-Muller normals.

function makeRng(seed) {
  let a = seed >>> 0;
  let spare = null;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return { uniform, normal };
}

// ---------------------------------------------------------------------------------------------
// Command line.

function parseArgs(argv) {
  const opts = { positional: [], batch: 1, seed: 0, pendulumEpisodes: 0 };
  const numberFlags = {
    "--batch": "batch",
    "--seed": "seed",
    "--pendulum-episodes": "pendulumEpisodes",
    "--obs-dim": "obsDim",
    "--act-dim": "actDim",
    "--noise-steps": "noiseSteps",
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") {
      opts.help = true;
    } else if (arg in numberFlags) {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) {
        throw new Error(`${arg}: expected an integer >= 0`);
      }
      opts[numberFlags[arg]] = v;
    } else if (arg === "--low" || arg === "--high") {
      opts[arg.slice(2)] = JSON.parse(argv[++i]);
    } else if (arg.startsWith("--")) {
      throw new Error(`unknown flag '${arg}'`);
    } else {
      opts.positional.push(arg);
    }
  }
  return opts;
}

const USAGE = "usage: node run_policy.cjs MODEL.onnx [OBS.json] [--batch N] [--seed S] " +
  "[--pendulum-episodes N] [--obs-dim D --act-dim D --noise-steps K --low JSON --high JSON]";

/** obs_dim, act_dim, noise_steps and the action Box: metadata first, then shapes and flags. */
function modelSpec(meta, session, opts) {
  const inputs = Object.fromEntries(
    session.inputMetadata.map((m) => [m.name, m.shape]),
  );
  const fromShape = (name, axis) => {
    const d = inputs[name] && inputs[name][axis];
    return typeof d === "number" ? d : undefined;
  };
  const num = (
    key,
  ) => (meta[key] !== undefined ? Number(meta[key]) : undefined);
  const spec = {
    obsDim: num("obs_dim") ?? opts.obsDim ?? fromShape("obs", 1),
    actDim: num("act_dim") ?? opts.actDim ?? fromShape("noise", 2),
    noiseSteps: "noise" in inputs
      ? (num("noise_steps") ?? opts.noiseSteps ??
        fromShape("noise", 1))
      : 0,
    low: meta.action_low ? JSON.parse(meta.action_low) : opts.low,
    high: meta.action_high ? JSON.parse(meta.action_high) : opts.high,
    env: meta.env,
    envParams: meta.env_params ? JSON.parse(meta.env_params) : {},
  };
  for (const key of ["obsDim", "actDim", "noiseSteps"]) {
    if (!Number.isInteger(spec[key])) {
      throw new Error(
        `${key} unknown: the model has no dmerl metadata; pass it as a flag`,
      );
    }
  }
  return spec;
}

/** Actions for `batch` observation rows; noise from `rng` for stochastic models. */
async function act(session, spec, obs, batch, rng) {
  const feeds = { obs: new ort.Tensor("float32", obs, [batch, spec.obsDim]) };
  if (spec.noiseSteps > 0) {
    const noise = new Float32Array(batch * spec.noiseSteps * spec.actDim);
    for (let i = 0; i < noise.length; i++) noise[i] = rng.normal();
    feeds.noise = new ort.Tensor("float32", noise, [
      batch,
      spec.noiseSteps,
      spec.actDim,
    ]);
  }
  const out = await session.run(feeds);
  return out.action.data;
}

// ---------------------------------------------------------------------------------------------
// Gymnasium's Pendulum-v1, the equations of dmerl's envs/pendulum.ts.

const MAX_SPEED = 8;
const MAX_TORQUE = 2;
const DT = 0.05;
const M = 1;
const L = 1;

function angleNormalize(x) {
  const twoPi = 2 * Math.PI;
  let r = (x + Math.PI) % twoPi;
  if (r < 0) r += twoPi;
  return r - Math.PI;
}

/** Plays `episodes` episodes side by side (one batch row each); returns their returns. */
async function pendulum(session, spec, episodes, rng) {
  if (spec.obsDim !== 3 || spec.actDim !== 1) {
    throw new Error(
      `Pendulum-v1 needs obs_dim 3 and act_dim 1, got ${spec.obsDim}, ${spec.actDim}`,
    );
  }
  const g = spec.envParams.g ?? 10.0;
  const th = new Float64Array(episodes);
  const thdot = new Float64Array(episodes);
  for (let i = 0; i < episodes; i++) {
    th[i] = -Math.PI + 2 * Math.PI * rng.uniform();
    thdot[i] = -1 + 2 * rng.uniform();
  }
  const returns = new Array(episodes).fill(0);
  const obs = new Float32Array(episodes * 3);
  for (let t = 0; t < 200; t++) { // Gymnasium's 200-step TimeLimit
    for (let i = 0; i < episodes; i++) {
      obs[3 * i] = Math.cos(th[i]);
      obs[3 * i + 1] = Math.sin(th[i]);
      obs[3 * i + 2] = thdot[i];
    }
    const actions = await act(session, spec, obs, episodes, rng);
    for (let i = 0; i < episodes; i++) {
      const u = Math.min(Math.max(actions[i], -MAX_TORQUE), MAX_TORQUE);
      const an = angleNormalize(th[i]);
      const cost = an * an + 0.1 * (thdot[i] * thdot[i]) + 0.001 * (u * u);
      let newthdot = thdot[i] +
        (3 * g / (2 * L) * Math.sin(th[i]) + 3.0 / (M * L * L) * u) * DT;
      newthdot = Math.min(Math.max(newthdot, -MAX_SPEED), MAX_SPEED);
      th[i] = th[i] + newthdot * DT;
      thdot[i] = newthdot;
      returns[i] -= cost;
    }
  }
  return returns;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help || opts.positional.length < 1 || opts.positional.length > 2) {
    console.log(USAGE);
    return opts.help ? 0 : 2;
  }
  const modelPath = opts.positional[0];
  const bytes = fs.readFileSync(modelPath);
  const meta = readModelMetadata(bytes);
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ["cpu"],
  });
  try {
    const spec = modelSpec(meta, session, opts);
    const rng = makeRng(opts.seed);
    if (opts.pendulumEpisodes > 0) {
      if (spec.env && spec.env !== "Pendulum-v1") {
        throw new Error(
          `the model was trained on ${spec.env}, not Pendulum-v1`,
        );
      }
      const returns = await pendulum(session, spec, opts.pendulumEpisodes, rng);
      const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
      console.log(
        JSON.stringify({
          episodes: returns.length,
          returns,
          mean_return: mean,
        }),
      );
      return 0;
    }
    let obs;
    let batch;
    if (opts.positional[1]) {
      const rows = JSON.parse(fs.readFileSync(opts.positional[1], "utf8"));
      const flat = rows.flat();
      if (flat.length === 0 || flat.length % spec.obsDim !== 0) {
        throw new Error(
          `${opts.positional[1]}: expected rows of ${spec.obsDim} numbers`,
        );
      }
      obs = Float32Array.from(flat);
      batch = flat.length / spec.obsDim;
    } else {
      batch = Math.max(1, opts.batch);
      obs = new Float32Array(batch * spec.obsDim);
    }
    const actions = await act(session, spec, obs, batch, rng);
    const rows = [];
    for (let b = 0; b < batch; b++) {
      rows.push(
        Array.from(actions.subarray(b * spec.actDim, (b + 1) * spec.actDim)),
      );
    }
    console.log(JSON.stringify({
      model: modelPath,
      env: spec.env ?? null,
      obs_dim: spec.obsDim,
      act_dim: spec.actDim,
      noise_steps: spec.noiseSteps,
      action_low: spec.low ?? null,
      action_high: spec.high ?? null,
      actions: rows,
    }));
    return 0;
  } finally {
    await session.release();
  }
}

main().then((code) => {
  process.exitCode = code;
}, (e) => {
  console.error(`error: ${e.message}`);
  process.exitCode = 1;
});
