/** What the viewer's server tells its page (`GET api/run`), shared by both sides. */
export interface PageRunInfo {
  /** Env id of the run. */
  env: string;
  /** The run's env options. */
  envParams: Record<string, unknown>;
  /** Algorithm name, for the title. */
  algo: string;
  /** Env steps the policy was trained for. */
  envSteps: number;
  /** Seed of episode 1 (default: the run's evaluation seed, as `deno task eval` uses). */
  seed: number;
  /** Mean action (true) or sampled actions at start. */
  deterministic: boolean;
  /** The run's learning curve: evaluation return by env step. */
  curve: { step: number; return: number }[];
}
