#!/usr/bin/env python3
"""PyTorch peer of `deno task bench update`: CPU milliseconds per update at Humanoid-v4 sizes
(obs 376, act 17, batch 256), one thread, for the same updates dmerl runs:

- SAC: twin Q critics 256x256 relu with Polyak targets, the tanh-Gaussian actor 256x256 relu
  (one output layer for mean and log std, log std squashed into [-5, 2] by tanh), a learned
  temperature, the actor delayed by 2 updates and then stepped twice (CleanRL's schedule);
  critic weights get no gradient from the actor loss (dmerl's `weightGrads: false`).
- DiffSAC, chain surrogate, K = 1 and 8: the diffusion policy's score network
  (a, s, time embedding) -> 256 -> 256 -> act with SiLU, the time MLP over 16 Fourier pairs
  (32 -> 32 -> 32, SiLU), learned step sizes and friction; the actor loss runs the whole
  K-step chain; the critic target samples the chain on s'.
- PPO: one minibatch step of 256 (clipped surrogate, clipped value loss, advantage
  normalisation, Adam with global gradient-norm clipping 0.5), actor and critic 256x256 tanh,
  state-independent log std.

One SAC-family "update" is the mean over an actor-delay cycle (2 updates: one critic-only, one
with 2 actor steps), as dmerl measures it. Reported: this process's CPU time (user + system) and
the wall time, each the median over rounds after a warm-up.

Every thread pool is pinned to `--threads` (default 1) BEFORE torch is imported: OpenBLAS,
OpenMP and MKL read their environment variables when they load, and torch.set_num_threads
alone leaves a separate OpenBLAS pool running (it inflates CPU time by about 60% on a two-core
machine). threadpoolctl, where installed, pins them again and reports what each pool runs with.

Usage: python3 bench/peers/torch_update.py [--json] [--rounds N] [--threads N]
       [--warmup-seconds S]
Without PyTorch it prints how to install it and exits 0.
"""

import argparse
import json
import math
import os
import statistics
import sys
import time


def _threads_from_argv(argv):
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return "1"


# Before any library that starts a thread pool is imported (see the module comment).
THREADS = _threads_from_argv(sys.argv[1:])
for _name in (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
):
    os.environ[_name] = THREADS

try:
    import torch
    import torch.nn.functional as F
    from torch import nn
except ImportError:
    print(
        "torch_update: PyTorch is not installed; on Debian/Ubuntu: "
        "apt-get install python3-torch (or pip install torch)"
    )
    sys.exit(0)

OBS, ACT, BATCH, HIDDEN = 376, 17, 256, 256
LOG_ACTION_HIGH = math.log(0.4)  # Humanoid's action Box is [-0.4, 0.4]
GAMMA, TAU = 0.99, 0.005
LOG_2PI = math.log(2 * math.pi)
LOG_4PI = math.log(4 * math.pi)


def set_sizes(obs, act, batch, hidden, action_high):
    """Sets the sizes the classes below build with (Humanoid-v4's until called): observation
    and action widths, batch, hidden width, and the half-width of the action Box."""
    global OBS, ACT, BATCH, HIDDEN, LOG_ACTION_HIGH
    OBS, ACT, BATCH, HIDDEN = obs, act, batch, hidden
    LOG_ACTION_HIGH = math.log(action_high)


def mlp(inputs, outputs, hidden, activation):
    layers, width = [], inputs
    for h in hidden:
        layers += [nn.Linear(width, h), activation()]
        width = h
    layers.append(nn.Linear(width, outputs))
    return nn.Sequential(*layers)


class TwinQ:
    """Q1, Q2, their Polyak targets, one Adam over both online networks."""

    def __init__(self, inputs):
        self.q1 = mlp(inputs, 1, [HIDDEN, HIDDEN], nn.ReLU)
        self.q2 = mlp(inputs, 1, [HIDDEN, HIDDEN], nn.ReLU)
        self.q1t = mlp(inputs, 1, [HIDDEN, HIDDEN], nn.ReLU)
        self.q2t = mlp(inputs, 1, [HIDDEN, HIDDEN], nn.ReLU)
        self.q1t.load_state_dict(self.q1.state_dict())
        self.q2t.load_state_dict(self.q2.state_dict())
        self.params = list(self.q1.parameters()) + list(self.q2.parameters())
        self.opt = torch.optim.Adam(self.params, lr=1e-3)

    def min(self, x, target=False):
        a, b = (self.q1t, self.q2t) if target else (self.q1, self.q2)
        return torch.minimum(a(x).squeeze(1), b(x).squeeze(1))

    def min_input_grad_only(self, x):
        for p in self.params:
            p.requires_grad_(False)
        q = self.min(x)
        for p in self.params:
            p.requires_grad_(True)
        return q

    def fit(self, x, y):
        loss = F.mse_loss(self.q1(x).squeeze(1), y) + F.mse_loss(self.q2(x).squeeze(1), y)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()

    def update_targets(self):
        with torch.no_grad():
            for net, tgt in ((self.q1, self.q1t), (self.q2, self.q2t)):
                for p, t in zip(net.parameters(), tgt.parameters()):
                    t.mul_(1 - TAU).add_(p, alpha=TAU)


