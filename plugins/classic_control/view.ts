/// <reference lib="dom" />
/**
 * How the classic-control envs are drawn in the viewer page, in 2-D on a canvas: Pendulum's
 * rod, MountainCarContinuous's hill and car, and DoubleWell's reward landscape with the last
 * sampled actions on it. Each reads the env's own state (or, for DoubleWell's landscape, its
 * own reward), so the picture is the env's, not a copy of its equations.
 */
import type { Env } from "../../core/env.ts";
import type { EnvView, EnvViewFactory, ViewFrame } from "../../core/env_view.ts";
import { Pendulum, type PendulumState } from "../../envs/pendulum.ts";
import {
  MountainCarContinuous,
  type MountainCarContinuousState,
} from "../../envs/mountain_car_continuous.ts";
import { DoubleWell } from "../../envs/double_well.ts";

type Ctx = CanvasRenderingContext2D;

/** A 2-D view: `paint` draws in a square world of side 2 centred on the origin, y up. */
class CanvasView implements EnvView {
  private readonly ctx: Ctx;
  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly paint: (ctx: Ctx, frame: ViewFrame, unit: number) => void,
    /** World units shown around the centre (half the shorter side). */
    private readonly halfExtent: number,
  ) {
    this.ctx = canvas.getContext("2d")!;
    this.resize(canvas.clientWidth || canvas.width, canvas.clientHeight || canvas.height);
  }

  resize(width: number, height: number): void {
    this.canvas.width = width;
    this.canvas.height = height;
  }

  draw(frame: ViewFrame): void {
    const { ctx, canvas } = this;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#f4f6f8";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const unit = Math.min(canvas.width, canvas.height) / (2 * this.halfExtent);
    ctx.setTransform(unit, 0, 0, -unit, canvas.width / 2, canvas.height / 2);
    this.paint(ctx, frame, unit);
  }
}

function pendulumView(env: Pendulum, canvas: HTMLCanvasElement): EnvView {
  return new CanvasView(canvas, (ctx, frame, unit) => {
    const { th } = env.state() as PendulumState;
    // th = 0 is upright; positive th turns counter-clockwise, as Gymnasium draws it.
    const x = -Math.sin(th);
    const y = Math.cos(th);
    ctx.lineCap = "round";
    ctx.strokeStyle = "#cc4c4c";
    ctx.lineWidth = 0.2;
    ctx.beginPath();
    ctx.moveTo(0, 0);
    ctx.lineTo(x, y);
    ctx.stroke();
    ctx.fillStyle = "#222";
    ctx.beginPath();
    ctx.arc(0, 0, 0.05, 0, 2 * Math.PI);
    ctx.fill();
    const u = frame.action ? frame.action[0] : 0;
    if (u !== 0) {
      // The torque as an arc around the pivot: length and direction follow the action.
      ctx.strokeStyle = "#2f6db5";
      ctx.lineWidth = 2 / unit;
      ctx.beginPath();
      ctx.arc(0, 0, 0.3, Math.PI / 2, Math.PI / 2 + (u / 2) * Math.PI * 0.75, u < 0);
      ctx.stroke();
    }
  }, 1.3);
}

const CAR_MIN_X = -1.2;
const CAR_MAX_X = 0.6;
const GOAL_X = 0.45;
/** Gymnasium's track height: `sin(3x) * 0.45 + 0.55`. */
const trackHeight = (x: number) => Math.sin(3 * x) * 0.45 + 0.55;

function mountainCarView(env: MountainCarContinuous, canvas: HTMLCanvasElement): EnvView {
  // The track's x range fills 2.4 world units (a 4:3 canvas shows 2.67), heights scaled alike,
  // so the drawing keeps the track's true slopes. The car has Gymnasium's proportions: 40x20
  // pixels and wheels of radius 8 on a 600-pixel track of length 1.8.
  const scale = 2.4 / (CAR_MAX_X - CAR_MIN_X);
  const px = (x: number) => (x - CAR_MIN_X) * scale - 1.2;
  const py = (x: number) => trackHeight(x) * scale - 0.85;
  const carW = 0.12 * scale;
  const carH = 0.06 * scale;
  const wheel = 0.024 * scale;
  return new CanvasView(canvas, (ctx, frame, unit) => {
    const { position } = env.state() as MountainCarContinuousState;
    ctx.lineJoin = ctx.lineCap = "round";
    // the hill, filled below the track
    ctx.beginPath();
    ctx.moveTo(px(CAR_MIN_X), -1);
    for (let i = 0; i <= 120; i++) {
      const x = CAR_MIN_X + ((CAR_MAX_X - CAR_MIN_X) * i) / 120;
      ctx.lineTo(px(x), py(x));
    }
    ctx.lineTo(px(CAR_MAX_X), -1);
    ctx.closePath();
    ctx.fillStyle = "#dfe6d8";
    ctx.fill();
    ctx.strokeStyle = "#333";
    ctx.lineWidth = 2 / unit;
    ctx.stroke();
    // the goal: a pole and a yellow flag
    const [gx, gy] = [px(GOAL_X), py(GOAL_X)];
    ctx.beginPath();
    ctx.moveTo(gx, gy);
    ctx.lineTo(gx, gy + 0.2);
    ctx.stroke();
    ctx.fillStyle = "#e5c100";
    ctx.beginPath();
    ctx.moveTo(gx, gy + 0.2);
    ctx.lineTo(gx + 0.1, gy + 0.175);
    ctx.lineTo(gx, gy + 0.15);
    ctx.fill();
    // the car, standing on the track along its slope
    const slope = Math.atan(Math.cos(3 * position) * 3 * 0.45);
    ctx.save();
    ctx.translate(px(position), py(position));
    ctx.rotate(slope);
    ctx.fillStyle = "#2f6db5";
    ctx.fillRect(-carW / 2, wheel, carW, carH);
    ctx.fillStyle = "#333";
    for (const wx of [-carW / 3, carW / 3]) {
      ctx.beginPath();
      ctx.arc(wx, wheel, wheel, 0, 2 * Math.PI);
      ctx.fill();
    }
    // the action: an arrow along the track, its length the force (1 = a car length)
    const u = frame.action ? Math.max(-1, Math.min(1, frame.action[0])) : 0;
    if (u !== 0) {
      const y = wheel + carH + 0.05;
      const tip = u * carW * 1.2;
      ctx.strokeStyle = ctx.fillStyle = u > 0 ? "#2a9d4b" : "#cc4c4c";
      ctx.lineWidth = 3 / unit;
      ctx.beginPath();
      ctx.moveTo(0, y);
      ctx.lineTo(tip, y);
      ctx.stroke();
      const head = Math.sign(u) * 0.04;
      ctx.beginPath();
      ctx.moveTo(tip + head, y);
      ctx.lineTo(tip, y + 0.025);
      ctx.lineTo(tip, y - 0.025);
      ctx.fill();
    }
    ctx.restore();
  }, 1);
}

