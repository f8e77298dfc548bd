/**
 * Learning-curve plots: vega-lite specs rendered to SVG by vega (no canvas needed).
 *
 * `deno task plot RUN_DIR... [--out FILE]` plots runs together; training writes
 * `learning_curve.svg` into every run folder at the end.
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import { ConfigError, type MetricsRow, RunStore } from "../core/mod.ts";
import { type FlagSpec, parseFlags, runMain, usage } from "./cli.ts";

/** One run's rows and its legend label. */
export interface CurveSeries {
  label: string;
  rows: MetricsRow[];
}

/**
 * An SVG of return against env steps. With one run: its evaluation return (mean with a +-std
 * band) and its recent training return. With several: one evaluation line per run.
 */
export async function learningCurveSvg(series: CurveSeries[], title: string): Promise<string> {
  const points: Record<string, number | string>[] = [];
  for (const { label, rows } of series) {
    for (const row of rows) {
      if ("eval/return_mean" in row) {
        points.push({
          step: row.step,
          return: row["eval/return_mean"],
          low: row["eval/return_mean"] - row["eval/return_std"],
          high: row["eval/return_mean"] + row["eval/return_std"],
          series: series.length === 1 ? "evaluation (mean ± std)" : label,
        });
      }
      if (series.length === 1 && Number.isFinite(row["train/return_mean"])) {
        points.push({ step: row.step, return: row["train/return_mean"], series: "training" });
      }
    }
  }
  const x = { field: "step", type: "quantitative", title: "env steps" };
  // legend in the order the series were given (not alphabetical: K=16 would precede K=2)
  const color = {
    field: "series",
    type: "nominal",
    title: null,
    sort: [...new Set(points.map((p) => p.series))],
    legend: { labelLimit: 320 },
  };
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title,
    width: 560,
    height: 320,
    background: "white",
    data: { values: points },
    layer: [
      {
        transform: [{ filter: "isValid(datum.low)" }],
        mark: { type: "area", opacity: 0.15 },
        encoding: { x, y: { field: "low", type: "quantitative" }, y2: { field: "high" }, color },
      },
      {
        mark: { type: "line", point: series.length === 1 },
        encoding: { x, y: { field: "return", type: "quantitative", title: "return" }, color },
      },
    ],
  };
  return await vegaLiteSvg(spec);
}

/** Renders a vega-lite spec to an SVG string (vega's headless renderer; no canvas needed). */
export async function vegaLiteSvg(spec: Record<string, unknown>): Promise<string> {
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes `learning_curve.svg` into a run folder from its metrics. */
export async function writeRunCurve(runDir: string): Promise<string> {
  const store = RunStore.open(runDir, "runDir");
  const config = store.readConfig();
  const svg = await learningCurveSvg(
    [{ label: String(config.name ?? runDir), rows: store.readMetrics() }],
    `${config.algo} on ${config.env} (seed ${config.seed})`,
  );
  const path = store.path("learning_curve.svg");
  Deno.writeTextFileSync(path, svg);
  return path;
}

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
    const series = args.positional.map((dir) => ({
      label: dir.replace(/\/+$/, "").split("/").pop()!,
      rows: RunStore.open(dir, "runDir").readMetrics(),
    }));
    const out = (args.values.out as string | undefined) ?? "learning_curve.svg";
    const title = (args.values.title as string | undefined) ?? "evaluation return";
    Deno.writeTextFileSync(out, await learningCurveSvg(series, title));
    console.log(out);
    return 0;
  });
}
