"""dialogym: task-oriented dialogue as a Gymnasium reinforcement-learning environment.

Importing the package registers the environment ids (``dialogym/Dialogue-v0`` and the six
PyDial benchmark tasks ``dialogym/PyDialEnv1-v0`` .. ``dialogym/PyDialEnv6-v0``).
"""

from dialogym.envs import ENV_IDS, DialogueEnv, register_envs

__version__ = "0.1.0"

register_envs()

__all__ = ["ENV_IDS", "DialogueEnv", "__version__"]
