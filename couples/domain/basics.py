"""The words every part of the domain uses: roles, options, scales, the fields every step has,
and one value per partner.

Step kinds (:mod:`couples.domain.kinds`), plans and session states are all built from these, so
this module imports nothing else from the domain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Generic, Literal, TypeVar

Role = Literal["a", "b"]
Viewer = Literal["a", "b", "counselor"]
PARTNERS: tuple[Role, Role] = ("a", "b")
NO_ROLES: frozenset[Role] = frozenset()
"""The one empty set of roles every state shares: each new empty frozenset costs 216 bytes, and a
process keeps the newest state of thousands of sessions."""
Pairs = tuple[tuple[str, Any], ...]
"""An ordered, immutable mapping (id -> value), kept in the plan's order."""

T = TypeVar("T")


def other(role: Role) -> Role:
    """The partner who is not ``role``."""
    return "b" if role == "a" else "a"


@dataclass(frozen=True)
class Option:
    """One choice a partner can pick."""

    id: str
    label: str


@dataclass(frozen=True)
class Scale:
    """An integer scale, e.g. 0 (never) to 4 (almost always)."""

    min: int = 0
    max: int = 4
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """Fields every step has; each step kind adds its own settings in a subclass."""

    id: str
    title: str
    body: str = ""

    kind = "step"


def roles_from(stored: Any) -> frozenset[Role]:
    """A stored list of roles as a set (:data:`NO_ROLES` when empty)."""
    return frozenset(stored) if stored else NO_ROLES


def _same(value: Any) -> Any:
    """Identity, for values that are already JSON-friendly."""
    return value


def pairs_from(mapping: Mapping[str, Any]) -> Pairs:
    """Freeze a stored mapping into pairs, keeping its order."""
    return tuple((key, value) for key, value in mapping.items())


@dataclass(frozen=True)
class ByRole(Generic[T]):
    """One optional value per partner, e.g. each partner's private answer."""

    a: T | None = None
    b: T | None = None

    def get(self, role: Role) -> T | None:
        """The value ``role`` gave, if any."""
        return self.a if role == "a" else self.b

    def put(self, role: Role, value: T) -> ByRole[T]:
        """A copy where ``role`` gave ``value``."""
        return replace(self, **{role: value})

    def given(self) -> dict[str, bool]:
        """Which partners have given a value."""
        return {role: self.get(role) is not None for role in PARTNERS}

    def both(self) -> bool:
        """Whether both partners have given a value."""
        return self.a is not None and self.b is not None

    def encode(self, encode: Callable[[T], Any] = _same) -> dict[str, Any]:
        """JSON form; missing values stay None."""
        return {role: None if (value := self.get(role)) is None else encode(value) for role in PARTNERS}

    @classmethod
    def decode(cls, data: Mapping[str, Any], decode: Callable[[Any], T] = _same) -> ByRole[T]:
        """Inverse of :meth:`encode`; nothing given decodes to the one shared empty value."""
        if data.get("a") is None and data.get("b") is None:
            return NOBODY
        return cls(**{role: None if data.get(role) is None else decode(data[role]) for role in PARTNERS})


NOBODY: ByRole[Any] = ByRole()
"""No value from either partner: decoded states share it, as new ones share their fields' default."""
