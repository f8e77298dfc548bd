import assert from "node:assert/strict";
import { inFlagWords } from "../../scripts/cli.ts";

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
