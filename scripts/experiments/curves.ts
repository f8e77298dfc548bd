/**
 * Learning-curve figures: vega-lite specs rendered to SVG by vega (no canvas needed). Used by
 * `deno task plot`, training (every run folder's `learning_curve.svg`), benchmarks and reports.
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import { type MetricsRow, RunStore } from "../../core/mod.ts";

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
