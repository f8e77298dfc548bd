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
 * Twenty colours that stay apart from each other (Tableau 10, then ten darker or other hues):
 * a figure with up to 20 series repeats none; beyond that, dash patterns tell repeats apart.
 */
export const CURVE_PALETTE: readonly string[] = [
  "#4c78a8",
  "#f58518",
  "#54a24b",
  "#e45756",
  "#72b7b2",
  "#b279a2",
  "#eeca3b",
  "#ff9da6",
  "#9d755d",
  "#bab0ac",
  "#1f3b73",
  "#8c3d0c",
  "#1d5e2a",
  "#8e1b2c",
  "#2b7a78",
  "#5b2a86",
  "#7a6a00",
  "#c2185b",
  "#4e342e",
  "#000000",
];

/** Dash patterns for series past the palette's length (solid first). */
const DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3]];

/** Figure width in pixels (reports are laid out for 1280-pixel pages). */
export const CURVE_WIDTH = 880;

/**
 * A vega-lite layer spec (no top-level settings) of return against env steps. With one run:
 * its evaluation return (mean with a +-std band) and its recent training return. With several:
 * one evaluation line per run. Every series gets its own colour (dashes past 20 series), the
 * legend shows line colours, a series with a single evaluation is drawn as a point, and the
 * step axis has integer labels.
 */
export function learningCurveSpec(series: CurveSeries[], title: string): Record<string, unknown> {
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
  const names = [...new Set(points.map((p) => p.series as string))];
  const x = {
    field: "step",
    type: "quantitative",
    title: "env steps",
    axis: { format: ",d", tickMinStep: 1 },
  };
  // legend in the order the series were given (not alphabetical: K=16 would precede K=2)
  const scale = {
    domain: names,
    range: names.map((_, i) => CURVE_PALETTE[i % CURVE_PALETTE.length]),
  };
  const legend = {
    labelLimit: 0,
    symbolType: "stroke",
    symbolOpacity: 1,
    symbolStrokeWidth: 3,
    symbolSize: 300,
  };
  const color = { field: "series", type: "nominal", title: null, sort: names, scale, legend };
  const dashed = names.length > CURVE_PALETTE.length;
  const strokeDash = {
    field: "series",
    type: "nominal",
    sort: names,
    legend: null,
    scale: {
      domain: names,
      range: names.map((_, i) => DASHES[Math.floor(i / CURVE_PALETTE.length) % DASHES.length]),
    },
  };
  const y = { field: "return", type: "quantitative", title: "return" };
  return {
    title,
    width: CURVE_WIDTH,
    height: 360,
    data: { values: points },
    layer: [
      {
        transform: [{ filter: "isValid(datum.low)" }],
        mark: { type: "area", opacity: 0.15 },
        encoding: {
          x,
          y: { field: "low", type: "quantitative" },
          y2: { field: "high" },
          color,
        },
      },
      {
        mark: { type: "line", point: series.length === 1 },
        encoding: { x, y, color, ...(dashed ? { strokeDash } : {}) },
      },
      {
        // a series with one evaluation has no line to draw: show it as a point
        transform: [
          { joinaggregate: [{ op: "count", as: "pointsInSeries" }], groupby: ["series"] },
          { filter: "datum.pointsInSeries === 1" },
        ],
        mark: { type: "point", filled: true, size: 70, opacity: 1 },
        encoding: { x, y, color },
      },
    ],
  };
}

/** {@link learningCurveSpec} as an SVG. */
export async function learningCurveSvg(series: CurveSeries[], title: string): Promise<string> {
  return await vegaLiteSvg({
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    background: "white",
    ...learningCurveSpec(series, title),
  });
}

/**
 * One figure with a panel per group (e.g. one per env), each its own axes and colours,
 * stacked vertically.
 */
export async function learningCurvePanelsSvg(
  groups: { title: string; series: CurveSeries[] }[],
): Promise<string> {
  return await vegaLiteSvg({
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    background: "white",
    vconcat: groups.map((g) => learningCurveSpec(g.series, g.title)),
    resolve: { scale: { color: "independent", strokeDash: "independent", x: "independent" } },
  });
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
