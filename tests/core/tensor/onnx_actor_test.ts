/**
 * OnnxActor: the exported model run by onnxruntime acts exactly as the TypeScript policy on the
 * same observations and the same seeded noise; CUDA falls back to the CPU with one warning.
 */
import assert from "node:assert/strict";
import { box, ConfigError, defaultsOf, type Policy, Rng } from "../../../core/mod.ts";
import {
  encodeModel,
  exportPolicyOnnx,
  type ObsNormalizer,
  OnnxActor,
  type OnnxExportable,
  OnnxGraph,
  tf,
  useBackend,
} from "../../../core/tensor/mod.ts";
import { GAUSSIAN_SCHEMA, GaussianPolicy } from "../../../plugins/gaussian_policy/mod.ts";
import { DIFFUSION_SCHEMA, DiffusionPolicy } from "../../../plugins/diffusion_policy/mod.ts";

await useBackend("wasm");

const ROOT = new URL("../../../", import.meta.url).pathname;
const SPEC = { observationSpace: box(-5, 5, 4), actionSpace: box([-2, -1], [2, 3]) };
const BATCH = 5;

/** Random weights everywhere (including zero-initialised output layers) and obs statistics. */
function randomise(policy: Policy & { obsNormalizer: ObsNormalizer }, seed: number): void {
  const rng = new Rng(seed);
  for (const v of policy.trainableVariables()) {
    v.assign(tf.tensor(rng.fillNormal(new Float32Array(v.size)).map((x) => 0.4 * x), v.shape));
  }
  const obs = rng.fillNormal(new Float32Array(40 * SPEC.observationSpace.low.length));
  policy.obsNormalizer.update(obs.map((x) => 3 * x + 1), 40);
}

function gaussian(): GaussianPolicy {
  const p = new GaussianPolicy(
    SPEC,
    { ...defaultsOf(GAUSSIAN_SCHEMA), hidden: [16, 12], normalizeObs: true },
    new Rng(1),
  );
  randomise(p, 2);
  return p;
}

function diffusion(): DiffusionPolicy {
  const p = new DiffusionPolicy(
    SPEC,
    {
      ...defaultsOf(DIFFUSION_SCHEMA),
      diffusionSteps: 4,
      hidden: [16, 16],
      timeHidden: 8,
      normalizeObs: true,
    },
    new Rng(3),
  );
  randomise(p, 4);
  return p;
}

/** A valid ONNX model (action = obs) without dmerl's metadata. */
function foreign(): Uint8Array {
  const graph = new OnnxGraph();
  const obs = graph.input("obs", ["batch", 2]);
  graph.output("action", ["batch", 2], obs);
  return encodeModel(graph, { name: "identity", producerVersion: "0", metadata: {} });
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

function observations(seed: number, obsDim: number): Float32Array {
  return new Rng(seed).fillNormal(new Float32Array(BATCH * obsDim)).map((x) => 2 * x);
}

/** Two stochastic calls: the actor's noise is `new Rng(seed)`'s stream, call after call. */
async function checkStochastic(policy: Policy & OnnxExportable, label: string) {
  const bytes = exportPolicyOnnx(policy, { deterministic: false });
  const seed = 1234;
  const actor = await OnnxActor.create(bytes, { device: "cpu", seed });
  assert.equal(actor.device, "cpu");
  assert.equal(actor.deterministic, false);
  assert.equal(actor.noiseSteps, policy.noiseSteps);
  assert.equal(actor.obsDim, policy.obsDim);
  assert.equal(actor.actDim, policy.actDim);
  assert.deepEqual(actor.actionLow, [-2, -1]);
  assert.deepEqual(actor.actionHigh, [2, 3]);
  const noiseRng = new Rng(seed);
  for (const obsSeed of [10, 11]) {
    const obs = observations(obsSeed, policy.obsDim);
    const noise = noiseRng.fillNormal(new Float32Array(BATCH * policy.noiseSteps * policy.actDim));
    const expected = policy.actFromNoise(obs, noise);
    const actual = await actor.act(obs);
    const worst = maxDiff(expected, actual);
    assert.ok(worst < 1e-5, `${label}, obs seed ${obsSeed}: max |diff| ${worst}`);
  }
  // the same seed replays the same actions
  const again = await OnnxActor.create(bytes, { device: "cpu", seed });
  const first = await again.act(observations(10, policy.obsDim));
  const replay = new Rng(seed).fillNormal(
    new Float32Array(BATCH * policy.noiseSteps * policy.actDim),
  );
  assert.ok(maxDiff(first, policy.actFromNoise(observations(10, policy.obsDim), replay)) < 1e-5);
  await again.release();
  await actor.release();
}

// First, so that in a lone run onnxruntime is initialised with the CUDA attempt's quiet log
// level and its own error line does not clutter the output.
Deno.test("OnnxActor: device cuda falls back to the CPU with one warning line and still acts", async () => {
  const p = gaussian();
  const bytes = exportPolicyOnnx(p, { deterministic: true });
  const warnings: string[] = [];
  const actor = await OnnxActor.create(bytes, {
    device: "cuda",
    onWarning: (line) => warnings.push(line),
  });
  if (actor.device === "cuda") {
    assert.equal(warnings.length, 0, "a working CUDA provider needs no warning");
    assert.equal(actor.fallback, null);
  } else {
    assert.equal(actor.device, "cpu");
    assert.equal(`warning: ${actor.fallback}`, warnings[0]);
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0], /^warning: CUDA is unavailable \(.+\); falling back to CPU$/);
    assert.ok(!warnings[0].includes("\n"));
  }
  const obs = observations(30, p.obsDim);
  assert.ok(maxDiff(await actor.act(obs), p.actFromNoise(obs, null)) < 1e-5);
  await actor.release();
  p.dispose();
});

