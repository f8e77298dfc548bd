/**
 * Figures of the experiment report: learning curves (mean and a +-std band over seeds, drawn
 * by plot.ts's {@link learningCurveSvg}) and the DoubleWell action scatter.
 */
import type { MetricsRow } from "../../core/mod.ts";
import { learningCurveSvg, vegaLiteSvg } from "./curves.ts";
import type { AggregatePoint } from "./report_stats.ts";

/** One line of a curves panel: a configuration's curve aggregated over its seeds. */
export interface CurveLine {
  label: string;
  points: AggregatePoint[];
}

/** One env's panel: evaluation return against env steps, mean and +-std band per line. */
export function curvesPanelSvg(env: string, lines: CurveLine[]): Promise<string> {
  const series = lines.map(({ label, points }) => ({
    label,
    rows: points.map((p): MetricsRow => ({
      step: p.step,
      "eval/return_mean": p.mean,
      "eval/return_std": p.std,
    })),
  }));
  const only = lines.length === 1 ? `: ${lines[0].label}` : "";
  return learningCurveSvg(series, `${env}${only}: evaluation return, ${seedText(lines)}`);
}

/** What the band means, with the real number of seeds ("mean ± std over 3 seeds"). */
export function seedText(lines: CurveLine[]): string {
  const counts = lines.map((l) => Math.max(0, ...l.points.map((p) => p.n)));
  const lo = Math.min(...counts);
  const hi = Math.max(...counts);
  if (hi <= 1) return "one seed";
  return `mean ± std over ${lo === hi ? hi : `${lo}-${hi}`} seeds`;
}

/** Sampled 2-d actions of one run, for {@link actionScatterSvg}. */
export interface ScatterRun {
  label: string;
  /** `count * actDim` actions; the first two coordinates are plotted. */
  actions: Float32Array;
  actDim: number;
}

/**
 * A grid of scatter plots, one per run: the sampled actions as points over `[-1, 1]^2`, the
 * optimal `modes` marked with red crosses; `columns` plots per row.
 */
export function actionScatterSvg(
  title: string,
  runs: ScatterRun[],
  modes: [number, number][],
  columns = 3,
): Promise<string> {
  const values: Record<string, number | string>[] = [];
  for (const { label, actions, actDim } of runs) {
    for (let i = 0; i + 1 < actions.length; i += actDim) {
      values.push({ run: label, x: actions[i], y: actions[i + 1], kind: "sample" });
    }
    for (const [x, y] of modes) values.push({ run: label, x, y, kind: "mode" });
  }
  const axis = (field: string, name: string) => ({
    field,
    type: "quantitative",
    title: name,
    scale: { domain: [-1, 1], clamp: true, nice: false },
  });
  const encoding = { x: axis("x", "action[0]"), y: axis("y", "action[1]") };
  return vegaLiteSvg({
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title,
    background: "white",
    data: { values },
    columns,
    facet: { field: "run", type: "nominal", title: null, sort: runs.map((r) => r.label) },
    spec: {
      width: 200,
      height: 200,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'sample'" }],
          mark: { type: "circle", size: 10, opacity: 0.35, color: "#4c78a8" },
          encoding,
        },
        {
          transform: [{ filter: "datum.kind === 'mode'" }],
          mark: { type: "point", shape: "cross", size: 220, filled: true, color: "#e45756" },
          encoding,
        },
      ],
    },
  });
}

/**
 * Makes the ids inside an SVG unique to it (prefix `key-`), so several SVGs inlined in one
 * HTML page do not resolve each other's clip paths and gradients.
 */
export function scopeSvgIds(svg: string, key: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, `id="${key}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${key}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${key}-$1"`);
}
