/**
 * `deno task list [algos|envs|policies] [--plugin PATH]`: the registered algorithms, envs
 * (with observation and action sizes) and policies, one line each.
 */
import { ConfigError } from "../core/mod.ts";
import { didYouMean } from "../core/suggest.ts";
import { type FlagSpec, parseFlags, registryWith, runMain, usage } from "./cli.ts";
import { LIST_KINDS, type ListKind, listText } from "./catalog.ts";

const FLAGS: Record<string, FlagSpec> = {
  "--plugin": { key: "plugins", kind: "list", help: "plugin module path or URL (repeatable)" },
  "--help": { key: "help", kind: "boolean", help: "show this help" },
};

await runMain(async () => {
  const args = parseFlags(Deno.args, FLAGS);
  if (args.values.help) {
    console.log(usage(`deno task list [${LIST_KINDS.join("|")}] [flags]`, FLAGS));
    return 0;
  }
  if (args.positional.length > 1) {
    throw new ConfigError(`unexpected argument '${args.positional[1]}' (one kind at most)`);
  }
  const kinds = args.positional.length === 0 ? [...LIST_KINDS] : args.positional;
  for (const kind of kinds) {
    if (!(LIST_KINDS as readonly string[]).includes(kind)) {
      throw new ConfigError(
        `kind: unknown '${kind}'${didYouMean(kind, LIST_KINDS)}; allowed: ${LIST_KINDS.join(", ")}`,
      );
    }
  }
  const registry = await registryWith((args.values.plugins as string[] | undefined) ?? []);
  if (kinds.includes("envs")) {
    for (const id of registry.names().envs) await registry.prepareEnv(id);
  }
  console.log(kinds.map((k) => listText(registry, k as ListKind)).join("\n\n"));
});
