"""PNG plots of training curves and benchmark results (matplotlib, Agg backend, no display)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

Curve = Sequence[Mapping[str, Any]]
"""One run's periodic evaluations: records with ``dialogues``, ``success_rate``, ``avg_return``."""


def _figure(columns: int, rows: int = 1) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(rows, columns, figsize=(5.5 * columns, 4 * rows), squeeze=False)


def _png(figure: Any) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def learning_curves(
    curves: Mapping[str, Sequence[Curve]],
    title: str,
    metrics: Sequence[tuple[str, str]] = (
        ("success_rate", "success rate"),
        ("avg_return", "return"),
    ),
) -> bytes:
    """Success rate and return against dialogues seen: one line per label, spread shaded.

    Args:
        curves: Label (a policy) to its runs (one per seed); each run is a list of evaluations.
            The line is the mean over runs at each evaluation point, the band min to max.
        title: Figure title.
        metrics: ``(key, axis label)`` pairs, one panel each.

    Returns:
        The PNG file's bytes (write them atomically).
    """
    figure, axes = _figure(len(metrics))
    for (key, label), axis in zip(metrics, axes[0], strict=True):
        for name, runs in curves.items():
            runs = [run for run in runs if run]
            if not runs:
                continue
            length = min(len(run) for run in runs)
            x = np.array([[r["dialogues"] for r in run[:length]] for run in runs]).mean(axis=0)
            y = np.array([[r[key] for r in run[:length]] for run in runs])
            (line,) = axis.plot(x, y.mean(axis=0), marker="o", markersize=3, label=name)
            if len(runs) > 1:
                axis.fill_between(
                    x, y.min(axis=0), y.max(axis=0), alpha=0.2, color=line.get_color()
                )
        axis.set_xlabel("training dialogues")
        axis.set_ylabel(label)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle(title)
    return _png(figure)


def success_bars(table: Mapping[str, Mapping[str, tuple[float, float]]], title: str) -> bytes:
    """Grouped bars of success rate per task (group) and policy (bar), with spread as error bars.

    Args:
        table: Task to policy to ``(mean, standard deviation over seeds)``.
        title: Figure title.
    """
    tasks = list(table)
    policies = list(dict.fromkeys(p for row in table.values() for p in row))
    figure, axes = _figure(1)
    axis = axes[0][0]
    width = 0.8 / max(1, len(policies))
    for index, policy in enumerate(policies):
        means = [table[t].get(policy, (np.nan, 0.0))[0] for t in tasks]
        spreads = [table[t].get(policy, (np.nan, 0.0))[1] for t in tasks]
        positions = np.arange(len(tasks)) + (index - (len(policies) - 1) / 2) * width
        axis.bar(positions, means, width, yerr=spreads, capsize=2, label=policy)
    axis.set_xticks(np.arange(len(tasks)), tasks, rotation=20)
    axis.set_xlabel("task")
    axis.set_ylabel("success rate")
    axis.set_ylim(0.0, 1.05)
    axis.grid(axis="y", alpha=0.3)
    # Below the axes: inside, the legend would hide the bars it explains.
    axis.legend(
        fontsize=8, ncols=min(3, len(policies)), loc="upper center", bbox_to_anchor=(0.5, -0.25)
    )
    axis.set_title(title)
    return _png(figure)
