/**
 * MJCF model of the DeepMind Control suite's pendulum domain (dm_control's `suite/pendulum.xml`).
 *
 * Key facts: Euler, timestep 0.02 s, contacts disabled; nq 1, nv 1, nu 1 (motor gear 1, ctrlrange [-1, 1]); hinge damping 0.1, a 1 kg point mass 0.5 m from the hinge.
 *
 * Reproduced attribute for attribute from the published file; the suite's common includes are
 * replaced by the shared materials ({@link DMC_MATERIALS}).
 */
import { DMC_MATERIALS } from "./common.ts";

/** The pendulum model. */
export const PENDULUM_XML = `<mujoco model="pendulum">
  <asset>${DMC_MATERIALS}
  </asset>

  <option timestep="0.02">
    <flag contact="disable" energy="enable"/>
  </option>

  <worldbody>
    <light name="light" pos="0 0 2"/>
    <geom name="floor" size="2 2 .2" type="plane" material="grid"/>
    <camera name="fixed" pos="0 -1.5 2" xyaxes='1 0 0 0 1 1'/>
    <camera name="lookat" mode="targetbodycom" target="pole" pos="0 -2 1"/>
    <body name="pole" pos="0 0 .6">
      <joint name="hinge" type="hinge" axis="0 1 0" damping="0.1"/>
      <geom name="base" material="decoration" type="cylinder" fromto="0 -.03 0 0 .03 0" size="0.021" mass="0"/>
      <geom name="pole" material="self" type="capsule" fromto="0 0 0 0 0 0.5" size="0.02" mass="0"/>
      <geom name="mass" material="effector" type="sphere" pos="0 0 0.5" size="0.05" mass="1"/>
    </body>
  </worldbody>

  <actuator>
    <motor name="torque" joint="hinge" gear="1" ctrlrange="-1 1" ctrllimited="true"/>
  </actuator>
</mujoco>
`;
