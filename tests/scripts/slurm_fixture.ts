/**
 * A real single-node Slurm cluster for tests: munged (reused when one already answers),
 * slurmctld and slurmd from Debian's `slurm-wlm`, configured in a temporary folder through
 * `SLURM_CONF` alone (nothing under /etc changes), on free ports. `stop()` cancels every job
 * of this cluster, waits for them, and stops exactly the daemons it started, by pid.
 */

/** A running fixture cluster. */
export interface SlurmCluster {
  /** Environment for Slurm's client commands and everything that calls them. */
  env: Record<string, string>;
  /** The cluster's temporary folder (config, state, logs). */
  base: string;
  /** Runs a Slurm client command against this cluster. */
  run(command: string, args: string[]): Promise<{ code: number; out: string; err: string }>;
  /** Cancels every job, stops the daemons this fixture started, removes its folder. */
  stop(): Promise<void>;
}

const DAEMONS = ["/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd"];
const CLIENTS = ["munge", "unmunge", "sbatch", "squeue", "scontrol", "scancel", "sinfo"];

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): boolean {
  return (Deno.env.get("PATH") ?? "").split(":").some((dir) => exists(`${dir}/${name}`));
}

async function exec(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  stdin?: Uint8Array,
): Promise<{ code: number; out: string; err: string; stdout: Uint8Array }> {
  const child = new Deno.Command(command, {
    args,
    env,
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(stdin);
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const text = new TextDecoder();
  return { code, out: text.decode(stdout), err: text.decode(stderr), stdout };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP port nobody listens on right now. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function mungeWorks(): Promise<boolean> {
  const cred = await exec("munge", ["-n"]);
  if (cred.code !== 0) return false;
  return (await exec("unmunge", [], {}, cred.stdout)).code === 0;
}

function alive(pid: number): boolean {
  return exists(`/proc/${pid}`) &&
    !/^State:\s+Z/m.test(Deno.readTextFileSync(`/proc/${pid}/status`));
}

async function readPid(path: string, timeoutMs: number): Promise<number> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      const pid = Number(Deno.readTextFileSync(path).trim());
      if (pid > 0) return pid;
    } catch {
      // not written yet
    }
    await sleep(50);
  }
  throw new Error(`slurm fixture: no pid file ${path} after ${timeoutMs} ms`);
}

async function stopPid(pid: number): Promise<void> {
  if (!alive(pid)) return;
  Deno.kill(pid, "SIGTERM");
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(50);
  if (alive(pid)) Deno.kill(pid, "SIGKILL");
}

/** Why the fixture cannot run here (not Linux, not root, Slurm or munge missing), or null. */
export function slurmSkipReason(): string | null {
  if (Deno.build.os !== "linux") return "the Slurm fixture runs on Linux only";
  if (Deno.uid?.() !== 0) return "the Slurm fixture starts its daemons as root";
  const missing = [...DAEMONS.filter((p) => !exists(p)), ...CLIENTS.filter((c) => !onPath(c))];
  if (missing.length > 0) {
    return `Slurm is not installed (apt-get install slurm-wlm munge): no ${missing[0]}`;
  }
  return null;
}

