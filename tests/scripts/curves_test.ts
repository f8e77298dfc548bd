/** Learning-curve figures: colours, legend swatches, single points, ticks, seed counts, panels. */
import assert from "node:assert/strict";
import {
  CURVE_PALETTE,
  type CurveSeries,
  learningCurvePanelsSvg,
  learningCurveSvg,
} from "../../scripts/experiments/curves.ts";
import { seedText } from "../../scripts/experiments/report_figures.ts";

function series(label: string, steps: number[], base = 0): CurveSeries {
  return {
    label,
    rows: steps.map((step, i) => ({
      step,
      "eval/return_mean": base + i,
      "eval/return_std": 1,
    })),
  };
}

/** Colours of the SVG's stroked paths (lines and legend swatches). */
function strokes(svg: string): string[] {
  return [...svg.matchAll(/stroke="(#[0-9a-f]{6})"/gi)].map((m) => m[1].toLowerCase());
}

Deno.test("CURVE_PALETTE: twenty distinct colours", () => {
  assert.equal(new Set(CURVE_PALETTE.map((c) => c.toLowerCase())).size, 20);
});

Deno.test("learningCurveSvg: 14 series get 14 colours; legend swatches are line colours", async () => {
  const many = Array.from({ length: 14 }, (_, i) => series(`K=${i}`, [1000, 2000, 3000], i));
  const svg = await learningCurveSvg(many, "k ablation");
  const used = new Set(strokes(svg));
  for (const colour of CURVE_PALETTE.slice(0, 14)) {
    assert.ok(used.has(colour.toLowerCase()), `${colour} not drawn`);
  }
  // each colour is stroked by its line and by its legend swatch at full opacity
  for (const colour of CURVE_PALETTE.slice(0, 14)) {
    const count = strokes(svg).filter((c) => c === colour.toLowerCase()).length;
    assert.ok(count >= 2, `${colour}: ${count} strokes`);
  }
  assert.doesNotMatch(svg, /stroke-opacity="0\.15"/);
  // integer tick labels, no "3,000.000000"
  const labels = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  assert.ok(labels.includes("3,000"), labels.join("|"));
  assert.ok(!labels.some((l) => /\.0{3,}/.test(l)), labels.join("|"));
  // every label is written whole
  assert.ok(labels.includes("K=13"));
});

Deno.test("learningCurveSvg: a series with one evaluation is drawn as a point", async () => {
  const svg = await learningCurveSvg(
    [series("long", [100, 200, 300]), series("single", [200])],
    "t",
  );
  const second = CURVE_PALETTE[1].toLowerCase();
  const points = [...svg.matchAll(/<path[^>]*aria-roledescription="point"[^>]*>/g)].map((m) =>
    m[0]
  );
  assert.ok(
    points.some((p) => /series: single/.test(p) && p.toLowerCase().includes(`fill="${second}"`)),
    "the single evaluation is a point filled in its series' colour",
  );
});

Deno.test("learningCurvePanelsSvg: one panel per group with its own title", async () => {
  const svg = await learningCurvePanelsSvg([
    { title: "Pendulum-v1: evaluation return", series: [series("a", [1, 2])] },
    { title: "Hopper-v4: evaluation return", series: [series("b", [1, 2], 1000)] },
  ]);
  assert.match(svg, /Pendulum-v1: evaluation return/);
  assert.match(svg, /Hopper-v4: evaluation return/);
});

Deno.test("seedText: the real number of seeds", () => {
  const line = (n: number) => ({ label: "x", points: [{ step: 1, mean: 0, std: 0, n }] });
  assert.equal(seedText([line(3), line(3)]), "mean ± std over 3 seeds");
  assert.equal(seedText([line(2), line(4)]), "mean ± std over 2-4 seeds");
  assert.equal(seedText([line(1)]), "one seed");
});

Deno.test("deno task plot: runs of different envs get one panel each", async () => {
  const tmp = Deno.makeTempDirSync();
  for (const [name, env] of [["a", "Pendulum-v1"], ["b", "Hopper-v4"], ["c", "Hopper-v4"]]) {
    Deno.mkdirSync(`${tmp}/${name}`);
    Deno.writeTextFileSync(`${tmp}/${name}/config.json`, JSON.stringify({ env }));
    const rows = series(name, [100, 200]).rows.map((r) => JSON.stringify(r) + "\n").join("");
    Deno.writeTextFileSync(`${tmp}/${name}/metrics.jsonl`, rows);
  }
  const out = `${tmp}/plot.svg`;
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/plot.ts", `${tmp}/a`, `${tmp}/b`, `${tmp}/c`, "--out", out],
    stderr: "piped",
    stdout: "piped",
  }).output();
  assert.equal(result.code, 0, new TextDecoder().decode(result.stderr));
  const svg = Deno.readTextFileSync(out);
  assert.match(svg, /Pendulum-v1: evaluation return/);
  assert.match(svg, /Hopper-v4: evaluation return/);
});
