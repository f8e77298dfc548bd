/**
 * The library API in a script: train SAC on Pendulum-v1, save the run folder, load it back,
 * act, evaluate and export to ONNX.
 *
 *   deno run -A examples/agent_quickstart.ts [STEPS] [OUT_DIR]
 *
 * STEPS defaults to 10000 (SAC's Pendulum preset: returns near -125 after 1.6 minutes of CPU
 * with OpenBLAS, 5.8 without); OUT_DIR (default runs/quickstart) must not exist. `deno task eval OUT_DIR` and
 * `deno task view OUT_DIR` work on the saved folder.
 */
import { Agent } from "../mod.ts";

const steps = Number(Deno.args[0] ?? 10000);
const out = Deno.args[1] ?? "runs/quickstart";

const agent = await Agent.create({ algo: "sac", env: "Pendulum-v1", seed: 0 });
await agent.learn(steps);
agent.save(out);
agent.dispose();

const loaded = await Agent.load(out);
const env = loaded.makeEnv();
const obs = env.reset(0);
const action = loaded.predict(obs, { deterministic: true });
env.close?.();
const { mean, std } = await loaded.evaluate(5);
loaded.exportOnnx(`${out}/policy.deterministic.onnx`, { deterministic: true });
console.log(
  `trained ${loaded.envSteps} steps; first action ${action[0]}; ` +
    `return ${mean} ± ${std} over 5 episodes; run folder ${out}`,
);
loaded.dispose();
