/**
 * `deno task plot RUN_DIR... [--out FILE]` plots runs together, one panel per env (the figures are
 * scripts/experiments/curves.ts's); training writes `learning_curve.svg` into every run folder
 * at the end.
 */
import { ConfigError, RunStore } from "../core/mod.ts";
import { type FlagSpec, parseFlags, runMain, usage } from "./cli.ts";
import {
  type CurveSeries,
  learningCurvePanelsSvg,
  learningCurveSvg,
  writeRunCurve,
} from "./experiments/curves.ts";

const FLAGS: Record<string, FlagSpec> = {
  "--out": { key: "out", kind: "string", help: "SVG file to write (default: in the run)" },
  "--title": { key: "title", kind: "string", help: "plot title" },
  "--help": { key: "help", kind: "boolean", help: "show this help" },
};

if (import.meta.main) {
  await runMain(async () => {
    const args = parseFlags(Deno.args, FLAGS);
    if (args.values.help) {
      console.log(usage("deno task plot RUN_DIR... [flags]", FLAGS));
      return 0;
    }
    if (args.positional.length === 0) throw new ConfigError("RUN_DIR: give at least one run");
    if (args.positional.length === 1 && !args.values.out) {
      console.log(await writeRunCurve(args.positional[0]));
      return 0;
    }
    // runs of different envs have different return scales: one panel per env
    const byEnv = new Map<string, CurveSeries[]>();
    for (const dir of args.positional) {
      const store = RunStore.open(dir, "runDir");
      const env = String(store.readConfig().env);
      const series = {
        label: dir.replace(/\/+$/, "").split("/").pop()!,
        rows: store.readMetrics(),
      };
      byEnv.set(env, [...(byEnv.get(env) ?? []), series]);
    }
    const out = (args.values.out as string | undefined) ?? "learning_curve.svg";
    const title = (args.values.title as string | undefined) ?? "evaluation return";
    const svg = byEnv.size === 1
      ? await learningCurveSvg([...byEnv.values()][0], `${[...byEnv.keys()][0]}: ${title}`)
      : await learningCurvePanelsSvg(
        [...byEnv].map(([env, series]) => ({ title: `${env}: ${title}`, series })),
      );
    Deno.writeTextFileSync(out, svg);
    console.log(out);
    return 0;
  });
}