/** Starts the cluster; call only where {@link slurmSkipReason} is null. */
export async function startSlurm(): Promise<SlurmCluster> {
  const skip = slurmSkipReason();
  if (skip) throw new Error(`slurm fixture: ${skip}`);
  const started: number[] = [];
  let mungePid: number | null = null;
  const base = Deno.makeTempDirSync({ prefix: "slurm-fixture-" });
  const env = { SLURM_CONF: `${base}/slurm.conf` };
  const stopDaemons = async () => {
    for (const pid of started.reverse()) await stopPid(pid);
    started.length = 0;
    if (mungePid !== null) await stopPid(mungePid);
    mungePid = null;
  };
  try {
    if (!(await mungeWorks())) {
      if (!exists("/etc/munge/munge.key")) await exec("mungekey", ["--create", "--force"]);
      await exec("install", ["-d", "-o", "munge", "-g", "munge", "/run/munge"]);
      try {
        Deno.removeSync("/run/munge/munged.pid");
      } catch {
        // none left behind
      }
      const r = await exec("runuser", ["-u", "munge", "--", "/usr/sbin/munged"]);
      if (r.code !== 0) throw new Error(`slurm fixture: munged failed: ${r.err.trim()}`);
      mungePid = await readPid("/run/munge/munged.pid", 5000);
      if (!(await mungeWorks())) throw new Error("slurm fixture: munged started but munge fails");
    }
    const node = (await exec("hostname", ["-s"])).out.trim();
    const hw = (await exec("/usr/sbin/slurmd", ["-C"])).out;
    const cpus = Number(/CPUs=(\d+)/.exec(hw)?.[1] ?? "1");
    const memory = Number(/RealMemory=(\d+)/.exec(hw)?.[1] ?? "1000");
    for (const dir of ["state", "spool", "log"]) Deno.mkdirSync(`${base}/${dir}`);
    Deno.writeTextFileSync(
      env.SLURM_CONF,
      [
        "ClusterName=fixture",
        `SlurmctldHost=${node}(127.0.0.1)`,
        `SlurmctldPort=${freePort()}`,
        `SlurmdPort=${freePort()}`,
        "SlurmUser=root",
        "SlurmdUser=root",
        "AuthType=auth/munge",
        "CredType=cred/munge",
        // a requeued task waits the credential lifetime before it runs again (default 120 s)
        "AuthInfo=cred_expire=10",
        `StateSaveLocation=${base}/state`,
        `SlurmdSpoolDir=${base}/spool/slurmd-%n`,
        `SlurmctldPidFile=${base}/slurmctld.pid`,
        `SlurmdPidFile=${base}/slurmd.pid`,
        `SlurmctldLogFile=${base}/log/slurmctld.log`,
        `SlurmdLogFile=${base}/log/slurmd.log`,
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core",
        "JobAcctGatherType=jobacct_gather/none",
        "AccountingStorageType=accounting_storage/none",
        "JobCompType=jobcomp/filetxt",
        `JobCompLoc=${base}/log/jobcomp.txt`,
        "MpiDefault=none",
        "ReturnToService=2",
        "SchedulerType=sched/backfill",
        "SchedulerParameters=sched_interval=1",
        "MinJobAge=300",
        "KillWait=5",
        "InactiveLimit=0",
        "SlurmdTimeout=60",
        "MailProg=/bin/true",
        `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${memory} State=UNKNOWN`,
        `PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
        "",
      ].join("\n"),
    );
    const ctld = await exec("/usr/sbin/slurmctld", ["-i"], env);
    if (ctld.code !== 0) throw new Error(`slurm fixture: slurmctld failed: ${ctld.err.trim()}`);
    started.push(await readPid(`${base}/slurmctld.pid`, 5000));
    const slurmd = await exec("/usr/sbin/slurmd", [], env);
    if (slurmd.code !== 0) throw new Error(`slurm fixture: slurmd failed: ${slurmd.err.trim()}`);
    started.push(await readPid(`${base}/slurmd.pid`, 5000));
    let state = "";
    for (let i = 0; i < 200 && state !== "idle"; i++) {
      state = (await exec("sinfo", ["-h", "-o", "%t"], env)).out.trim();
      if (state !== "idle") await sleep(50);
    }
    if (state !== "idle") throw new Error(`slurm fixture: node is '${state}', not idle`);
  } catch (e) {
    await stopDaemons();
    Deno.removeSync(base, { recursive: true });
    throw e;
  }
  const run = (command: string, args: string[]) => exec(command, args, env);
  return {
    env,
    base,
    run,
    stop: async () => {
      const ids = (await run("squeue", ["-h", "-o", "%F"])).out.split("\n").filter((l) => l);
      if (ids.length > 0) await run("scancel", [...new Set(ids)]);
      for (let i = 0; i < 300; i++) {
        if ((await run("squeue", ["-h", "-o", "%i"])).out.trim() === "") break;
        await sleep(100);
      }
      await stopDaemons();
      Deno.removeSync(base, { recursive: true });
    },
  };
}
