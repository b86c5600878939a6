"""dialogym: task-oriented dialogue as a Gymnasium reinforcement-learning environment.

Importing the package registers the environment ids (`ALL_ENV_IDS`): the PyDial world's
(`ENV_IDS`: ``dialogym/Dialogue-v0`` and the six PyDial benchmark tasks
``dialogym/PyDialEnv1-v0`` .. ``dialogym/PyDialEnv6-v0``) and the MultiWOZ world's
(``dialogym/MultiWOZ-v0``, ``dialogym/MultiWOZ-fixed-v0``).
"""

from dialogym.envs import ALL_ENV_IDS, ENV_IDS, DialogueEnv, register_envs

__version__ = "0.1.0"

register_envs()

__all__ = ["ALL_ENV_IDS", "ENV_IDS", "DialogueEnv", "__version__"]
