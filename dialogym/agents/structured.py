"""The structured policy: one small network shared by every slot, for any domain.

A flat MLP over the belief has a weight for every (feature, action) pair of one domain: it
learns Laptops11's eleven slots one by one, and cannot act in another domain. This policy reads
the per-slot layout (`dialogym.encoders.slots`, an env made with ``layout="slots"``) and is
built from parts that do not depend on the ontology (after Wang et al., 2015; Chen et al.,
2018 and 2020, structured actor-critic; the code is dialogym's own):

* a **slot network** reads each slot row together with the global features and gives that slot
  an embedding; the same weights serve every slot (and another copy every booking slot);
* a **general network** reads the global features with the mean and the maximum of the slot
  embeddings (so it does not depend on the order or the number of slots) and gives a dialogue
  embedding;
* a **slot head** turns each slot embedding, with the dialogue embedding, into that slot's three
  action scores (request, confirm, select; request only for booking slots), and a **general
  head** the dialogue embedding into the scores of the six actions that name no slot;
* the critic has the same structure with its own weights, ending in one value.

**Booking** moves are scored as what they are for the user: the fulfilment of a pending wish,
as ``inform`` fulfils a request. ``book`` and each booking request (asking for a missing
booking detail) score ``inform``'s score plus `BOOK_PREFERENCE` plus their own learned part
(a booking request's also picks the detail among the domain's booking slots). Where the mask
allows them (the user wants a booking; every detail known for ``book``, this one missing for a
request), an agent that would answer with ``inform`` moves the booking on instead. So a policy
trained in a domain without booking (CamRestaurants: booking moves never allowed, their own
parts never trained) books in a domain with booking it never saw, and training in a booking
domain adjusts the learned parts.

Rows the domain lacks get a score of `MISSING_SCORE`, and so does ``book`` in a domain
without booking slots, so even an agent that knows no masks (plain PPO) never picks them. Permuting the domain's slots permutes their scores and changes
nothing else (`tests/agents/test_structured.py`).

Use it as the ``policy`` of PPO or MaskablePPO (`SlotPolicy`, `MaskableSlotPolicy`), on an env
with ``layout="slots"``; ``policy_kwargs`` take ``width`` (the embeddings' size).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import torch
from sb3_contrib.common.maskable.policies import MaskableActorCriticPolicy
from stable_baselines3.common.policies import ActorCriticPolicy
from torch import nn

from dialogym.encoders.slots import (
    BOOKING_FEATURES,
    GLOBAL_FEATURES,
    MAX_BOOKING_SLOTS,
    MAX_SLOTS,
    SIZE,
    SLOT_FEATURES,
)
from dialogym.envs.actions import GLOBAL_ACTIONS

MISSING_SCORE = -1e8
"""The score of an action on a slot row the domain lacks."""
DEFAULT_WIDTH = 64
"""Size of the slot and dialogue embeddings."""
N_ACTIONS = 3 * MAX_SLOTS + MAX_BOOKING_SLOTS + len(GLOBAL_ACTIONS)
"""Actions of the per-slot layout (`dialogym.envs.actions.SlotActions`)."""
BOOK_PREFERENCE = 1.0
"""What the booking moves score above ``inform`` before any training in a booking domain."""
INFORM = GLOBAL_ACTIONS.index("inform")
BOOK = GLOBAL_ACTIONS.index("book")
SLOT_ACTION_KINDS = ("request", "request booking", "confirm", "select")
"""The kinds of move that name a slot, each with a score of its own."""


def _mlp(inputs: int, width: int) -> nn.Sequential:
    """Two ReLU layers of ``width``."""
    return nn.Sequential(nn.Linear(inputs, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU())


def _pool(embeddings: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
    """Mean and maximum over the present rows (zeros when none is present)."""
    weights = present.unsqueeze(-1)
    count = weights.sum(dim=1).clamp(min=1.0)
    mean = (embeddings * weights).sum(dim=1) / count
    peak = torch.where(weights > 0, embeddings, torch.zeros_like(embeddings)).amax(dim=1)
    return torch.cat([mean, peak], dim=-1)


def _present_rows(rows: torch.Tensor) -> torch.Tensor:
    """The rows up to the last one present in any observation of the batch (at least one).

    Rows past it are padding for a larger domain: leaving them out makes the networks' work
    follow the domain's size (CamRestaurants' 3 constraint rows, not `MAX_SLOTS`) and changes
    no score, since absent rows take no part in the pooling or the choice of a slot.
    """
    present = (rows[:, :, 0] > 0.5).any(dim=0).nonzero()
    count = int(present[-1, 0]) + 1 if len(present) else 1
    return rows[:, :count]


def _pad_rows(scores: torch.Tensor, rows: int) -> torch.Tensor:
    """Row scores (batch x present rows) padded to ``rows`` with `MISSING_SCORE`."""
    return nn.functional.pad(scores, (0, rows - scores.shape[1]), value=MISSING_SCORE)


def _choose_slot(scores: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
    """Log-probabilities of the present rows (over rows, per action kind); missing rows low."""
    missing = torch.full_like(scores, MISSING_SCORE)
    chosen = torch.log_softmax(torch.where(present > 0, scores, missing), dim=1)
    return torch.where(present > 0, chosen, missing)


class SlotTrunk(nn.Module):
    """Slot embeddings and the dialogue embedding of a batch of per-slot observations."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.slots = _mlp(SLOT_FEATURES + GLOBAL_FEATURES, width)
        self.booking = _mlp(BOOKING_FEATURES + GLOBAL_FEATURES, width)
        self.general = _mlp(GLOBAL_FEATURES + 4 * width, width)

    def forward(
        self, observations: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Slot embeddings, booking embeddings, dialogue embedding, and which rows are present."""
        batch = observations.shape[0]
        general = observations[:, :GLOBAL_FEATURES]
        end = GLOBAL_FEATURES + MAX_SLOTS * SLOT_FEATURES
        slot_rows = _present_rows(
            observations[:, GLOBAL_FEATURES:end].reshape(batch, MAX_SLOTS, SLOT_FEATURES)
        )
        booking_rows = _present_rows(
            observations[:, end:].reshape(batch, MAX_BOOKING_SLOTS, BOOKING_FEATURES)
        )
        slots_present = (slot_rows[:, :, 0] > 0.5).float()
        booking_present = (booking_rows[:, :, 0] > 0.5).float()
        slots = self.slots(
            torch.cat([slot_rows, general.unsqueeze(1).expand(-1, slot_rows.shape[1], -1)], dim=-1)
        )
        booking = self.booking(
            torch.cat(
                [booking_rows, general.unsqueeze(1).expand(-1, booking_rows.shape[1], -1)],
                dim=-1,
            )
        )
        dialogue = self.general(
            torch.cat(
                [general, _pool(slots, slots_present), _pool(booking, booking_present)], dim=-1
            )
        )
        return slots, booking, dialogue, slots_present, booking_present


class SlotNetworks(nn.Module):
    """SB3's ``mlp_extractor`` for the structured policy: action scores and value features.

    ``forward_actor`` returns the scores of every action of the per-slot layout (the policy's
    ``action_net`` is the identity), ``forward_critic`` the critic's dialogue embedding.
    """

    def __init__(self, width: int) -> None:
        super().__init__()
        self.latent_dim_pi = N_ACTIONS
        self.latent_dim_vf = width
        self.actor = SlotTrunk(width)
        self.critic = SlotTrunk(width)
        self.slot_head = nn.Sequential(nn.Linear(2 * width, width), nn.ReLU(), nn.Linear(width, 3))
        self.booking_head = nn.Sequential(
            nn.Linear(2 * width, width), nn.ReLU(), nn.Linear(width, 1)
        )
        self.general_head = nn.Linear(width, len(GLOBAL_ACTIONS) + len(SLOT_ACTION_KINDS))

    def output_layers(self) -> tuple[nn.Linear, ...]:
        """The layers that give action scores (initialised small, as SB3 does its action net)."""
        return (self.slot_head[-1], self.booking_head[-1], self.general_head)  # type: ignore[return-value]

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Action scores and value features."""
        return self.forward_actor(features), self.forward_critic(features)

    def forward_actor(self, features: torch.Tensor) -> torch.Tensor:
        """The scores (log-probabilities up to a constant) of the actions, in `SlotActions` order.

        A slot action's score is its kind's score (request, booking request, confirm, select:
        from the dialogue embedding, like the global actions') plus the log-probability of its
        slot among the domain's slots for that kind: the policy picks a kind of move, then a
        slot, so that a domain with more slots does not make slot moves more likely. The
        booking moves share ``inform``'s score (see the module docstring).
        """
        slots, booking, dialogue, slots_present, booking_present = self.actor(features)
        slot_scores = self.slot_head(
            torch.cat([slots, dialogue.unsqueeze(1).expand(-1, slots.shape[1], -1)], dim=-1)
        )
        booking_scores = self.booking_head(
            torch.cat([booking, dialogue.unsqueeze(1).expand(-1, booking.shape[1], -1)], dim=-1)
        )
        general = self.general_head(dialogue)
        kinds = general[:, len(GLOBAL_ACTIONS) :]
        fulfil = general[:, INFORM] + BOOK_PREFERENCE  # the booking moves' shared part
        book = general[:, BOOK] + fulfil
        bookable = booking_present.amax(dim=1) > 0
        book = torch.where(bookable, book, torch.full_like(book, MISSING_SCORE))
        moves = torch.cat(
            [general[:, :BOOK], book.unsqueeze(-1), general[:, BOOK + 1 : len(GLOBAL_ACTIONS)]],
            dim=-1,
        )
        slot_part = _choose_slot(slot_scores, slots_present.unsqueeze(-1))
        booking_part = _choose_slot(booking_scores, booking_present.unsqueeze(-1)).squeeze(-1)
        return torch.cat(
            [
                _pad_rows(kinds[:, 0:1] + slot_part[:, :, 0], MAX_SLOTS),  # requests
                _pad_rows((kinds[:, 1] + fulfil).unsqueeze(-1) + booking_part, MAX_BOOKING_SLOTS),
                _pad_rows(kinds[:, 2:3] + slot_part[:, :, 1], MAX_SLOTS),  # confirms
                _pad_rows(kinds[:, 3:4] + slot_part[:, :, 2], MAX_SLOTS),  # selects
                moves,
            ],
            dim=-1,
        ).clamp(min=MISSING_SCORE)

    def forward_critic(self, features: torch.Tensor) -> torch.Tensor:
        """The critic's dialogue embedding."""
        return self.critic(features)[2]


class _Structured:
    """What the PPO and MaskablePPO structured policies share (mixed in before SB3's class)."""

    def __init__(
        self,
        observation_space: gym.spaces.Space[Any],
        action_space: gym.spaces.Space[Any],
        *args: Any,
        width: int = DEFAULT_WIDTH,
        **kwargs: Any,
    ) -> None:
        shape = getattr(observation_space, "shape", None)
        n = getattr(action_space, "n", None)
        if shape != (SIZE,) or n != N_ACTIONS:
            raise ValueError(
                f"the structured policy needs the per-slot layout (observations ({SIZE},),"
                f" Discrete({N_ACTIONS}); an env made with layout='slots'), not {shape} and"
                f" {action_space}"
            )
        if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= 1024:
            raise ValueError(f"policy_kwargs: width must be an integer in [1, 1024], got {width!r}")
        self.width = width
        super().__init__(observation_space, action_space, *args, **kwargs)  # type: ignore[call-arg]

    def _build_mlp_extractor(self) -> None:
        self.mlp_extractor = SlotNetworks(self.width)

    def _build(self, lr_schedule: Any) -> None:
        super()._build(lr_schedule)  # type: ignore[misc]
        self.action_net = nn.Identity()
        for layer in self.mlp_extractor.output_layers():
            nn.init.orthogonal_(layer.weight, gain=0.01)
            nn.init.zeros_(layer.bias)
        self.optimizer = self.optimizer_class(  # type: ignore[attr-defined]
            self.parameters(),  # type: ignore[attr-defined]
            lr=lr_schedule(1),
            **self.optimizer_kwargs,  # type: ignore[attr-defined]
        )

    def _get_constructor_parameters(self) -> dict[str, Any]:
        return {**super()._get_constructor_parameters(), "width": self.width}  # type: ignore[misc]


class SlotPolicy(_Structured, ActorCriticPolicy):  # type: ignore[misc]  # its own networks
    """The structured policy for PPO and A2C (see the module docstring)."""


class MaskableSlotPolicy(_Structured, MaskableActorCriticPolicy):  # type: ignore[misc]
    """The structured policy for MaskablePPO (see the module docstring)."""


def parameter_count(width: int) -> int:
    """Parameters of a structured policy of embedding size ``width`` (actor, critic, value)."""

    def mlp(inputs: int) -> int:
        return (inputs + 1) * width + (width + 1) * width

    trunk = (
        mlp(SLOT_FEATURES + GLOBAL_FEATURES)
        + mlp(BOOKING_FEATURES + GLOBAL_FEATURES)
        + mlp(GLOBAL_FEATURES + 4 * width)
    )
    outputs = len(GLOBAL_ACTIONS) + len(SLOT_ACTION_KINDS)
    heads = (2 * width + 1) * width * 2 + (width + 1) * 4 + (width + 1) * outputs
    return 2 * trunk + heads + width + 1
