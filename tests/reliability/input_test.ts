/**
 * Bad input and late failures: one line, the right exit code, nothing created or harmed.
 * Plugin paths are taken literally; output locations and run names are checked before
 * anything is written; resource failures found while building a run leave no folder.
 */
import assert from "node:assert/strict";
import { loadPluginModule } from "../../core/mod.ts";
import { deno, EVAL, listDir, oneErrorLine, TINY_SAC, tinyConfig, TRAIN } from "./helpers.ts";

/** A plugin module adding one env (a Pendulum copy) under `envId`. */
function pluginSource(name: string, envId: string): string {
  const pendulum = new URL("../../envs/pendulum.ts", import.meta.url).href;
  const core = new URL("../../core/mod.ts", import.meta.url).href;
  return `import { definePlugin } from "${core}";
import { createPendulum } from "${pendulum}";
export default definePlugin({ name: "${name}", envs: { "${envId}": { description: "x", create: createPendulum } } });
`;
}

Deno.test("plugin paths are taken literally: '%41' and '#' name the file, nothing else", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "dmerl_paths_" });
  try {
    Deno.writeTextFileSync(`${dir}/p%41.ts`, pluginSource("literal-percent", "A-v0"));
    Deno.writeTextFileSync(`${dir}/pA.ts`, pluginSource("decoded-percent", "B-v0"));
    Deno.writeTextFileSync(`${dir}/q#1.ts`, pluginSource("with-hash", "C-v0"));
    Deno.writeTextFileSync(`${dir}/r?x.ts`, pluginSource("with-question", "D-v0"));
    assert.equal((await loadPluginModule(`${dir}/p%41.ts`)).name, "literal-percent");
    assert.equal((await loadPluginModule(`${dir}/q#1.ts`)).name, "with-hash");
    assert.equal((await loadPluginModule(`${dir}/r?x.ts`)).name, "with-question");
    await assert.rejects(() => loadPluginModule(`${dir}/p%42.ts`), /does not exist/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("train: bad output locations and names give one line, exit 2, and create nothing", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "dmerl_out_" });
  try {
    Deno.writeTextFileSync(`${dir}/afile`, "x");
    const base = [...TINY_SAC, "--steps", "100"];
    const cases: [string[], RegExp][] = [
      [["--out", `${dir}/afile`], /out: '.*afile' is a file, not a folder/],
      [["--out", `${dir}/afile/sub`], /out: '.*afile' is a file/],
      [["--out", dir, "--name", "a/b"], /name: 'a\/b' is not a folder name \(one path segment/],
      [["--out", dir, "--name", "../x"], /name: '\.\.\/x' is not a folder name/],
      [["--out", dir, "--name", ".."], /name: '\.\.' is not a folder name/],
    ];
    for (const [args, pattern] of cases) {
      oneErrorLine(await deno(TRAIN, [...base, ...args]), 2, pattern, args.join(" "));
    }
    assert.deepEqual(listDir(dir), ["afile"]);
    assert.deepEqual(listDir(`${dir}/..`).filter((n) => n === "x"), []);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("train: out-of-range and odd values are refused with the field and the range", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "dmerl_values_" });
  try {
    const write = (name: string, text: string) => {
      Deno.writeTextFileSync(`${dir}/${name}`, text);
      return `${dir}/${name}`;
    };
    const base = [...TINY_SAC, "--out", dir];
    const cases: [string[], RegExp][] = [
      [
        ["--seed", String(2 ** 53)],
        /seed: expected an integer >= 0 <= 4294967295, got 9007199254740992/,
      ],
      [
        ["--steps", "1e99"],
        /--steps: expected an integer, got '1e99'|steps: expected an integer >= 1 <= 1000000000000/,
      ],
      [["--steps", "5", "--num-envs", "8"], /numEnvs: 8 env copies take more than the 5 steps/],
      [["--config", write("proto.json", '{"toString": 1}')], /unknown key 'toString'/],
      [
        ["--config", write("ctor.json", '{"algoParams": {"constructor": 1}}')],
        /algoParams: unknown key 'constructor'/,
      ],
      [
        ["--config", write("huge.json", '{"algoParams": {"gamma": 1e400}}')],
        /algoParams\.gamma: expected a number >= 0 <= 1, got Infinity/,
      ],
      [["--env", "Pendulum-v2"], /env: unknown env 'Pendulum-v2' \(did you mean 'Pendulum-v1'\?\)/],
      [["--algo", "sax"], /algo: unknown algorithm 'sax' \(did you mean 'sac'\?\)/],
    ];
    for (const [args, pattern] of cases) {
      oneErrorLine(await deno(TRAIN, [...base, ...args]), 2, pattern, args.join(" "));
    }
    assert.deepEqual(listDir(dir).filter((n) => !n.endsWith(".json")), []);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("train: failures found while building a run leave no folder and name the part", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "dmerl_late_" });
  try {
    const core = new URL("../../core/mod.ts", import.meta.url).href;
    const pendulum = new URL("../../envs/pendulum.ts", import.meta.url).href;
    const plugin = `${dir}/broken.ts`;
    Deno.writeTextFileSync(
      plugin,
      `import { defineAlgorithm, definePlugin } from "${core}";
import { createPendulum } from "${pendulum}";
let built = 0;
export default definePlugin({
  name: "broken",
  envs: {
    "Broken-v0": { description: "throws when built", create: () => { throw new Error("no such device"); } },
    "Scarce-v0": {
      description: "only three can exist",
      create: (p) => { if (++built > 3) throw new RangeError("Array buffer allocation failed"); return createPendulum(p); },
    },
  },
  algorithms: {
    boom: defineAlgorithm({
      description: "create throws", schema: {}, defaultPolicy: "gaussian", policyKinds: ["gaussian"],
      defaultNumEnvs: 1, create: () => { throw new Error("cannot start"); },
    }),
  },
});
`,
    );
    const out = `${dir}/runs`;
    const base = [...TINY_SAC, "--steps", "100", "--out", out, "--plugin", plugin];
    const cases: [string[], RegExp][] = [
      [
        ["--env", "Broken-v0"],
        /env 'Broken-v0': could not be built with envParams \{\}: no such device/,
      ],
      [["--algo", "boom"], /algo 'boom': could not be built: cannot start/],
      [
        ["--config", tinyConfig(dir, { bufferSize: 4_000_000_000 }), "--steps", "4000000000"],
        /algo 'sac': could not be built: .*\(out of memory: lower algoParams\.bufferSize/,
      ],
      [
        ["--env", "Scarce-v0", "--eval-episodes", "10"],
        /env 'Scarce-v0' \(10 evaluation copies\): could not be built: .*out of memory/,
      ],
    ];
    for (const [args, pattern] of cases) {
      oneErrorLine(await deno(TRAIN, [...base, ...args]), 2, pattern, args.join(" "));
    }
    assert.deepEqual(listDir(out), [], "no run folder was created");
    // a plugin that fails to import: one line
    Deno.writeTextFileSync(`${dir}/bad.ts`, "export default {;\n");
    oneErrorLine(
      await deno(TRAIN, [...base, "--plugin", `${dir}/bad.ts`]),
      2,
      /--plugin: could not import '.*bad\.ts': /,
      "bad plugin",
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("eval --onnx: a corrupted model file is refused, not scored", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "dmerl_onnx_" });
  try {
    const run = await deno(TRAIN, [
      ...TINY_SAC,
      "--config",
      tinyConfig(dir),
      "--steps",
      "100",
      "--out",
      dir,
      "--name",
      "r",
    ]);
    assert.equal(run.code, 0, run.stderr);
    const bytes = Deno.readFileSync(`${dir}/r/policy.onnx`);
    Deno.writeFileSync(`${dir}/r/policy.onnx`, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const evaluated = await deno(EVAL, [`${dir}/r`, "--onnx", "--episodes", "1"]);
    assert.notEqual(evaluated.code, 0, evaluated.stdout);
    assert.match(evaluated.stderr, /policy\.onnx/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("loadPluginModule: a folder is a ConfigError naming it", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    await assert.rejects(() => loadPluginModule(dir), /plugins: '.*' is not a file/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
