/**
 * The one way the command line runs a training run in a child process (benchmarks, local
 * experiment grids): `deno run -A scripts/train.ts ARGS`, with its output streamed to a log
 * file when one is given, and the tail of its stderr kept for error messages.
 */

/** What a finished child reported. */
export interface ChildResult {
  code: number;
  seconds: number;
  /** The last lines of its stderr. */
  stderrTail: string;
}

/** Characters of stderr kept for {@link ChildResult.stderrTail}. */
const TAIL_CHARS = 3000;

/** Options of {@link runTrainChild}. */
export interface TrainChildOptions {
  /** File that receives the child's stdout and stderr (appended); none: discarded. */
  logPath?: string;
  /** Receives the process as soon as it runs (to forward an interrupt). */
  onSpawn?: (child: Deno.ChildProcess) => void;
}

/** Runs `scripts/train.ts` with `args` in a child process and waits for it. */
export async function runTrainChild(
  args: string[],
  options: TrainChildOptions = {},
): Promise<ChildResult> {
  const train = new URL("./train.ts", import.meta.url).pathname;
  const start = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", train, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  options.onSpawn?.(child);
  let stderrTail = "";
  const pump = async (stream: ReadableStream<Uint8Array>, keep: boolean) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      if (options.logPath) await Deno.writeFile(options.logPath, chunk, { append: true });
      if (keep) {
        stderrTail = (stderrTail + decoder.decode(chunk, { stream: true })).slice(-TAIL_CHARS);
      }
    }
  };
  const [status] = await Promise.all([
    child.status,
    pump(child.stdout, false),
    pump(child.stderr, true),
  ]);
  return { code: status.code, seconds: (performance.now() - start) / 1000, stderrTail };
}
