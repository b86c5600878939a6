"""Registration of dialogym's environment ids with Gymnasium (done on ``import dialogym``)."""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

ENTRY_POINT = "dialogym.envs.dialogue:DialogueEnv"

PYDIAL_TASKS: dict[str, dict[str, object]] = {
    "dialogym/PyDialEnv1-v0": {"ser": 0.0, "masks": True, "user": "standard"},
    "dialogym/PyDialEnv2-v0": {"ser": 0.0, "masks": False, "user": "standard"},
    "dialogym/PyDialEnv3-v0": {"ser": 0.15, "masks": True, "user": "standard"},
    "dialogym/PyDialEnv4-v0": {"ser": 0.15, "masks": False, "user": "standard"},
    "dialogym/PyDialEnv5-v0": {"ser": 0.15, "masks": True, "user": "unfriendly"},
    "dialogym/PyDialEnv6-v0": {"ser": 0.30, "masks": True, "user": "standard"},
}
"""PyDial's benchmark configurations env1..env6 (Casanueva et al. 2017), each taking ``domain=``."""

ENV_IDS: tuple[str, ...] = ("dialogym/Dialogue-v0", *PYDIAL_TASKS)
"""Every id dialogym registers."""


def register_envs() -> None:
    """Register every dialogym id (idempotent).

    The environments are registered without Gymnasium's passive checker and order-enforcing
    wrappers, so ``gymnasium.make`` returns the `DialogueEnv` itself: ``env.action_masks()``
    works directly, and a step costs no wrapper overhead. The test-suite runs the checkers.
    """
    for env_id in ENV_IDS:
        if env_id in registry:
            continue
        register(
            id=env_id,
            entry_point=ENTRY_POINT,
            kwargs=dict(PYDIAL_TASKS.get(env_id, {})),
            order_enforce=False,
            disable_env_checker=True,
        )
