"""`TurnCapSpec`: the Gymnasium spec of an env that ends its dialogues at its own turn cap."""

from __future__ import annotations

import dataclasses

from gymnasium.envs.registration import EnvSpec


class TurnCapSpec:
    """Gives an env a ``spec`` whose ``max_episode_steps`` is the env's own ``max_turns``.

    dialogym's envs end (and judge) a dialogue at their turn cap themselves, so their ids are
    registered without ``TimeLimit`` (which would cut a longer dialogue short of its verdict);
    tools that read the limit from the spec (RL Zoo's time features) find it here. Mix it in
    before ``gymnasium.Env``.
    """

    max_turns: int
    """The most system turns a dialogue has."""

    @property
    def spec(self) -> EnvSpec | None:
        """The env's Gymnasium spec, with ``max_episode_steps`` its own ``max_turns``."""
        made = self.__dict__.get("_spec")
        if made is None or made.max_episode_steps == self.max_turns:
            return made
        return dataclasses.replace(made, max_episode_steps=self.max_turns)

    @spec.setter
    def spec(self, value: EnvSpec | None) -> None:
        self.__dict__["_spec"] = value
