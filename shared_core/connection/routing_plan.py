"""The routing tree: which target serves an attempt, and which statuses move a call to another.

One model for every way of configuring several targets: ``fallbacks=`` / ``load_balancing=``
(:func:`plan_from_weights`) and a Portkey-shaped ``routing=`` config
(``shared_core.connection.routing_config``) both become a tree of :class:`Group` nodes over
:class:`Leaf` nodes (indexes into the client's target tuple). The router
(``shared_core.policy.routing``) walks it; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

Mode = Literal["loadbalance", "fallback"]
MODES: tuple[str, ...] = ("loadbalance", "fallback")


@dataclass(frozen=True, slots=True)
class Leaf:
    """One target: its index in the client's targets."""

    index: int


@dataclass(frozen=True, slots=True)
class Group:
    """A strategy over its children.

    ``fallback``: the first usable child in order. ``loadbalance``: a usable child at random by
    ``weights`` (relative shares, as Portkey normalises them). ``on_status_codes``: the error
    statuses that move a call from one child to another (None: azoai's default of connection
    errors, 408, 429 and 5xx; connection errors and timeouts always move it).
    """

    mode: Mode
    children: tuple[Node, ...]
    weights: tuple[float, ...]
    on_status_codes: frozenset[int] | None = None

    def __post_init__(self) -> None:
        if len(self.children) != len(self.weights) or not self.children:
            raise ValueError("a Group needs one weight per child and at least one child")


Node = Leaf | Group


def leaves(node: Node) -> Iterator[int]:
    """The target indexes under ``node``, in order."""
    if isinstance(node, Leaf):
        yield node.index
        return
    for child in node.children:
        yield from leaves(child)


def plan_from_weights(weights: Sequence[float]) -> Node:
    """``fallbacks=`` / ``load_balancing=`` as a tree: the targets of positive weight share the
    load by weight, and the weight-0 ones (``priority``'s fallbacks) are tried in order only when
    none of those is usable."""
    if len(weights) == 1:
        return Leaf(0)
    main = [i for i, w in enumerate(weights) if w > 0]
    backups = [i for i, w in enumerate(weights) if w <= 0]
    if not main:
        return Group("fallback", tuple(Leaf(i) for i in backups), (1.0,) * len(backups))
    head: Node = (
        Leaf(main[0])
        if len(main) == 1
        else Group("loadbalance", tuple(Leaf(i) for i in main), tuple(float(weights[i]) for i in main))
    )
    if not backups:
        return head
    children = (head, *(Leaf(i) for i in backups))
    return Group("fallback", children, (1.0,) * len(children))


__all__ = ["Group", "Leaf", "MODES", "Mode", "Node", "leaves", "plan_from_weights"]