function doubleWellView(env: DoubleWell, canvas: HTMLCanvasElement): EnvView {
  // The landscape, scored by a probe of the same env (its own reward), once.
  const probe = new DoubleWell({ radius: env.radius, width: env.width });
  const n = 160;
  const image = document.createElement("canvas");
  image.width = image.height = n;
  const ictx = image.getContext("2d")!;
  const pixels = ictx.createImageData(n, n);
  const a = new Float32Array(2);
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      a[0] = -1 + (2 * (col + 0.5)) / n;
      a[1] = 1 - (2 * (row + 0.5)) / n;
      const r = Math.max(0, Math.min(1, probe.step(a).reward));
      const o = 4 * (row * n + col);
      pixels.data[o] = 255 - 200 * r;
      pixels.data[o + 1] = 255 - 120 * r;
      pixels.data[o + 2] = 255 - 40 * r;
      pixels.data[o + 3] = 255;
    }
  }
  ictx.putImageData(pixels, 0, 0);
  return new CanvasView(canvas, (ctx, frame, unit) => {
    ctx.save();
    ctx.scale(1, -1); // the image's rows run downwards
    ctx.drawImage(image, -1, -1, 2, 2);
    ctx.restore();
    // the action box, its axes and the two optimal actions
    ctx.strokeStyle = "#999";
    ctx.lineWidth = 1 / unit;
    ctx.strokeRect(-1, -1, 2, 2);
    ctx.setLineDash([4 / unit, 4 / unit]);
    ctx.beginPath();
    ctx.moveTo(-1, 0);
    ctx.lineTo(1, 0);
    ctx.moveTo(0, -1);
    ctx.lineTo(0, 1);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.strokeStyle = "#1f4e8c";
    ctx.lineWidth = 2 / unit;
    const arm = 8 / unit;
    for (const [mx, my] of env.modes) {
      ctx.beginPath();
      ctx.moveTo(mx - arm, my);
      ctx.lineTo(mx + arm, my);
      ctx.moveTo(mx, my - arm);
      ctx.lineTo(mx, my + arm);
      ctx.stroke();
    }
    // axis names, drawn upright
    ctx.save();
    ctx.scale(1, -1);
    ctx.fillStyle = "#555";
    ctx.font = `${14 / unit}px sans-serif`;
    ctx.fillText("a[0]", 1 - 34 / unit, -4 / unit);
    ctx.fillText("a[1]", 4 / unit, -1 + 16 / unit);
    ctx.restore();
    // the last actions: older ones fainter, the newest red and larger
    const recent = frame.recentActions;
    recent.forEach((act, i) => {
      ctx.globalAlpha = 0.25 + (0.75 * (i + 1)) / recent.length;
      ctx.fillStyle = i === recent.length - 1 ? "#d62728" : "#333";
      ctx.beginPath();
      ctx.arc(act[0], act[1], (i === recent.length - 1 ? 5 : 3) / unit, 0, 2 * Math.PI);
      ctx.fill();
    });
    ctx.globalAlpha = 1;
  }, 1.05);
}

/** The view factory of the classic-control envs (and DoubleWell). */
export const classicControlView: EnvViewFactory = (env: Env, canvas: unknown): EnvView => {
  const c = canvas as HTMLCanvasElement;
  if (env instanceof Pendulum) return pendulumView(env, c);
  if (env instanceof MountainCarContinuous) return mountainCarView(env, c);
  if (env instanceof DoubleWell) return doubleWellView(env, c);
  throw new Error(`classicControlView: no drawing for '${env.id}'`);
};