Deno.test("OnnxActor: a Gaussian export acts as policy.actFromNoise with the actor's seeded noise", async () => {
  const p = gaussian();
  await checkStochastic(p, "gaussian");
  p.dispose();
});

Deno.test("OnnxActor: a diffusion export (K = 4) acts as the TypeScript chain with the same noise", async () => {
  const p = diffusion();
  assert.equal(p.noiseSteps, 5);
  await checkStochastic(p, "diffusion");
  p.dispose();
});

Deno.test("OnnxActor: deterministic exports need no noise and repeat themselves; a path loads too", async () => {
  const dir = Deno.makeTempDirSync();
  for (const p of [gaussian(), diffusion()]) {
    const bytes = exportPolicyOnnx(p, { deterministic: true });
    const path = `${dir}/${p.kind}.onnx`;
    Deno.writeFileSync(path, bytes);
    const actor = await OnnxActor.create(path, { device: "cpu" });
    assert.equal(actor.deterministic, true);
    assert.equal(actor.noiseSteps, 0);
    assert.equal(actor.metadata.policy_kind, p.kind);
    const obs = observations(20, p.obsDim);
    const a = await actor.act(obs);
    const b = await actor.act(obs);
    assert.deepEqual(a, b);
    const worst = maxDiff(p.actFromNoise(obs, null), a);
    assert.ok(worst < 1e-5, `${p.kind}: max |diff| ${worst}`);
    // a batch of one
    const one = await actor.act(obs.slice(0, p.obsDim));
    assert.ok(maxDiff(one, a.slice(0, p.actDim)) < 1e-6);
    await actor.release();
    await actor.release(); // twice is fine
    await assert.rejects(() => actor.act(obs), /released/);
    p.dispose();
  }
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("OnnxActor: a wrong observation length throws a clear error", async () => {
  const p = gaussian();
  const actor = await OnnxActor.create(exportPolicyOnnx(p, { deterministic: false }), {
    device: "cpu",
  });
  for (const n of [0, 3, 4 * BATCH + 1]) {
    await assert.rejects(
      () => actor.act(new Float32Array(n)),
      new RegExp(`expected batch \\* obs_dim values \\(obs_dim 4\\), got ${n}$`),
    );
  }
  await actor.release();
  p.dispose();
});

Deno.test("OnnxActor: bad models and devices are ConfigErrors", async () => {
  const dir = Deno.makeTempDirSync();
  Deno.writeFileSync(`${dir}/junk.onnx`, new Uint8Array([1, 2, 3, 250, 255, 7]));
  const cases: [string | Uint8Array, RegExp][] = [
    [`${dir}/missing.onnx`, /missing.onnx' cannot be read/],
    [`${dir}/junk.onnx`, /junk.onnx' is not an ONNX model/],
    [new Uint8Array(0), /metadata 'obs_dim' is missing; not a model exported by dmerl/],
    [foreign(), /metadata 'obs_dim' is missing; not a model exported by dmerl/],
  ];
  for (const [model, pattern] of cases) {
    await assert.rejects(() => OnnxActor.create(model, { device: "cpu" }), (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, pattern);
      return true;
    });
  }
  const p = gaussian();
  await assert.rejects(
    () =>
      OnnxActor.create(exportPolicyOnnx(p, { deterministic: true }), { device: "gpu" as "cpu" }),
    /device: expected one of cpu, cuda, got 'gpu'/,
  );
  p.dispose();
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("OnnxActor: in a fresh process, importing the tensor engine loads no addon; the CUDA fallback prints exactly one stderr line", async () => {
  const dir = Deno.makeTempDirSync();
  const p = gaussian();
  Deno.writeFileSync(`${dir}/det.onnx`, exportPolicyOnnx(p, { deterministic: true }));
  p.dispose();
  const script = `
    import { OnnxActor } from "${ROOT}core/tensor/mod.ts";
    const maps = () => { try { return Deno.readTextFileSync("/proc/self/maps"); } catch { return null; } };
    const before = maps();
    console.log("addon before create: " + (before === null ? "unknown" : before.includes("onnxruntime")));
    const actor = await OnnxActor.create("${dir}/det.onnx", {
      device: "cuda",
      onWarning: (line) => console.error(line),
    });
    const action = await actor.act(new Float32Array(4));
    console.log("device: " + actor.device + ", action length: " + action.length);
    await actor.release();
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.match(stdout, /addon before create: (false|unknown)/);
  const device = stdout.match(/device: (\w+), action length: 2/)?.[1];
  assert.ok(device === "cpu" || device === "cuda", stdout);
  const lines = stderr.split("\n").filter((l) => l.trim() !== "");
  if (device === "cpu") {
    assert.equal(lines.length, 1, `exactly one stderr line, got:\n${stderr}`);
    assert.match(lines[0], /^warning: CUDA is unavailable \(.+\); falling back to CPU$/);
  } else {
    assert.equal(lines.length, 0, stderr);
  }
  Deno.removeSync(dir, { recursive: true });
});
