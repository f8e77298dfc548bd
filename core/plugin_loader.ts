/**
 * Loading plugin modules from files or URLs (Deno only: the browser bundle of the env plugins
 * does not include it).
 */
import { isAbsolute, join } from "node:path";
import { pathToFileURL } from "node:url";
import { checkPlugin, type Plugin } from "./plugin.ts";
import { ConfigError } from "./schema.ts";

/**
 * Imports a plugin module by file path or URL and returns its default export, checked. A
 * missing file or a default export that is not a Plugin gives a {@link ConfigError}.
 */
export async function loadPluginModule(spec: string): Promise<Plugin> {
  let url: string;
  if (/^(https?|file):\/\//.test(spec)) {
    url = spec;
  } else {
    const path = isAbsolute(spec) ? spec : join(Deno.cwd(), spec);
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(path);
    } catch {
      throw new ConfigError(`plugins: file '${spec}' does not exist`);
    }
    if (!info.isFile) throw new ConfigError(`plugins: '${spec}' is not a file`);
    // the file named, literally: '%', '#' and '?' in the path are escaped, not interpreted
    url = pathToFileURL(path).href;
  }
  let module: Record<string, unknown>;
  try {
    module = await import(url);
  } catch (e) {
    const first = ((e as Error).message ?? String(e)).split("\n")[0];
    throw new ConfigError(`plugins: could not import '${spec}': ${first}`);
  }
  if (module.default === undefined) {
    throw new ConfigError(`plugins: '${spec}' has no default export (expected a Plugin)`);
  }
  checkPlugin(module.default, spec);
  return module.default;
}