class Temperature:
    def __init__(self):
        self.log_alpha = torch.zeros(1, requires_grad=True)
        with torch.no_grad():
            self.log_alpha.fill_(math.log(0.2))
        self.opt = torch.optim.Adam([self.log_alpha], lr=1e-3)
        self.target = -float(ACT)

    def value(self):
        return self.log_alpha.exp().item()

    def update(self, log_prob):
        loss = (-self.log_alpha.exp() * (log_prob.detach() + self.target)).mean()
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()


class GaussianActor(nn.Module):
    """dmerl's GaussianPolicy with logStd 'state': one MLP to [mean, raw log std]."""

    def __init__(self):
        super().__init__()
        self.net = mlp(OBS, 2 * ACT, [HIDDEN, HIDDEN], nn.ReLU)
        self.log_scale_sum = ACT * LOG_ACTION_HIGH

    def sample(self, obs, noise):
        out = self.net(obs)
        mean, raw = out[:, :ACT], out[:, ACT:]
        log_std = -5 + 0.5 * 7 * (torch.tanh(raw) + 1)
        u = mean + log_std.exp() * noise
        t = torch.tanh(u)
        y = t.clamp(-0.999, 0.999)
        z = (u - mean) / log_std.exp()
        gaussian = (-(0.5 * z * z + log_std + 0.5 * LOG_2PI)).sum(1)
        correction = torch.log(1 - t * t + 1e-6).sum(1)
        return y, gaussian - correction - self.log_scale_sum


def softplus_inv(y):
    return math.log(math.expm1(y))


class DiffusionActor(nn.Module):
    """dmerl's DiffusionPolicy (defaults but hidden [256, 256]): the K-step Langevin chain."""

    def __init__(self, K, sigma0=3.0, features=16, time_hidden=32):
        super().__init__()
        self.K, self.sigma0 = K, sigma0
        self.freq = 2 * math.pi * torch.randn(1, features)
        self.phase = 2 * math.pi * torch.rand(1, features)
        self.time_net = mlp(2 * features, time_hidden, [time_hidden], nn.SiLU)
        self.score_net = mlp(ACT + OBS + time_hidden, ACT, [HIDDEN, HIDDEN], nn.SiLU)
        nn.init.zeros_(self.score_net[-1].weight)
        nn.init.zeros_(self.score_net[-1].bias)
        dt = [0.125 * ((1 - k / K) * 0.17 + k / K) for k in range(1, K + 1)]
        self.dt_param = nn.Parameter(torch.tensor([softplus_inv(d) for d in dt]))
        self.friction = nn.Parameter(torch.full((1, ACT), softplus_inv(0.25)))

    @staticmethod
    def log_normal(x, mean, eta):
        return -(((x - mean) ** 2) / (4 * eta) + 0.5 * (torch.log(eta) + LOG_4PI)).sum(1)

    def mean_eta(self, obs, a, k):
        """The denoising kernel's mean and eta_k at (s, a^k, k), per-sample k."""
        # per-sample k, as dmerl computes it: a one-hot matMul for eta, the time MLP on every row
        one_hot = F.one_hot(k - 1, self.K).float()
        eta = (one_hot @ F.softplus(self.dt_param).reshape(-1, 1)) / F.softplus(self.friction)
        t = (k.float() / self.K).reshape(-1, 1)
        angle = t @ self.freq + self.phase
        emb = self.time_net(torch.cat([torch.sin(angle), torch.cos(angle)], 1))
        f = self.score_net(torch.cat([a, obs, emb], 1))
        return a + eta * (-a / self.sigma0**2 + f), eta

    def denoise(self, obs, a, k, noise):
        mean, eta = self.mean_eta(obs, a, k)
        nxt = mean + torch.sqrt(2 * eta) * noise
        log_q = self.log_normal(nxt, mean, eta)
        back = nxt - eta * nxt / self.sigma0**2
        return nxt, log_q - self.log_normal(a, back, eta)

    def sample_chain(self, obs, noise):
        slots = noise.unbind(1)
        a = slots[0] * self.sigma0
        total = 0
        for k in range(self.K, 0, -1):
            kk = torch.full((obs.shape[0],), k, dtype=torch.long)
            a, log_ratio = self.denoise(obs, a, kk, slots[self.K - k + 1])
            total = total + log_ratio
        return a, total


