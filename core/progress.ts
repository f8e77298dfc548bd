/**
 * Progress of a run as the command line shows it: steps, a rate over the recent past (so the
 * ETA follows the current phase, e.g. after SAC's random-action warm-up) and the returns.
 */

/** Progress reported to the caller of `train`. */
export interface Progress {
  envSteps: number;
  totalSteps: number;
  stepsPerSecond: number;
  /** Mean return of the most recent training episodes (NaN before the first one ends). */
  recentReturn: number;
  lastEvalReturn: number;
  etaSeconds: number;
}

/** Seconds of history the step rate is measured over. */
const RATE_WINDOW_MS = 20_000;

/** Turns (time, steps) samples into {@link Progress} at most every `intervalMs`. */
export class ProgressMeter {
  private readonly window: [number, number][];
  private last = 0;

  /** A meter starting at `steps` env steps, now. */
  constructor(
    steps: number,
    private readonly totalSteps: number,
    private readonly intervalMs = 250,
  ) {
    this.window = [[performance.now(), steps]];
  }

  /**
   * Progress at `steps` when the interval has passed (or `force`), else null. `returns` are
   * the recent training and the last evaluation return.
   */
  sample(
    steps: number,
    returns: { recent: number; lastEval: number },
    force: boolean,
  ): Progress | null {
    const now = performance.now();
    if (!force && now - this.last <= this.intervalMs) return null;
    this.last = now;
    this.window.push([now, steps]);
    while (this.window.length > 2 && now - this.window[0][0] > RATE_WINDOW_MS) this.window.shift();
    const [t0, s0] = this.window[0];
    const sps = now > t0 ? (steps - s0) / ((now - t0) / 1000) : 0;
    return {
      envSteps: steps,
      totalSteps: this.totalSteps,
      stepsPerSecond: sps,
      recentReturn: returns.recent,
      lastEvalReturn: returns.lastEval,
      etaSeconds: sps > 0 ? (this.totalSteps - steps) / sps : Infinity,
    };
  }
}
