/** The example plugin: its env passes checkEnv, and its envParams schema is enforced. */
import assert from "node:assert/strict";
import { checkEnv, type Registry, resolveConfig } from "../../mod.ts";
import { builtinRegistry } from "../../mod.ts";
import plugin from "../../examples/point_mass_plugin.ts";
import { throwsConfig } from "../helpers.ts";

function registry(): Registry {
  const r = builtinRegistry();
  r.register(plugin, "examples/point_mass_plugin.ts");
  return r;
}

Deno.test("PointMass-v0 passes checkEnv", () => {
  const env = plugin.envs!["PointMass-v0"].create({ maxSteps: 20, actionCost: 0.1 });
  const result = checkEnv(env, { steps: 60 });
  assert.deepEqual(result.problems, []);
});

Deno.test("PointMass-v0's envParams: defaults filled, typos refused with a suggestion", () => {
  const r = registry();
  const base = { algo: "random-search", env: "PointMass-v0" };
  const { config } = resolveConfig(base, r);
  assert.deepEqual(config.envParams, { maxSteps: 100, actionCost: 0.1 });
  const short = resolveConfig({ ...base, envParams: { maxSteps: 10 } }, r).config;
  const env = r.env("PointMass-v0").create(short.envParams);
  assert.equal(env.maxEpisodeSteps, 10);
  throwsConfig(
    () => resolveConfig({ ...base, envParams: { maxStep: 10 } }, r),
    "envParams: unknown key 'maxStep' (did you mean 'maxSteps'?)",
  );
  throwsConfig(
    () => resolveConfig({ ...base, envParams: { maxSteps: 0 } }, r),
    "envParams.maxSteps: expected an integer >= 1",
  );
});

Deno.test("plugin paths in a --config file are relative to the file", async () => {
  const tmp = Deno.makeTempDirSync();
  Deno.mkdirSync(`${tmp}/conf`);
  // conf/p.ts exists only beside the config file, not in the folder the command runs from
  Deno.writeTextFileSync(
    `${tmp}/conf/p.ts`,
    `export { default } from "${new URL(
      "../../examples/point_mass_plugin.ts",
      import.meta.url,
    )}";\n`,
  );
  Deno.writeTextFileSync(
    `${tmp}/conf/run.json`,
    JSON.stringify({
      plugins: ["p.ts"],
      algo: "random-search",
      env: "PointMass-v0",
      steps: 200,
      quiet: true,
      out: `${tmp}/runs`,
      name: "r",
    }),
  );
  // run from another folder: the path only resolves from the config file's folder
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${Deno.cwd()}/scripts/train.ts`, "--config", "conf/run.json"],
    cwd: tmp,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const config = JSON.parse(Deno.readTextFileSync(`${tmp}/runs/r/config.json`));
  assert.equal(config.plugins[0], `${tmp}/conf/p.ts`);
});
