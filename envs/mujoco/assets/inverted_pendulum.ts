/**
 * MJCF model of Gymnasium's `InvertedPendulum-v4` (the `inverted_pendulum.xml` that
 * `inverted_pendulum_v4.py` loads).
 *
 * Key facts: RK4 integrator, timestep 0.02 s (frame_skip 2 gives dt 0.04), gravity -9.81,
 * angles in degrees (the compiler default), nq 2, nv 2 (cart slider in [-1, 1] m, pole hinge
 * in [-90, 90] degrees), nu 1 (motor on the slider, gear 100, ctrlrange [-3, 3]), nbody 3
 * including the world. All geoms have contype 0, so nothing collides.
 *
 * Reproduced attribute for attribute from the published file (it sets no `coordinate`;
 * tabs re-indented as spaces). The model has no textures.
 */
export const INVERTED_PENDULUM_XML = `<mujoco model="inverted pendulum">
  <compiler inertiafromgeom="true"/>
  <default>
    <joint armature="0" damping="1" limited="true"/>
    <geom contype="0" friction="1 0.1 0.1" rgba="0.7 0.7 0 1"/>
    <tendon/>
    <motor ctrlrange="-3 3"/>
  </default>
  <option gravity="0 0 -9.81" integrator="RK4" timestep="0.02"/>
  <size nstack="3000"/>
  <worldbody>
    <!--geom name="ground" type="plane" pos="0 0 0" /-->
    <geom name="rail" pos="0 0 0" quat="0.707 0 0.707 0" rgba="0.3 0.3 0.7 1" size="0.02 1" type="capsule"/>
    <body name="cart" pos="0 0 0">
      <joint axis="1 0 0" limited="true" name="slider" pos="0 0 0" range="-1 1" type="slide"/>
      <geom name="cart" pos="0 0 0" quat="0.707 0 0.707 0" size="0.1 0.1" type="capsule"/>
      <body name="pole" pos="0 0 0">
        <joint axis="0 1 0" name="hinge" pos="0 0 0" range="-90 90" type="hinge"/>
        <geom fromto="0 0 0 0.001 0 0.6" name="cpole" rgba="0 0.7 0.7 1" size="0.049 0.3" type="capsule"/>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor ctrllimited="true" ctrlrange="-3 3" gear="100" joint="slider" name="slide"/>
  </actuator>
</mujoco>
`;
