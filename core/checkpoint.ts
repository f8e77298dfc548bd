/**
 * The checkpoint of a run (`checkpoint.bin`): everything needed to continue exactly (the
 * trainer's schedule and log, the env copies, the policy, the algorithm), and when the next
 * row, evaluation and checkpoint are due.
 */
import type { RunConfig } from "./config.ts";
import type { VecEnvState } from "./env.ts";
import { RUN_FILES, type RunStore } from "./run_store.ts";
import { ConfigError } from "./schema.ts";
import type { NamedArrays } from "./serialize.ts";
import type { TrainingLogState } from "./training_log.ts";

/** The env-step marks at which the next row, evaluation and checkpoint are due. */
export interface ScheduleMarks {
  nextLog: number;
  nextEval: number;
  nextCheckpoint: number;
}

/** The trainer's part of a checkpoint (its layout is the checkpoint format's). */
export interface TrainerState extends ScheduleMarks, TrainingLogState {
  elapsedSeconds: number;
  lastEval: { mean: number; std: number } | null;
  /**
   * True when the checkpoint was taken after its step's iteration but before that step's
   * evaluation, row and checkpoint (the first checkpoint of a run is written before its first
   * evaluation); a resume does that bookkeeping first.
   */
  bookkeepingPending?: boolean;
}

/** What `checkpoint.bin` holds. */
export interface Checkpoint {
  format: "dmerl-checkpoint";
  version: 1;
  envSteps: number;
  trainer: TrainerState;
  vecEnv: VecEnvState;
  policy: NamedArrays;
  algorithm: unknown;
}

/** Reads a run's checkpoint; an error names the file when it is missing, corrupt or foreign. */
export function readCheckpoint(store: RunStore): Checkpoint {
  const checkpoint = store.readSnapshot(RUN_FILES.checkpoint) as Checkpoint;
  if (checkpoint?.format !== "dmerl-checkpoint") {
    throw new ConfigError(`resume: '${store.path(RUN_FILES.checkpoint)}' is not a checkpoint`);
  }
  return checkpoint;
}

/** When rows, evaluations and checkpoints are due, from the run's `*Every` settings. */
export class RunSchedule {
  private readonly marks: ScheduleMarks;

  /** A schedule continuing from `marks` (a fresh run's first marks when omitted). */
  constructor(private readonly config: RunConfig, marks?: ScheduleMarks) {
    this.marks = marks ? { ...marks } : {
      nextLog: config.logEvery,
      nextEval: config.evalEvery,
      nextCheckpoint: config.checkpointEvery,
    };
  }

  /** True when an evaluation is due at `steps` (always at the end), without moving the mark. */
  evalPending(steps: number, done: boolean): boolean {
    return steps >= this.marks.nextEval || done;
  }

  /** True when an evaluation is due at `steps` (always at the end); moves the mark past it. */
  evalDue(steps: number, done: boolean): boolean {
    const due = steps >= this.marks.nextEval || done;
    if (due) { while (this.marks.nextEval <= steps) this.marks.nextEval += this.config.evalEvery; }
    return due;
  }

  /** True when a row is due at `steps` (or `force`, with an evaluation); moves the mark. */
  rowDue(steps: number, force: boolean): boolean {
    const due = steps >= this.marks.nextLog || force;
    if (due) { while (this.marks.nextLog <= steps) this.marks.nextLog += this.config.logEvery; }
    return due;
  }

  /** True when a periodic checkpoint is due at `steps`; moves the mark past it. */
  checkpointDue(steps: number): boolean {
    if (steps < this.marks.nextCheckpoint) return false;
    while (this.marks.nextCheckpoint <= steps) {
      this.marks.nextCheckpoint += this.config.checkpointEvery;
    }
    return true;
  }

  /** The marks, for a checkpoint. */
  state(): ScheduleMarks {
    return { ...this.marks };
  }
}
