/**
 * Non-finite training stops the run: one line naming the step and the quantity, exit 1,
 * run.json `failed` with the reason, the last good checkpoint and policy untouched; eval and
 * export refuse a policy file with a non-finite weight.
 */
import assert from "node:assert/strict";
import { RUN_FILES } from "../../core/mod.ts";
import { decodeSnapshot, encodeSnapshot } from "../../core/serialize.ts";
import {
  deno,
  endsWithOneError,
  EVAL,
  EXPORT,
  oneErrorLine,
  TINY_SAC,
  tinyConfig,
  TRAIN,
} from "./helpers.ts";

Deno.test("a diverging run (learning rates 1e30) fails at once and keeps its last good checkpoint", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "dmerl_nan_" });
  try {
    const config = tinyConfig(dir, { policyLr: 1e30, qLr: 1e30 });
    const run = await deno(TRAIN, [
      ...TINY_SAC,
      "--config",
      config,
      "--steps",
      "400",
      "--eval-every",
      "50",
      "--out",
      dir,
      "--name",
      "nan",
    ]);
    endsWithOneError(
      run,
      1,
      /^error: step \d+: [a-z_]+ is (NaN|-?Infinity); training diverged \(the last good checkpoint is step 50;/,
      "diverging run",
    );
    const runDir = `${dir}/nan`;
    const status = JSON.parse(Deno.readTextFileSync(`${runDir}/${RUN_FILES.status}`));
    assert.equal(status.status, "failed");
    assert.equal(status.envSteps, 50);
    assert.match(status.error, /training diverged/);
    // the first checkpoint (written before the first evaluation, at step 50) is intact and finite
    const checkpoint = decodeSnapshot(Deno.readFileSync(`${runDir}/${RUN_FILES.checkpoint}`)) as {
      envSteps: number;
    };
    assert.equal(checkpoint.envSteps, 50);
    const policy = decodeSnapshot(Deno.readFileSync(`${runDir}/${RUN_FILES.policy}`)) as {
      weights: Record<string, { data: Float32Array }>;
    };
    for (const [name, w] of Object.entries(policy.weights)) {
      assert.ok(w.data.every(Number.isFinite), `${name} is finite`);
    }
    // a NaN policy file is refused by eval and export
    policy.weights["policy/0"].data[3] = NaN;
    Deno.writeFileSync(`${runDir}/${RUN_FILES.policy}`, encodeSnapshot(policy));
    const pattern =
      /policy\.bin. holds a non-finite weight \(weights\.policy\/0\.data\[3\] is NaN\)/;
    oneErrorLine(await deno(EVAL, [runDir, "--episodes", "1"]), 2, pattern, "eval");
    oneErrorLine(await deno(EXPORT, [runDir, "--out", `${dir}/m.onnx`]), 2, pattern, "export");
    assert.ok(!Deno.statSync(runDir).isFile);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
