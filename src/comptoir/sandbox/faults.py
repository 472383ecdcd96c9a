"""Fault injection for webhook receivers: duplicates, reordering, delay and drops.

Real Stripe delivers some events twice and in no guaranteed order; a receiver that only ever
sees tidy, in-order, exactly-once deliveries has never been tested. ``Faults`` is the setting
(from the command line or ``PUT /_sandbox/faults``); ``FaultPlan`` draws every decision from one
``random.Random(seed)`` in delivery order, so the same seed and the same sequence of events give
the same duplicates, drops, delays and shuffles on every run.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

STRIPE_LIKE_DUPLICATE = 0.05
"""Share of deliveries sent twice by default: often enough that a short demo meets one."""
STRIPE_LIKE_REORDER_WINDOW = 3
"""Events shuffled together by default: a ``payment_intent.succeeded`` may overtake the
``checkout.session.completed`` emitted before it, as Stripe's own docs warn."""


class FaultError(ValueError):
    """A fault setting that cannot be used (the control API answers 400 with the message)."""


@dataclass(frozen=True)
class Faults:
    """``duplicate``/``drop`` are probabilities per delivery; ``delay`` is ``(min, max)`` real
    seconds before the first attempt; ``reorder_window`` holds up to that many events (or
    ``reorder_hold`` seconds, whichever comes first) and releases them shuffled."""

    duplicate: float = 0.0
    drop: float = 0.0
    delay: tuple[float, float] = (0.0, 0.0)
    reorder_window: int = 0
    reorder_hold: float = 2.0
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("duplicate", "drop"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise FaultError(f"{name} must be a probability between 0 and 1, got {value}")
        low, high = self.delay
        if low < 0 or high < low:
            raise FaultError(f"delay must be 0 <= min <= max seconds, got {low}..{high}")
        if self.reorder_window < 0:
            raise FaultError("reorder_window must be a number of events >= 0")
        if self.reorder_hold <= 0:
            raise FaultError("reorder_hold must be a positive number of seconds")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Faults:
        """Build from JSON; unknown keys are refused so a typo never silently disables a fault."""
        unknown = set(data) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise FaultError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
        values = dict(data)
        try:
            if "delay" in values:
                values["delay"] = parse_delay(values["delay"])
            for name in ("duplicate", "drop", "reorder_hold"):
                if name in values:
                    values[name] = float(values[name])
            if "reorder_window" in values:
                values["reorder_window"] = int(values["reorder_window"])
            if values.get("seed") is not None:
                values["seed"] = int(values["seed"])
        except (TypeError, ValueError) as exc:
            raise FaultError(str(exc)) from exc
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["delay"] = list(self.delay)
        return data

    @classmethod
    def stripe_like(cls, seed: int | None = None) -> Faults:
        """Stripe's own habits, the sandbox's default: "Webhook endpoints might occasionally receive
        the same event more than once" and "Stripe doesn't guarantee delivery of events in the order
        in which they're generated". A receiver tested only against tidy deliveries has never met
        them. The seed is drawn when not given, so it can be printed and the run replayed."""
        chosen = secrets.randbelow(2**31) if seed is None else seed
        return cls(
            duplicate=STRIPE_LIKE_DUPLICATE, reorder_window=STRIPE_LIKE_REORDER_WINDOW, reorder_hold=0.5, seed=chosen
        )

    @classmethod
    def preset(cls, name: str, seed: int | None = None) -> Faults:
        """``stripe`` (duplicates and reordering, as Stripe delivers) or ``none`` (every event once,
        in order: for a test or a bench that counts deliveries)."""
        if name == "stripe":
            return cls.stripe_like(seed)
        if name == "none":
            return cls(seed=seed)
        raise FaultError(f"unknown fault preset {name!r}: use 'stripe' or 'none'")

    def describe(self) -> str:
        """One line for a start-up banner: what is on and the seed that replays it."""
        if not self.active:
            return "none (every event once, in emission order)"
        parts = [f"duplicate {self.duplicate:g}"] if self.duplicate else []
        if self.reorder_window > 1:
            parts.append(f"reorder window {self.reorder_window} (hold {self.reorder_hold:g}s)")
        if self.drop:
            parts.append(f"drop {self.drop:g}")
        if self.delay[1]:
            parts.append(f"delay {self.delay[0]:g}-{self.delay[1]:g}s")
        return f"{', '.join(parts)}, seed {self.seed}"

    @property
    def active(self) -> bool:
        return bool(self.duplicate or self.drop or self.delay[1] or self.reorder_window > 1)


def parse_delay(value: Any) -> tuple[float, float]:
    """``2``, ``"2"``, ``"1-5"``, ``[1, 5]`` → ``(min, max)`` seconds."""
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise FaultError("delay as a list needs exactly [min, max]")
        return float(value[0]), float(value[1])
    if isinstance(value, str) and "-" in value.strip().lstrip("-"):
        low, _, high = value.partition("-")
        return float(low), float(high)
    seconds = float(value)
    return seconds, seconds


@dataclass
class Decision:
    """What happens to one delivery: dropped, sent twice, and after how long."""

    drop: bool = False
    duplicate: bool = False
    delay: float = 0.0


@dataclass
class FaultPlan:
    faults: Faults = field(default_factory=Faults)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.faults.seed)

    def decide(self) -> Decision:
        """Draw only for the faults that are on, so a run depends on the seed and those faults alone."""
        faults = self.faults
        decision = Decision()
        if faults.drop and self._rng.random() < faults.drop:
            decision.drop = True
            return decision
        if faults.duplicate and self._rng.random() < faults.duplicate:
            decision.duplicate = True
        low, high = faults.delay
        if high:
            decision.delay = low if low == high else self._rng.uniform(low, high)
        return decision

    def shuffle(self, items: list[Any]) -> None:
        self._rng.shuffle(items)
