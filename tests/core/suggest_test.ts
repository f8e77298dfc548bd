import assert from "node:assert/strict";
import { closestName, didYouMean, editDistance } from "../../core/suggest.ts";

Deno.test("editDistance: Levenshtein, case-insensitive", () => {
  assert.equal(editDistance("gamma", "gamma"), 0);
  assert.equal(editDistance("gama", "gamma"), 1);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("Hopper-V4", "hopper-v4"), 0);
  assert.equal(editDistance("", "abc"), 3);
});

Deno.test("closestName / didYouMean: typos get a suggestion, unrelated names none", () => {
  const algos = ["sac", "ppo", "diffsac", "td3"];
  assert.equal(closestName("sacc", algos), "sac");
  assert.equal(closestName("diffsak", algos), "diffsac");
  assert.equal(closestName("hopper", algos), null);
  assert.equal(
    didYouMean("learningStart", ["learningStarts", "gamma"]),
    " (did you mean 'learningStarts'?)",
  );
  assert.equal(didYouMean("zzz", ["learningStarts", "gamma"]), "");
  assert.equal(
    didYouMean("Hopper-V4", ["Hopper-v4", "Walker2d-v4"]),
    " (did you mean 'Hopper-v4'?)",
  );
});
