/**
 * `deno task report DIR [--out FILE.html]`: a self-contained HTML report of the runs in DIR
 * (an experiment's output folder, or any folder of run folders): learning curves per env
 * (mean and +-std over seeds), final-return tables (mean ± std, IQM with a 95% bootstrap
 * interval), steps per second per run and, for DoubleWell-v0, the sampled actions of each
 * trained policy; with `--videos`, a short video of each finished MuJoCo or DMC run. The
 * figures are inlined and also written as SVG files next to the HTML, the videos into a folder
 * beside it.
 */
import { ConfigError, meanStd, RUN_FILES } from "../core/mod.ts";
import { type FlagSpec, formatReturn, parseFlags, runMain, usage } from "./cli.ts";
import {
  MODE_RADIUS,
  modesOf,
  sampleRunActions,
  sharesNear,
} from "./experiments/policy_samples.ts";
import {
  actionScatterSvg,
  curvesPanelSvg,
  type ScatterRun,
  scopeSvgIds,
} from "./experiments/report_figures.ts";
import { aggregateCurves, bootstrapInterval, iqm } from "./experiments/report_stats.ts";
import { findRuns, missingRecord, type RunRecord } from "./experiments/summary.ts";
import { recordRunVideos, type RunVideo } from "./experiments/report_videos.ts";
import { requireBrowser, requireFfmpeg } from "./web/browser.ts";
import { MUJOCO_ENV_IDS } from "../plugins/mujoco/mod.ts";
import { DMC_ALIASES, DMC_ENV_IDS } from "../plugins/dmc/mod.ts";

/** The envs whose runs get a video with `--videos`: the MuJoCo and DMC tasks (and aliases). */
const VIDEO_ENVS = new Set([...MUJOCO_ENV_IDS, ...DMC_ENV_IDS, ...Object.values(DMC_ALIASES)]);

/** Options of {@link writeReport}. */
export interface ReportOptions {
  /** HTML file to write (default `DIR/report.html`); SVGs go next to it. */
  out?: string;
  /** Bootstrap resamples (default 2,000). */
  resamples?: number;
  /** Seed of the bootstrap (default 0); the action sampling uses bench's seed, 12345. */
  seed?: number;
  /** Actions sampled per DoubleWell policy (default 1,000). */
  samples?: number;
  /**
   * Record a short video of each finished MuJoCo/DMC run that has a saved policy (needs
   * Chromium and ffmpeg: a {@link ConfigError} with the install line without them).
   */
  videos?: boolean;
  /** Frames per video (default 250). */
  videoFrames?: number;
}