class Replay:
    """A filled buffer of random transitions; `sample` draws a batch with replacement."""

    def __init__(self, size, latent=False):
        self.size = size
        self.obs = torch.randn(size, OBS)
        self.next_obs = torch.randn(size, OBS)
        self.action = torch.rand(size, ACT) * 2 - 1
        self.latent = torch.randn(size, ACT) if latent else None
        self.reward = torch.randn(size)
        self.done = (torch.rand(size) < 0.05).float()

    def sample(self):
        idx = torch.randint(0, self.size, (BATCH,))
        latent = self.latent[idx] if self.latent is not None else None
        return self.obs[idx], self.action[idx], latent, self.reward[idx], self.next_obs[idx], \
            self.done[idx]


class Sac:
    def __init__(self):
        self.actor = GaussianActor()
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=3e-4)
        self.critics = TwinQ(OBS + ACT)
        self.temperature = Temperature()
        self.replay = Replay(1024)
        self.updates = 0

    def update(self):
        obs, action, _, reward, next_obs, done = self.replay.sample()
        alpha = self.temperature.value()
        self.updates += 1
        with torch.no_grad():
            y_next, logp_next = self.actor.sample(next_obs, torch.randn(BATCH, ACT))
            soft = self.critics.min(torch.cat([next_obs, y_next], 1), target=True) - alpha * logp_next
            target = reward + GAMMA * (1 - done) * soft
        self.critics.fit(torch.cat([obs, action], 1), target)
        if self.updates % 2 == 0:
            for _ in range(2):
                y, logp = self.actor.sample(obs, torch.randn(BATCH, ACT))
                q = self.critics.min_input_grad_only(torch.cat([obs, y], 1))
                loss = (alpha * logp - q).mean()
                self.actor_opt.zero_grad()
                loss.backward()
                self.actor_opt.step()
                _entropy = -logp.detach().mean().item()
                self.temperature.update(logp)
        self.critics.update_targets()


class DiffSacChain:
    def __init__(self, K):
        self.K = K
        self.actor = DiffusionActor(K)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=3e-4)
        self.critics = TwinQ(OBS + ACT)
        self.temperature = Temperature()
        self.replay = Replay(1024, latent=True)
        self.updates = 0

    def update(self):
        obs, _, latent, reward, next_obs, done = self.replay.sample()
        alpha = self.temperature.value()
        self.updates += 1
        y = torch.tanh(latent).clamp(-0.999, 0.999)
        with torch.no_grad():
            a0, path = self.actor.sample_chain(next_obs, torch.randn(BATCH, self.K + 1, ACT))
            y_next = torch.tanh(a0).clamp(-0.999, 0.999)
            soft = self.critics.min(torch.cat([next_obs, y_next], 1), target=True) - alpha * path
            target = reward + GAMMA * (1 - done) * soft
        self.critics.fit(torch.cat([obs, y], 1), target)
        if self.updates % 2 == 0:
            for _ in range(2):
                a0, path = self.actor.sample_chain(obs, torch.randn(BATCH, self.K + 1, ACT))
                ya = torch.tanh(a0).clamp(-0.999, 0.999)
                q = self.critics.min_input_grad_only(torch.cat([obs, ya], 1))
                loss = (alpha * path - q).mean()
                self.actor_opt.zero_grad()
                loss.backward()
                self.actor_opt.step()
                _entropy = -path.detach().mean().item()
                self.temperature.update(path)
        self.critics.update_targets()


