/**
 * A run records the backend that ran (not `auto`) and resumes on it, or says how to override.
 */
import assert from "node:assert/strict";
import { deno, oneErrorLine, tinyConfig, TRAIN } from "./helpers.ts";

Deno.test("backend: config.json records the backend that ran; a resume without it names --backend", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "dmerl_backend_" });
  try {
    const run = await deno(TRAIN, [
      "--config",
      tinyConfig(dir),
      "--steps",
      "60",
      "--eval-episodes",
      "1",
      "--backend",
      "auto",
      "--quiet",
      "--out",
      dir,
      "--name",
      "r",
    ]);
    assert.equal(run.code, 0, run.stderr);
    const path = `${dir}/r/config.json`;
    const config = JSON.parse(Deno.readTextFileSync(path));
    assert.ok(["wasm", "wasm-blas", "tensorflow"].includes(config.backend), config.backend);
    const resumed = await deno(TRAIN, ["--resume", `${dir}/r`, "--steps", "80", "--quiet"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`backend ${config.backend},`));
    if (config.backend === "tensorflow") return; // the native backend is installed: nothing to refuse
    Deno.writeTextFileSync(path, JSON.stringify({ ...config, backend: "tensorflow" }));
    oneErrorLine(
      await deno(TRAIN, ["--resume", `${dir}/r`, "--steps", "100", "--quiet"]),
      2,
      /trained on 'tensorflow' and resumes on it .*resume with --backend NAME/,
      "unavailable recorded backend",
    );
    const overridden = await deno(TRAIN, [
      "--resume",
      `${dir}/r`,
      "--steps",
      "100",
      "--quiet",
      "--backend",
      "wasm",
    ]);
    assert.equal(overridden.code, 0, overridden.stderr);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
