import assert from "node:assert/strict";
import { inFlagWords, progressBar } from "../../scripts/cli.ts";

Deno.test("inFlagWords: a kernel error's leading field becomes the flag the user typed", () => {
  assert.equal(inFlagWords("resume: 'x' is not a folder"), "--resume: 'x' is not a folder");
  assert.equal(inFlagWords("runDir: 'x' has no policy"), "RUN_DIR: 'x' has no policy");
  assert.equal(inFlagWords("config a.json: unknown key 'lr'"), "--config a.json: unknown key 'lr'");
  assert.equal(
    inFlagWords("plugins: file 'p.ts' does not exist"),
    "--plugin: file 'p.ts' does not exist",
  );
  // other fields (algoParams.x, env, ...) already read as the user wrote them
  assert.equal(
    inFlagWords("algoParams.gamma: expected a number"),
    "algoParams.gamma: expected a number",
  );
  assert.equal(inFlagWords("env: unknown env 'X'"), "env: unknown env 'X'");
});

Deno.test("progressBar: at most 79 characters, fields dropped on narrow terminals, never past 100%", () => {
  const p = {
    envSteps: 12288,
    totalSteps: 12000,
    stepsPerSecond: 123456,
    recentReturn: -12345.678,
    lastEvalReturn: -0.073,
    etaSeconds: 123456,
  };
  const wide = progressBar(p, 200);
  assert.ok(wide.length <= 79, `${wide.length}: ${wide}`);
  assert.match(wide, /12000\/12000 100%/);
  assert.doesNotMatch(wide, /12288/);
  assert.match(wide, /ret -12345\.7 123456\/s eval -0\.073 ETA 34:17:36$/);
  // a 1M-step run at its start fits too
  const big = progressBar({ ...p, envSteps: 1, totalSteps: 1_000_000 }, 80);
  assert.ok(big.length <= 79, big);
  assert.match(big, /^\[-+\] 1\/1000000 0% /);
  let previous = Infinity;
  for (const width of [79, 70, 60, 50, 40, 30, 20]) {
    const line = progressBar(p, width);
    assert.ok(line.length <= width, `width ${width}: ${line}`);
    assert.match(line, /12000\/12000 100%/);
    assert.ok(line.length <= previous);
    previous = line.length;
  }
  assert.doesNotMatch(progressBar(p, 50), /eval/);
  assert.match(progressBar(p, 50), /ETA/);
});
