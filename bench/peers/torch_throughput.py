#!/usr/bin/env python3
"""PyTorch peer of `deno task bench hopper-throughput`: milliseconds per env step of the
learning loops dmerl runs on Hopper-v4 (obs 11, act 3), replayed on random data WITHOUT a
simulator. Per env step it does what the loop does besides stepping MuJoCo:

- acting: the policy's sample for one observation (batch 1, no gradient; DiffPPO: K denoising
  steps and K values of the augmented state, as its rollout evaluates them);
- the update schedule, spread evenly over the env steps:
  - SAC and DiffSAC K=8 (chain), CleanRL's MuJoCo settings: one update per env step at batch
    256, i.e. one critic step every env step and, every 2nd env step, 2 actor + temperature
    steps (policy_frequency = 2);
  - PPO and DiffPPO, CleanRL's MuJoCo settings: 10 epochs x 32 minibatches per rollout of
    2048 env steps, i.e. 320 / 2048 minibatch steps per env step, at minibatch 64 (PPO, 64x64
    tanh actor and critic) and 512 (DiffPPO: 2048 x 8 augmented samples / 32; 64x64 SiLU score
    network, critic on (s, a^k, one-hot k)).

The networks and update steps are bench/peers/torch_update.py's, at Hopper-v4's sizes; that
module is imported first, so every thread pool is pinned to `--threads` before torch loads.
Reported per case: this process's CPU time (user + system) and wall time per env step over a
window of env steps after a warm-up, and the window's length.

Usage: python3 bench/peers/torch_throughput.py [--json] [--threads N] [--scale X]
(`--scale` multiplies every window, e.g. 0.05 for a smoke test). Without PyTorch it prints how
to install it and exits 0.
"""

import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pins the thread pools (it reads --threads from sys.argv) and exits 0 without torch
import torch_update as peer  # noqa: E402

import torch  # noqa: E402
from torch import nn  # noqa: E402

HOPPER_OBS, HOPPER_ACT = 11, 3
ROLLOUT, MINIBATCHES, EPOCHS = 2048, 32, 10
PPO_UPDATES_PER_STEP = MINIBATCHES * EPOCHS / ROLLOUT


class DiffPpoMinibatch:
    """One DiffPPO minibatch step as dmerl runs it: the density of one denoising step per
    augmented sample, the advantage corrected by -tau (l_theta - l_old) outside the gradient,
    PPO's clipped surrogate and clipped value loss on V(s, a^k, one-hot k), gradient-norm
    clipping, one Adam over actor and critic."""

    def __init__(self, K, tau=2e-4):
        self.K, self.tau = K, tau
        self.actor = peer.DiffusionActor(K)
        self.critic = peer.mlp(peer.OBS + peer.ACT + K, 1, [peer.HIDDEN, peer.HIDDEN], nn.Tanh)
        self.params = list(self.actor.parameters()) + list(self.critic.parameters())
        self.opt = torch.optim.Adam(self.params, lr=3e-4, eps=1e-8)
        n = peer.BATCH
        self.obs, self.a, self.prev = (torch.randn(n, d) for d in (peer.OBS, peer.ACT, peer.ACT))
        self.k = torch.randint(1, K + 1, (n,))
        self.old_logq, self.old_l = torch.randn(n) - 3, 0.1 * torch.randn(n)
        self.values, self.adv, self.ret = torch.randn(n), torch.randn(n), torch.randn(n)

    def densities(self, obs, a, prev, k):
        mean, eta = self.actor.mean_eta(obs, a, k)
        log_q = self.actor.log_normal(prev, mean, eta)
        back = prev - eta * prev / self.actor.sigma0**2
        return log_q, log_q - self.actor.log_normal(a, back, eta)

    def value(self, obs, a, k):
        one_hot = nn.functional.one_hot(k - 1, self.K).float()
        return self.critic(torch.cat([obs, a, one_hot], 1)).squeeze(1)

    def act(self, obs, a, k):
        """One rollout step at batch 1: the denoising step and the value."""
        with torch.no_grad():
            kk = torch.full((1,), k, dtype=torch.long)
            nxt, _ = self.actor.denoise(obs, a, kk, torch.randn(1, peer.ACT))
            self.value(obs, a, kk).numpy()
            return nxt

    def update(self):
        idx = torch.randperm(peer.BATCH)
        obs, a, prev, k = self.obs[idx], self.a[idx], self.prev[idx], self.k[idx]
        old_logq, old_l = self.old_logq[idx], self.old_l[idx]
        values, adv, ret = self.values[idx], self.adv[idx], self.ret[idx]
        with torch.no_grad():
            adv = adv - self.tau * (self.densities(obs, a, prev, k)[1] - old_l)
        adv = (adv - adv.mean()) / (adv.std(unbiased=False) + 1e-8)
        log_q, _ = self.densities(obs, a, prev, k)
        log_ratio = log_q - old_logq
        ratio = log_ratio.exp()
        pg = torch.max(-adv * ratio, -adv * ratio.clamp(0.8, 1.2)).mean()
        value = self.value(obs, a, k)
        v_clipped = values + (value - values).clamp(-0.2, 0.2)
        v_loss = 0.5 * torch.max((value - ret) ** 2, (v_clipped - ret) ** 2).mean()
        kl = ((ratio - 1) - log_ratio).mean()
        clipfrac = ((ratio - 1).abs() > 0.2).float().mean()
        loss = pg + 0.5 * v_loss
        self.opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(self.params, 0.5)
        self.opt.step()
        _stats = (pg.item(), v_loss.item(), kl.item(), clipfrac.item())


