/** The framework version, read from deno.json (its one home). */
import denoJson from "../deno.json" with { type: "json" };

/** dmerl's version string. */
export const VERSION: string = denoJson.version;
