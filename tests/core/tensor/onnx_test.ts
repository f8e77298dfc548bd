import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { box, defaultsOf, Rng } from "../../../core/mod.ts";
import {
  exportPolicyOnnx,
  ONNX_IR_VERSION,
  ONNX_OPSET,
  readModelMetadata,
  tf,
  useBackend,
} from "../../../core/tensor/mod.ts";
import { GAUSSIAN_SCHEMA, GaussianPolicy } from "../../../plugins/gaussian_policy/mod.ts";
import { DIFFUSION_SCHEMA, DiffusionPolicy } from "../../../plugins/diffusion_policy/mod.ts";
import type { Policy } from "../../../core/mod.ts";
import type { ObsNormalizer, OnnxExportable } from "../../../core/tensor/mod.ts";

await useBackend("wasm");

const SPEC = { observationSpace: box(-5, 5, 5), actionSpace: box([-2, -1, 0], [2, 3, 1]) };
const BATCH = 7;

/** Random weights everywhere (including zero-initialised output layers) and obs statistics. */
function randomise(policy: Policy & { obsNormalizer: ObsNormalizer }, seed: number): void {
  const rng = new Rng(seed);
  for (const v of policy.trainableVariables()) {
    v.assign(tf.tensor(rng.fillNormal(new Float32Array(v.size)).map((x) => 0.4 * x), v.shape));
  }
  const obs = rng.fillNormal(new Float32Array(50 * SPEC.observationSpace.low.length));
  policy.obsNormalizer.update(obs.map((x) => 3 * x + 1), 50);
}

async function runOnnx(
  bytes: Uint8Array,
  obs: Float32Array,
  noise: Float32Array | null,
  p: Policy & OnnxExportable,
) {
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {
    obs: new ort.Tensor("float32", obs, [BATCH, p.obsDim]),
  };
  if (noise) feeds.noise = new ort.Tensor("float32", noise, [BATCH, p.noiseSteps, p.actDim]);
  const out = await session.run(feeds);
  await session.release();
  return out.action.data as Float32Array;
}

async function checkParity(policy: Policy & OnnxExportable, label: string) {
  const rng = new Rng(42);
  const obs = rng.fillNormal(new Float32Array(BATCH * policy.obsDim)).map((x) => 2 * x);
  const noise = rng.fillNormal(new Float32Array(BATCH * policy.noiseSteps * policy.actDim));
  for (const deterministic of [false, true]) {
    const bytes = exportPolicyOnnx(policy, { deterministic, metadata: { env: "Test-v0" } });
    const expected = policy.actFromNoise(obs, deterministic ? null : noise);
    const actual = await runOnnx(bytes, obs, deterministic ? null : noise, policy);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
    }
    assert.ok(worst < 1e-5, `${label} (deterministic ${deterministic}): max |diff| ${worst}`);
    const meta = readModelMetadata(bytes);
    assert.equal(meta.env, "Test-v0");
    assert.equal(meta.policy_kind, policy.kind);
    assert.equal(meta.deterministic, String(deterministic));
  }
}

Deno.test("onnx export: Gaussian policies match the TypeScript policy on the same obs and noise", async () => {
  for (const logStd of ["state", "param"] as const) {
    for (const activation of ["relu", "tanh", "silu", "gelu"] as const) {
      const p = new GaussianPolicy(
        SPEC,
        {
          ...defaultsOf(GAUSSIAN_SCHEMA),
          hidden: [16, 12],
          activation,
          logStd,
          normalizeObs: true,
        },
        new Rng(1),
      );
      randomise(p, 2);
      await checkParity(p, `gaussian ${logStd} ${activation}`);
      p.dispose();
    }
  }
});

Deno.test("onnx export: diffusion policies (K = 1, 4, 8) match the TypeScript chain on the same noise", async () => {
  for (const K of [1, 4, 8]) {
    const p = new DiffusionPolicy(
      SPEC,
      {
        ...defaultsOf(DIFFUSION_SCHEMA),
        diffusionSteps: K,
        hidden: [16, 16],
        timeHidden: 8,
        normalizeObs: true,
      },
      new Rng(K),
    );
    randomise(p, 10 + K);
    await checkParity(p, `diffusion K=${K}`);
    p.dispose();
  }
});

Deno.test("onnx export: the model states its opset, IR version, inputs and a dynamic batch", async () => {
  const p = new DiffusionPolicy(
    SPEC,
    { ...defaultsOf(DIFFUSION_SCHEMA), diffusionSteps: 2, hidden: [8], timeHidden: 4 },
    new Rng(0),
  );
  const bytes = exportPolicyOnnx(p, { deterministic: false });
  const meta = readModelMetadata(bytes);
  assert.equal(meta.opset, String(ONNX_OPSET));
  assert.equal(meta.ir_version, String(ONNX_IR_VERSION));
  assert.equal(meta.noise_steps, "3");
  assert.deepEqual(JSON.parse(meta.action_low), [-2, -1, 0]);
  const session = await ort.InferenceSession.create(bytes);
  assert.deepEqual(session.inputNames, ["obs", "noise"]);
  assert.deepEqual(session.outputNames, ["action"]);
  for (const batch of [1, 33]) {
    const out = await session.run({
      obs: new ort.Tensor("float32", new Float32Array(batch * 5), [batch, 5]),
      noise: new ort.Tensor("float32", new Float32Array(batch * 3 * 3), [batch, 3, 3]),
    });
    assert.deepEqual(out.action.dims, [batch, 3]);
  }
  await session.release();
  const det = await ort.InferenceSession.create(exportPolicyOnnx(p, { deterministic: true }));
  assert.deepEqual(det.inputNames, ["obs"]);
  await det.release();
  p.dispose();
});

/** Debian's python3-onnx, when installed, for ONNX's own checker. */
function onnxChecker(): string | null {
  for (const python of ["/usr/bin/python3", "python3"]) {
    try {
      const out = new Deno.Command(python, { args: ["-c", "import onnx"], stderr: "null" })
        .outputSync();
      if (out.success) return python;
    } catch {
      // not installed
    }
  }
  return null;
}
const python = onnxChecker();

Deno.test({
  name: "onnx export: models pass onnx.checker.check_model(full_check=True)",
  // skipped where python3-onnx is not installed (`apt-get install python3-onnx`)
  ignore: python === null,
  fn() {
    const dir = Deno.makeTempDirSync();
    const policies = [
      new GaussianPolicy(SPEC, { ...defaultsOf(GAUSSIAN_SCHEMA), hidden: [8] }, new Rng(0)),
      new DiffusionPolicy(
        SPEC,
        { ...defaultsOf(DIFFUSION_SCHEMA), diffusionSteps: 3, hidden: [8], normalizeObs: true },
        new Rng(0),
      ),
    ];
    for (const [i, p] of policies.entries()) {
      for (const deterministic of [false, true]) {
        const path = `${dir}/m${i}${deterministic}.onnx`;
        Deno.writeFileSync(path, exportPolicyOnnx(p, { deterministic }));
        const out = new Deno.Command(python!, {
          args: [
            "-c",
            "import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True); print('ok')",
            path,
          ],
        }).outputSync();
        assert.ok(out.success, new TextDecoder().decode(out.stderr));
      }
      p.dispose();
    }
    Deno.removeSync(dir, { recursive: true });
  },
});