const esc = (text: unknown): string =>
  String(text).replace(
    /[&<>"]/g,
    (c) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot" }[c]};`,
  );

const seriesLabel = (r: RunRecord): string => r.K === null ? r.algo : `${r.algo} K=${r.K}`;

/** A markdown table (cells are plain text; pipes escaped). */
function markdownTable(header: string[], rows: string[][]): string {
  const cell = (c: string) => c.replace(/\|/g, "\\|");
  return [
    `| ${header.map(cell).join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

function table(header: string[], rows: string[][]): string {
  const head = header.map((h) => `<th>${esc(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("\n");
  return `<table>\n<tr>${head}</tr>\n${body}\n</table>`;
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(item);
  }
  return groups;
}

function expectedCells(dir: string): RunRecord[] {
  try {
    const grid = JSON.parse(Deno.readTextFileSync(`${dir}/grid.json`));
    return (grid.cells as Parameters<typeof missingRecord>[0][]).map(missingRecord);
  } catch {
    return [];
  }
}

/** The videos of one env's runs, side by side. */
function videoSection(videos: RunVideo[]): string {
  const items = videos.map((v) =>
    `<figure><video controls muted loop preload="metadata" src="${esc(v.href)}"></video>` +
    `<figcaption class="note"><a href="${esc(v.href)}">${esc(v.run)}</a>: ${v.frames} frames` +
    (v.episodeReturn === null ? "" : `, episode return ${formatReturn(v.episodeReturn)}`) +
    `</figcaption></figure>`
  );
  return `<h3>Videos</h3><div class="videos">${items.join("\n")}</div>`;
}

const CSS = `body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:right}td:first-child,th:first-child{text-align:left}figure{margin:1em 0}
.note{color:#555}.videos{display:flex;flex-wrap:wrap;gap:1em}video{width:320px}`;

/**
 * Builds the report of the runs in `dir` and writes it: HTML, one SVG per figure, and the
 * final-return tables as markdown next to the HTML (same name, `.md`), for pasting into docs.
 * Returns the HTML, SVG and markdown paths.
 */
export async function writeReport(
  dir: string,
  options: ReportOptions = {},
): Promise<{ html: string; svgs: string[]; markdown: string }> {
  dir = dir.replace(/\/+$/, "");
  if (!Deno.statSync(dir).isDirectory) throw new ConfigError(`DIR: '${dir}' is not a folder`);
  const out = options.out ?? `${dir}/report.html`;
  const outDir = out.includes("/") ? out.slice(0, out.lastIndexOf("/")) : ".";
  const base = out.split("/").pop()!.replace(/\.html?$/, "");
  const seed = options.seed ?? 0;
  Deno.mkdirSync(outDir, { recursive: true });
  const runs = findRuns(dir);
  const present = new Set(runs.map((r) => r.run));
  const missing = expectedCells(dir).filter((c) => !present.has(c.run));
  if (runs.length === 0 && missing.length === 0) {
    throw new ConfigError(`DIR: '${dir}' holds no run folders (folders with ${RUN_FILES.config})`);
  }
  let videos: RunVideo[] = [];
  let notRecorded: string[] = [];
  if (options.videos) {
    requireBrowser();
    requireFfmpeg();
    ({ videos, skipped: notRecorded } = await recordRunVideos(dir, runs, {
      outDir: `${outDir}/${base}-videos`,
      href: `${base}-videos`,
      frames: options.videoFrames,
      wants: (env) => VIDEO_ENVS.has(env),
    }));
  }
  let meta: { name?: string; description?: string } = {};
  try {
    meta = JSON.parse(Deno.readTextFileSync(`${dir}/grid.json`));
  } catch {
    // not an experiment folder: a plain folder of runs
  }
  const svgs: string[] = [];
  const figure = (name: string, svg: string, caption: string): string => {
    const path = `${outDir}/${base}-${name.replace(/[^A-Za-z0-9._-]/g, "_")}.svg`;
    Deno.writeTextFileSync(path, svg);
    svgs.push(path);
    return `<figure>${scopeSvgIds(svg, `f${svgs.length}`)}<figcaption class="note">${
      esc(caption)
    }</figcaption></figure>`;
  };
  const unfinished = runs.filter((r) => r.status !== "finished");
  const markdown: string[] = [
    `# ${meta.name ? `Experiment ${meta.name}` : `Runs in ${dir}`}`,
    ...(meta.description ? ["", meta.description] : []),
  ];
  const parts: string[] = [
    `<h1>${esc(meta.name ? `Experiment ${meta.name}` : `Runs in ${dir}`)}</h1>`,
    meta.description ? `<p>${esc(meta.description)}</p>` : "",
    `<p>${runs.length} run folder(s): ${
      runs.length - unfinished.length
    } finished, ${unfinished.length} unfinished; ${missing.length} expected run(s) missing.</p>`,
  ];

  for (const [env, envRuns] of groupBy(runs, (r) => r.env)) {
    parts.push(`<h2>${esc(env)}</h2>`);
    const series = [...groupBy(envRuns, seriesLabel).entries()].sort(([, a], [, b]) =>
      a[0].algo.localeCompare(b[0].algo) || (a[0].K ?? 0) - (b[0].K ?? 0)
    );
    const lines = series
      .map(([label, rs]) => ({
        label: `${label} (${rs.length} seed${rs.length > 1 ? "s" : ""})`,
        rs,
      }))
      .filter(({ rs }) => rs.some((r) => r.curve.length > 0))
      .map(({ label, rs }) => ({ label, points: aggregateCurves(rs.map((r) => r.curve)) }));
    if (lines.length > 0) {
      parts.push(figure(
        `curves-${env}`,
        await curvesPanelSvg(env, lines),
        "Deterministic evaluation return against env steps; line: mean over seeds, band: ± one " +
          "standard deviation over seeds (unfinished runs contribute the points they reached).",
      ));
    } else parts.push(`<p class="note">No evaluations yet.</p>`);
    const rows = series.map(([label, rs]) => {
      const done = rs.filter((r) => r.status === "finished" && r.finalEval !== null);
      const finals = done.map((r) => r.finalEval!);
      const { mean, std } = meanStd(finals);
      const [lo, hi] = bootstrapInterval(finals, iqm, { resamples: options.resamples, seed });
      const sps = meanStd(rs.map((r) => r.stepsPerS).filter((x): x is number => x !== null));
      // the area under the curve per step: each finished run's mean over all its evaluations
      const overRun = meanStd(done.map((r) => meanStd(r.curve.map((p) => p.mean)).mean));
      return [
        label,
        `${done.length} / ${rs.length}`,
        finals.length ? `${formatReturn(mean)} ± ${formatReturn(std)}` : "—",
        finals.length ? `${formatReturn(overRun.mean)} ± ${formatReturn(overRun.std)}` : "—",
        finals.length
          ? `${formatReturn(iqm(finals))} [${formatReturn(lo)}, ${formatReturn(hi)}]`
          : "—",
        done.map((r) => `s${r.seed}: ${formatReturn(r.finalEval!)}`).join(", "),
        Number.isFinite(sps.mean) ? sps.mean.toFixed(0) : "—",
      ];
    });
    const header = [
      "configuration",
      "finished seeds",
      "final return (mean ± std)",
      "mean over evaluations (mean ± std)",
      "IQM [95% CI]",
      "per seed",
      "steps/s (mean)",
    ];
    parts.push(table(header, rows.map((r) => r.map(esc))));
    markdown.push("", `## ${env}`, "", markdownTable(header, rows));
    const envVideos = videos.filter((v) => v.env === env);
    if (envVideos.length > 0) {
      parts.push(videoSection(envVideos));
      markdown.push("", ...envVideos.map((v) => `- video of ${v.run}: [${v.href}](${v.href})`));
    }
  }

  const wells = runs.filter((r) => r.env === "DoubleWell-v0");
  if (wells.length > 0) {
    parts.push("<h2>DoubleWell-v0: sampled actions</h2>");
    const scatter: ScatterRun[] = [];
    const shareRows: string[][] = [];
    let modes: [number, number][] = [];
    const skipped: string[] = [];
    for (const r of wells) {
      const runDir = `${dir}/${r.run}`;
      try {
        Deno.statSync(`${runDir}/${RUN_FILES.policy}`);
      } catch {
        skipped.push(`${r.run} (no ${RUN_FILES.policy} yet)`);
        continue;
      }
      const samples = await sampleRunActions(runDir, { count: options.samples ?? 1000 });
      modes = modesOf(samples);
      const [plus, minus] = sharesNear(samples, modes, MODE_RADIUS);
      const label = r.status === "finished" ? r.run : `${r.run} (${r.status})`;
      scatter.push({ label, actions: samples.actions, actDim: samples.actDim });
      shareRows.push([esc(label), plus.toFixed(3), minus.toFixed(3)]);
    }
    if (scatter.length > 0) {
      parts.push(figure(
        "actions-DoubleWell-v0",
        await actionScatterSvg(
          "DoubleWell-v0: actions sampled from each policy",
          scatter,
          modes,
          Math.min(4, Math.max(...[...groupBy(wells, seriesLabel).values()].map((g) => g.length))),
        ),
        `${options.samples ?? 1000} stochastic actions per trained policy at its constant ` +
          "observation; red crosses: the two optimal modes.",
      ));
      parts.push(table(
        ["run", `share within ${MODE_RADIUS} of mode +`, `share within ${MODE_RADIUS} of mode -`],
        shareRows,
      ));
    }
    if (skipped.length) parts.push(`<p class="note">Not sampled: ${esc(skipped.join(", "))}</p>`);
  }

  if (notRecorded.length > 0) {
    parts.push(`<p class="note">No video: ${esc(notRecorded.join(", "))}</p>`);
  }
  parts.push("<h2>Speed</h2>");
  parts.push(table(
    ["run", "status", "env steps", "wall-clock (s)", "steps/s"],
    runs.map((r) => [
      esc(r.run),
      esc(r.status),
      String(r.envSteps) + (r.budget !== null && r.envSteps < r.budget ? ` / ${r.budget}` : ""),
      r.wallClockS === null ? "—" : r.wallClockS.toFixed(0),
      r.stepsPerS === null ? "—" : r.stepsPerS.toFixed(1),
    ]),
  ));
  if (unfinished.length > 0 || missing.length > 0) {
    parts.push("<h2>Missing and unfinished runs</h2><ul>");
    for (const r of unfinished) {
      parts.push(`<li>${esc(r.run)}: ${esc(r.status)} at ${r.envSteps} env steps</li>`);
    }
    for (const r of missing) parts.push(`<li>${esc(r.run)}: missing (no run folder)</li>`);
    parts.push("</ul>");
  }
  parts.push(
    `<p class="note">Final return: a run's last deterministic evaluation (finished runs only); ` +
      `mean over evaluations: a run's mean over all its evaluations (the area under its curve ` +
      `per step), then mean ± std over seeds. ` +
      `IQM: mean of the middle half of the seeds' final returns (floor(n/4) dropped at each ` +
      `end); 95% CI: percentile bootstrap over seeds, ${options.resamples ?? 2000} resamples, ` +
      `seed ${seed}. Steps/s: env steps over training wall-clock.</p>`,
  );
  const html = `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${
    esc(meta.name ?? dir)
  } report</title><style>${CSS}</style></head><body>\n${parts.join("\n")}\n</body></html>\n`;
  Deno.writeTextFileSync(out, html);
  if (missing.length > 0 || unfinished.length > 0) {
    markdown.push(
      "",
      `Not in the tables: ${unfinished.length} unfinished run(s), ${missing.length} expected ` +
        "run(s) without a folder.",
    );
  }
  markdown.push(
    "",
    "Final return: a run's last deterministic evaluation. Mean over evaluations: a run's mean " +
      "over all its evaluations (the area under its curve per step, less noisy than one " +
      "evaluation), then mean ± std over seeds. IQM: mean of the middle half of the " +
      `seeds' final returns; 95% CI: percentile bootstrap over seeds (${
        options.resamples ?? 2000
      } resamples, seed ${seed}).`,
    "",
  );
  const markdownPath = `${outDir}/${base}.md`;
  Deno.writeTextFileSync(markdownPath, markdown.join("\n"));
  return { html: out, svgs, markdown: markdownPath };
}

const FLAGS: Record<string, FlagSpec> = {
  "--out": { key: "out", kind: "string", help: "HTML file (default DIR/report.html)" },
  "--resamples": { key: "resamples", kind: "int", help: "bootstrap resamples (default 2000)" },
  "--seed": { key: "seed", kind: "int", help: "seed of the bootstrap (default 0)" },
  "--samples": { key: "samples", kind: "int", help: "actions per DoubleWell policy (1000)" },
  "--videos": {
    key: "videos",
    kind: "boolean",
    help: "a short video of each finished MuJoCo/DMC run (needs chromium and ffmpeg)",
  },
  "--video-frames": { key: "videoFrames", kind: "int", help: "frames per video (default 250)" },
  "--help": { key: "help", kind: "boolean", help: "show this help" },
};

if (import.meta.main) {
  await runMain(async () => {
    const args = parseFlags(Deno.args, FLAGS);
    if (args.values.help || args.positional.length !== 1) {
      console.log(usage("deno task report DIR [flags]", FLAGS));
      return args.values.help ? 0 : 2;
    }
    const counts = {
      resamples: "--resamples",
      samples: "--samples",
      videoFrames: "--video-frames",
    };
    for (const [key, flag] of Object.entries(counts)) {
      const v = args.values[key] as number | undefined;
      if (v !== undefined && v < 1) throw new ConfigError(`${flag}: expected an integer >= 1`);
    }
    const dir = args.positional[0];
    try {
      Deno.statSync(dir);
    } catch {
      throw new ConfigError(`DIR: '${dir}' does not exist`);
    }
    const { html, svgs, markdown } = await writeReport(dir, args.values as ReportOptions);
    console.error(`figures: ${svgs.join(", ") || "none"}; tables as markdown: ${markdown}`);
    console.log(html);
    return 0;
  });
}
