/**
 * What the trainer keeps between metrics rows: the training episodes that ended (the last
 * few returns and lengths) and running sums of the algorithm's metrics, turned into one
 * {@link MetricsRow} per logging step.
 */
import { meanStd } from "./evaluate.ts";
import type { EpisodeStat } from "./env.ts";
import type { Metrics } from "./plugin.ts";
import type { MetricsRow } from "./run_store.ts";

/** Training episodes averaged in `train/return_mean` and the progress line. */
export const RECENT_EPISODES = 10;

/** The log's checkpoint state (plain data). */
export interface TrainingLogState {
  episodes: number;
  recentReturns: number[];
  recentLengths: number[];
  sums: Record<string, number>;
  counts: Record<string, number>;
}

/** One evaluation as a metrics row reports it. */
export interface EvalSummary {
  mean: number;
  std: number;
  meanLength: number;
}

/** Episode statistics and metric sums since the last row. */
export class TrainingLog {
  private readonly s: TrainingLogState;

  /** A log continuing from `state` (a fresh one when omitted). */
  constructor(state?: TrainingLogState) {
    this.s = state ? structuredClone(state) : {
      episodes: 0,
      recentReturns: [],
      recentLengths: [],
      sums: {},
      counts: {},
    };
  }

  /** Training episodes that ended so far. */
  get episodes(): number {
    return this.s.episodes;
  }

  /** Mean return of the last {@link RECENT_EPISODES} training episodes (NaN before one ends). */
  get recentReturn(): number {
    return meanStd(this.s.recentReturns).mean;
  }

  /** Adds the episodes that ended during an iteration. */
  addEpisodes(episodes: EpisodeStat[]): void {
    const s = this.s;
    for (const ep of episodes) {
      s.episodes++;
      s.recentReturns.push(ep.return);
      s.recentLengths.push(ep.length);
      if (s.recentReturns.length > RECENT_EPISODES) {
        s.recentReturns.shift();
        s.recentLengths.shift();
      }
    }
  }

  /** Adds an iteration's metrics to the sums (non-finite values are left out). */
  addMetrics(metrics: Metrics): void {
    for (const [key, value] of Object.entries(metrics)) {
      if (!Number.isFinite(value)) continue;
      this.s.sums[key] = (this.s.sums[key] ?? 0) + value;
      this.s.counts[key] = (this.s.counts[key] ?? 0) + 1;
    }
  }

  /** The row at `step`: recent episodes, the evaluation if any, metric means; resets the sums. */
  row(step: number, evaluation: EvalSummary | null, elapsedSeconds: number): MetricsRow {
    const s = this.s;
    const row: MetricsRow = {
      step,
      episodes: s.episodes,
      "train/return_mean": meanStd(s.recentReturns).mean,
      "train/length_mean": meanStd(s.recentLengths).mean,
    };
    if (evaluation) {
      row["eval/return_mean"] = evaluation.mean;
      row["eval/return_std"] = evaluation.std;
      row["eval/length_mean"] = evaluation.meanLength;
    }
    for (const key of Object.keys(s.sums).sort()) row[key] = s.sums[key] / s.counts[key];
    s.sums = {};
    s.counts = {};
    row.time_s = Number(elapsedSeconds.toFixed(3));
    return row;
  }

  /** A copy of the state, for a checkpoint. */
  state(): TrainingLogState {
    return structuredClone(this.s);
  }
}
