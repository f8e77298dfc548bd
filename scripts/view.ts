/**
 * `deno task view RUN_DIR [--port N] [--seed S] [--deterministic|--stochastic]`: serves a page
 * on 127.0.0.1 that plays the run's policy in its env, in the browser, and prints its address.
 * Ctrl-C stops it.
 */
import { ConfigError } from "../core/mod.ts";
import { type FlagSpec, parseFlags, runMain, usage } from "./cli.ts";
import { startViewerServer } from "./web/server.ts";

const FLAGS: Record<string, FlagSpec> = {
  "--port": { key: "port", kind: "int", help: "port on 127.0.0.1 (default: a free one)" },
  "--seed": { key: "seed", kind: "int", help: "seed of episode 1 (default: the run's eval seed)" },
  "--deterministic": {
    key: "deterministic",
    kind: "boolean",
    help: "start with the mean action (the default)",
  },
  "--stochastic": { key: "stochastic", kind: "boolean", help: "start with sampled actions" },
  "--help": { key: "help", kind: "boolean", help: "show this help" },
};

await runMain(async () => {
  const args = parseFlags(Deno.args, FLAGS);
  if (args.values.help) {
    console.log(usage("deno task view RUN_DIR [flags]", FLAGS));
    return 0;
  }
  if (args.positional.length !== 1) {
    throw new ConfigError("RUN_DIR: give exactly one run folder, e.g. deno task view runs/my-run");
  }
  if (args.values.deterministic && args.values.stochastic) {
    throw new ConfigError("--stochastic: give one of --deterministic or --stochastic, not both");
  }
  const port = (args.values.port as number | undefined) ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`--port: expected an integer in 0..65535, got ${port}`);
  }
  let server;
  try {
    server = await startViewerServer(args.positional[0], {
      port,
      seed: args.values.seed as number | undefined,
      stochastic: Boolean(args.values.stochastic),
    });
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) {
      throw new ConfigError(`--port: ${port} is in use; pick another or leave --port out`);
    }
    throw e;
  }
  const { info } = server;
  console.log(`viewing ${info.algo} on ${info.env} (${args.positional[0]}) at ${server.url}`);
  console.log("press Ctrl-C to stop");
  const { promise: stopped, resolve } = Promise.withResolvers<void>();
  const stop = () => resolve();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await stopped;
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  await server.shutdown();
  console.log("stopped");
  return 0;
});