class PpoMinibatch:
    def __init__(self):
        self.actor = mlp(OBS, ACT, [HIDDEN, HIDDEN], nn.Tanh)
        self.log_std = nn.Parameter(torch.zeros(1, ACT))
        self.critic = mlp(OBS, 1, [HIDDEN, HIDDEN], nn.Tanh)
        self.params = list(self.actor.parameters()) + [self.log_std] + list(
            self.critic.parameters()
        )
        self.opt = torch.optim.Adam(self.params, lr=3e-4, eps=1e-8)
        n = BATCH
        self.obs, self.u = torch.randn(n, OBS), torch.randn(n, ACT)
        self.old_logp, self.values = torch.randn(n) - 20, torch.randn(n)
        self.adv, self.ret = torch.randn(n), torch.randn(n)

    def update(self):
        idx = torch.randperm(BATCH)
        obs, u, old_logp = self.obs[idx], self.u[idx], self.old_logp[idx]
        values, adv, ret = self.values[idx], self.adv[idx], self.ret[idx]
        adv = (adv - adv.mean()) / (adv.std(unbiased=False) + 1e-8)
        mean = self.actor(obs)
        log_std = self.log_std.expand_as(mean)
        z = (u - mean) / log_std.exp()
        logp = (-(0.5 * z * z + log_std + 0.5 * LOG_2PI)).sum(1)
        entropy = (log_std + 0.5 * math.log(2 * math.pi * math.e)).sum(1).mean()
        log_ratio = logp - old_logp
        ratio = log_ratio.exp()
        pg = torch.max(-adv * ratio, -adv * ratio.clamp(0.8, 1.2)).mean()
        value = self.critic(obs).squeeze(1)
        v_clipped = values + (value - values).clamp(-0.2, 0.2)
        v_loss = 0.5 * torch.max((value - ret) ** 2, (v_clipped - ret) ** 2).mean()
        kl = ((ratio - 1) - log_ratio).mean()
        clipfrac = ((ratio - 1).abs() > 0.2).float().mean()
        loss = pg + 0.5 * v_loss - 0.0 * entropy
        self.opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(self.params, 0.5)
        self.opt.step()
        _stats = (pg.item(), v_loss.item(), kl.item(), clipfrac.item(), entropy.item())


def timed_ms(f):
    """CPU and wall milliseconds of one call of f."""
    cpu, wall = time.process_time(), time.perf_counter()
    f()
    return (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000


def measure(algo, per_call, rounds, warmup_seconds):
    """Median CPU and wall ms per update over `rounds` after at least 10 calls and
    `warmup_seconds` of warm-up (dmerl's side warms up as long)."""
    start, calls = time.perf_counter(), 0
    while calls < 10 or time.perf_counter() - start < warmup_seconds:
        for _ in range(per_call):
            algo.update()
        calls += 1
    cpu, wall = [], []
    for _ in range(rounds):
        c, w = timed_ms(lambda: [algo.update() for _ in range(per_call)])
        cpu.append(c / per_call)
        wall.append(w / per_call)
    return {"cpu": statistics.median(cpu), "wall": statistics.median(wall)}


def thread_pools(threads):
    """Pins and describes the native thread pools (threadpoolctl), or says it is missing."""
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        return "threadpoolctl not installed (pools pinned by environment variables only)"
    threadpool_limits(threads)
    return [
        {k: pool.get(k) for k in ("user_api", "internal_api", "num_threads", "version")}
        for pool in threadpool_info()
    ]


def blas_of_torch():
    """The BLAS torch was built with, from its build configuration."""
    for line in torch.__config__.show().splitlines():
        if "BLAS_INFO" in line:
            return line.split("BLAS_INFO=", 1)[1].split(",")[0].strip()
    return "unknown"


def start(threads):
    """Pins torch and every native pool to `threads` (one inter-op thread), seeds torch, and
    returns what the pools run with (for `report`)."""
    pools = thread_pools(threads)
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    return pools


def report(results, pools, as_json, note=""):
    """Prints the results as one JSON object (returns False), or the peer's header line for a
    table to follow (returns True): torch's version, BLAS and threads, and every pool."""
    info = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": blas_of_torch(),
        "pools": pools,
    }
    if as_json:
        print(json.dumps({"ms": results, **info}))
        return False
    print(
        f"PyTorch {info['torch']} ({info['blas']}), {info['threads']} thread(s); "
        f"pools: {json.dumps(pools)}{note}"
    )
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds per update")
    parser.add_argument("--threads", type=int, default=1, help="threads of every pool")
    parser.add_argument(
        "--warmup-seconds", type=float, default=0, help="warm-up per update, at least 10 calls"
    )
    args = parser.parse_args()
    pools = start(args.threads)
    results = {
        "sac": measure(Sac(), 2, args.rounds, args.warmup_seconds),
        "diffsac-k1": measure(DiffSacChain(1), 2, args.rounds, args.warmup_seconds),
        "diffsac-k8": measure(DiffSacChain(8), 2, max(5, args.rounds // 2), args.warmup_seconds),
        "ppo": measure(PpoMinibatch(), 1, args.rounds, args.warmup_seconds),
    }
    if not report(results, pools, args.json):
        return
    print(f"{'update':12s} {'CPU ms':>8s} {'wall ms':>8s}  (median per update)")
    for name, ms in results.items():
        print(f"{name:12s} {ms['cpu']:8.2f} {ms['wall']:8.2f}")


if __name__ == "__main__":
    main()