def sac_case():
    peer.set_sizes(HOPPER_OBS, HOPPER_ACT, 256, 256, 1.0)
    algo = peer.Sac()

    def act():
        with torch.no_grad():
            algo.actor.sample(torch.randn(1, peer.OBS), torch.randn(1, peer.ACT))[0].numpy()

    return act, algo.update, 1.0


def diffsac_case(K):
    peer.set_sizes(HOPPER_OBS, HOPPER_ACT, 256, 256, 1.0)
    algo = peer.DiffSacChain(K)

    def act():
        with torch.no_grad():
            noise = torch.randn(1, K + 1, peer.ACT)
            torch.tanh(algo.actor.sample_chain(torch.randn(1, peer.OBS), noise)[0]).numpy()

    return act, algo.update, 1.0


def ppo_case():
    peer.set_sizes(HOPPER_OBS, HOPPER_ACT, ROLLOUT // MINIBATCHES, 64, 1.0)
    algo = peer.PpoMinibatch()

    def act():
        with torch.no_grad():
            obs = torch.randn(1, peer.OBS)
            mean = algo.actor(obs)
            u = mean + algo.log_std.exp() * torch.randn(1, peer.ACT)
            z = (u - mean) / algo.log_std.exp()
            logp = (-(0.5 * z * z + algo.log_std + 0.5 * peer.LOG_2PI)).sum(1)
            u.numpy(), logp.numpy(), algo.critic(obs).numpy()

    return act, algo.update, PPO_UPDATES_PER_STEP


def diffppo_case(K):
    peer.set_sizes(HOPPER_OBS, HOPPER_ACT, ROLLOUT * K // MINIBATCHES, 64, 1.0)
    algo = DiffPpoMinibatch(K)

    def act():
        obs = torch.randn(1, peer.OBS)
        a = algo.actor.sigma0 * torch.randn(1, peer.ACT)
        for k in range(K, 0, -1):
            a = algo.act(obs, a, k)
        torch.tanh(a).numpy()

    return act, algo.update, PPO_UPDATES_PER_STEP


# name -> (builder, warm-up env steps, measured env steps); the windows hold whole update
# cycles (2 env steps for SAC; for PPO a whole rollout's 2048 env steps and 320 minibatches)
CASES = {
    "sac": (sac_case, 400, 300),
    "diffsac-k8": (lambda: diffsac_case(8), 120, 100),
    "ppo": (ppo_case, 256, ROLLOUT),
    "diffppo-k8": (lambda: diffppo_case(8), 128, ROLLOUT),
}


def replay(act, update, updates_per_step, warmup, steps):
    """Acts and updates for `warmup` then `steps` env steps; CPU and wall ms per env step."""
    owed = 0.0

    def run(n):
        nonlocal owed
        for _ in range(n):
            act()
            owed += updates_per_step
            while owed >= 1:
                update()
                owed -= 1

    run(warmup)
    cpu, wall = time.process_time(), time.perf_counter()
    run(steps)
    return {
        "cpu": (time.process_time() - cpu) * 1000 / steps,
        "wall": (time.perf_counter() - wall) * 1000 / steps,
        "steps": steps,
        "updatesPerStep": updates_per_step,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--threads", type=int, default=1, help="threads of every pool")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every window")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated cases")
    args = parser.parse_args()
    pools = peer.start(args.threads)
    results = {}
    for name in args.cases.split(","):
        build, warmup, steps = CASES[name]
        act, update, per_step = build()
        scaled = (max(1, math.ceil(warmup * args.scale)), max(2, math.ceil(steps * args.scale)))
        results[name] = replay(act, update, per_step, *scaled)
    if not peer.report(results, pools, args.json, note="; no simulator"):
        return
    print(f"{'loop':12s} {'CPU ms':>8s} {'wall ms':>8s} {'steps':>6s}  (per env step)")
    for name, ms in results.items():
        print(f"{name:12s} {ms['cpu']:8.2f} {ms['wall']:8.2f} {ms['steps']:6d}")


if __name__ == "__main__":
    main()
