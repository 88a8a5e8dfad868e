"""Fault injection: which request fails, and how.

A `FaultRule` targets one GraphQL operation by its `operationName` (for
example `GenerateImages`), every operation (`"*"`), or file downloads
(`"file"`). It fires either with a seeded probability or by following an
exact sequence such as `["ok", "429", "ok"]`, one entry per matching request.
`FaultPlan` evaluates the rules for each request: every matching rule takes
its step, and the first one that fires decides the fault.

A faults file is JSON, either a list of rules or an object::

    {
      "seed": 7,
      "rules": [
        {"operation": "GenerateImages", "sequence": ["ok", "429", "ok"]},
        {"operation": "GetInferencesById", "kind": "502", "probability": 0.25},
        {"operation": "file", "kind": "truncate", "limit": 1},
        {"operation": "ListStyles", "kind": "429", "retry_after": 2}
      ]
    }

A rule with a `kind` and no `probability` fires on every matching request,
up to `limit` times when a limit is given.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

__all__ = [
    "ANY_OPERATION",
    "FILE_OPERATION",
    "FaultKind",
    "FaultPlan",
    "FaultRule",
    "load_faults",
    "parse_faults",
]

ANY_OPERATION = "*"
"""Operation name of a rule that matches every GraphQL operation."""

FILE_OPERATION = "file"
"""Operation name of a rule that matches downloads from the files origin."""


class FaultKind(StrEnum):
    """Kind of fault injected into one request."""

    OK = "ok"
    """No fault: the request is served normally (a step in a sequence)."""
    RATE_LIMITED = "429"
    """HTTP 429 with a `Retry-After` header in seconds; nothing is executed."""
    BAD_GATEWAY = "502"
    """HTTP 502 with an HTML body, as a proxy sends it; nothing is executed."""
    SERVICE_UNAVAILABLE = "503"
    """HTTP 503 with an HTML body; nothing is executed."""
    DROP_BEFORE = "drop_before"
    """The connection closes after the status line, before the operation runs."""
    DROP_AFTER = "drop_after"
    """The operation runs, then the connection closes in the middle of the body."""
    SLOW = "slow"
    """The response is held back for `delay` seconds of wall time."""
    TRUNCATE = "truncate"
    """A file download sends half its bytes under the full Content-Length."""
    UNKNOWN_ENUM = "unknown_enum"
    """Each outermost object with the field `enum_field` gets `enum_value`."""
    UNKNOWN_UNION = "unknown_union"
    """Each root field of the response gets `__typename` set to `typename`."""
    GRAPHQL_ERRORS = "errors"
    """HTTP 200 with `data: null` and an `errors` array; nothing is executed."""


FILE_FAULT_KINDS = frozenset(
    {
        FaultKind.OK,
        FaultKind.RATE_LIMITED,
        FaultKind.BAD_GATEWAY,
        FaultKind.SERVICE_UNAVAILABLE,
        FaultKind.DROP_BEFORE,
        FaultKind.SLOW,
        FaultKind.TRUNCATE,
    }
)
GRAPHQL_FAULT_KINDS = frozenset(set(FaultKind) - {FaultKind.TRUNCATE})


@dataclass(frozen=True, kw_only=True)
class FaultRule:
    """One fault injection rule; see the module docstring for the semantics."""

    operation: str
    """`operationName` to match, `"*"` for every operation, `"file"` for downloads."""
    kind: FaultKind | str | None = None
    """The fault to inject when the rule fires by probability."""
    probability: float | None = None
    """Chance in [0, 1] that a matching request gets `kind`; 1 when left out."""
    sequence: Sequence[FaultKind | str] | None = None
    """Exact outcomes for the 1st, 2nd, ... matching request; `ok` serves it."""
    repeat: bool = False
    """Start the sequence again once it is exhausted, instead of serving `ok`."""
    limit: int | None = None
    """Maximum number of faults this rule injects."""
    retry_after: int = 1
    """`Retry-After` header of a 429, in seconds."""
    delay: float = 2.0
    """Wall-clock seconds a `slow` response is held back."""
    enum_field: str = "status"
    """Field whose value an `unknown_enum` fault replaces."""
    enum_value: str = "PENDING_REVIEW"
    """Value that an `unknown_enum` fault writes."""
    typename: str = "InferencesPage"
    """`__typename` that an `unknown_union` fault writes."""
    message: str = 'Cannot query field "etaAt" on type "Inference".'
    """Message of the error that an `errors` fault returns."""
    _steps: tuple[FaultKind, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.operation:
            raise ValueError("a fault rule needs an operation name, '*' or 'file'")
        if (self.kind is None) == (self.sequence is None):
            raise ValueError(
                f"fault rule for {self.operation!r}: give exactly one of "
                "'kind' and 'sequence'"
            )
        if self.kind is not None:
            kind = _parse_kind(self.kind)
            object.__setattr__(self, "kind", kind)
            object.__setattr__(self, "_steps", (kind,))
        if self.sequence is not None:
            if isinstance(self.sequence, str) or not self.sequence:
                raise ValueError(
                    f"fault rule for {self.operation!r}: 'sequence' must be a "
                    "non-empty list of fault kinds"
                )
            steps = tuple(_parse_kind(step) for step in self.sequence)
            object.__setattr__(self, "sequence", steps)
            object.__setattr__(self, "_steps", steps)
            if self.probability is not None:
                raise ValueError(
                    f"fault rule for {self.operation!r}: 'probability' only "
                    "applies with 'kind', not with 'sequence'"
                )
        if self.probability is not None and not 0.0 <= self.probability <= 1.0:
            raise ValueError(
                f"fault rule for {self.operation!r}: probability must be within "
                f"[0, 1], got {self.probability!r}"
            )
        if self.limit is not None and self.limit < 0:
            raise ValueError(f"fault rule limit must be >= 0, got {self.limit!r}")
        if self.retry_after < 0:
            raise ValueError(f"retry_after must be >= 0, got {self.retry_after!r}")
        if self.delay < 0:
            raise ValueError(f"delay must be >= 0 seconds, got {self.delay!r}")
        self._check_kinds_apply()

    def _check_kinds_apply(self) -> None:
        allowed = (
            FILE_FAULT_KINDS
            if self.operation == FILE_OPERATION
            else GRAPHQL_FAULT_KINDS
        )
        for kind in self.kinds():
            if kind not in allowed:
                target = (
                    "file downloads"
                    if self.operation == FILE_OPERATION
                    else "GraphQL operations"
                )
                raise ValueError(
                    f"fault kind {kind.value!r} does not apply to {target} "
                    f"(rule for {self.operation!r}); allowed: "
                    + ", ".join(sorted(k.value for k in allowed))
                )

    def kinds(self) -> tuple[FaultKind, ...]:
        """Return the sequence steps, or the one kind of a probability rule."""
        return self._steps

    def matches(self, operation: str) -> bool:
        """Return whether this rule applies to a request for `operation`."""
        if self.operation == ANY_OPERATION:
            return operation != FILE_OPERATION
        return self.operation == operation

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultRule:
        """Build a rule from a JSON object, rejecting unknown keys."""
        known = {item.name for item in fields(cls) if item.init}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(
                f"unknown fault rule keys {unknown}; known keys: {sorted(known)}"
            )
        return cls(**data)


def _parse_kind(value: object) -> FaultKind:
    text = str(value.value if isinstance(value, FaultKind) else value)
    try:
        return FaultKind(text)
    except ValueError:
        known = ", ".join(kind.value for kind in FaultKind)
        raise ValueError(f"unknown fault kind {text!r}; known kinds: {known}") from None


def parse_faults(data: object) -> tuple[list[FaultRule], int | None]:
    """Parse faults from decoded JSON: a list of rules or `{"seed", "rules"}`.

    Return the rules and the seed, or None when the document sets no seed.
    """
    seed: int | None = None
    if isinstance(data, Mapping):
        unknown = sorted(set(data) - {"seed", "rules"})
        if unknown:
            raise ValueError(f"unknown keys {unknown} in faults; expected seed, rules")
        raw_seed = data.get("seed")
        if raw_seed is not None and (
            not isinstance(raw_seed, int) or isinstance(raw_seed, bool)
        ):
            raise ValueError(f"faults seed must be an integer, got {raw_seed!r}")
        seed = raw_seed
        data = data.get("rules", [])
    if not isinstance(data, Sequence) or isinstance(data, str):
        raise ValueError("faults must be a list of rules or an object with 'rules'")
    rules = []
    for index, item in enumerate(data):
        if not isinstance(item, Mapping):
            raise ValueError(f"fault rule {index} must be an object, got {item!r}")
        try:
            rules.append(FaultRule.from_dict(item))
        except (TypeError, ValueError) as error:
            raise ValueError(f"fault rule {index}: {error}") from error
    return rules, seed


# The operationName of every saved operation of the client. A rule may name
# another operation (a user's own), so an unknown name only logs a warning.
CLIENT_OPERATIONS = frozenset(
    {
        "DeleteInference",
        "GenerateImages",
        "GetInferencesById",
        "GetStyleById",
        "GetWorkspaceUsage",
        "ListStyles",
        "ListWorkspaces",
    }
)


logger = logging.getLogger("layer_client.emulator")


def _warn_unknown_operation(operation: str) -> None:
    known = CLIENT_OPERATIONS | {ANY_OPERATION, FILE_OPERATION}
    if operation in known:
        return
    by_lowercase = {name.lower(): name for name in CLIENT_OPERATIONS}
    guess = by_lowercase.get(operation.lower())
    hint = f"; did you mean {guess!r}?" if guess else ""
    logger.warning(
        "fault rule for %r matches no operation of layer_client (rules match "
        "the operationName, such as 'GenerateImages', not the field name)%s",
        operation,
        hint,
    )


def load_faults(path: str | Path) -> tuple[list[FaultRule], int | None]:
    """Read a faults file; return its rules and its seed (None when unset)."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"faults file {path} is not valid JSON: {error}") from error
    return parse_faults(data)


@dataclass
class _RuleState:
    rule: FaultRule
    rng: random.Random
    matched: int = 0
    injected: int = 0


@dataclass
class FaultPlan:
    """The active rules with their sequence positions and seeded generators.

    Each rule gets its own generator, seeded from the plan seed and the
    rule's position, so the outcomes of one rule do not depend on traffic
    to other operations.
    """

    seed: int = 0
    _states: list[_RuleState] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def set_rules(self, rules: Iterable[FaultRule]) -> None:
        """Replace every rule; sequences and generators start again."""
        with self._lock:
            self._states = []
            for rule in rules:
                self._append(rule)

    def add(self, rule: FaultRule) -> None:
        """Append one rule after the existing ones."""
        with self._lock:
            self._append(rule)

    def clear(self) -> None:
        """Remove every rule."""
        self.set_rules([])

    @property
    def rules(self) -> list[FaultRule]:
        """The active rules, in evaluation order."""
        with self._lock:
            return [state.rule for state in self._states]

    def _append(self, rule: FaultRule) -> None:
        if not isinstance(rule, FaultRule):
            raise TypeError(f"expected a FaultRule, got {type(rule).__name__}")
        _warn_unknown_operation(rule.operation)
        position = len(self._states)
        rng = random.Random(f"layer-emulator-faults:{self.seed}:{position}")
        self._states.append(_RuleState(rule=rule, rng=rng))

    def decide(self, operation: str) -> tuple[FaultKind, FaultRule] | None:
        """Return the fault for the next request to `operation`, or None."""
        decision: tuple[FaultKind, FaultRule] | None = None
        with self._lock:
            for state in self._states:
                if not state.rule.matches(operation):
                    continue
                kind = _next_outcome(state)
                if decision is None and kind is not FaultKind.OK:
                    state.injected += 1
                    decision = (kind, state.rule)
        return decision


def _next_outcome(state: _RuleState) -> FaultKind:
    """Advance one rule by one matching request and return its outcome."""
    rule = state.rule
    position = state.matched
    state.matched += 1

    steps = rule.kinds()
    if rule.sequence is not None:
        if position >= len(steps) and not rule.repeat:
            kind = FaultKind.OK
        else:
            kind = steps[position % len(steps)]
    else:
        probability = 1.0 if rule.probability is None else rule.probability
        # Draw on every request, fired or not, so the outcome of request n
        # depends only on the seed and n.
        kind = steps[0] if state.rng.random() < probability else FaultKind.OK

    limit_reached = rule.limit is not None and state.injected >= rule.limit
    if kind is not FaultKind.OK and limit_reached:
        return FaultKind.OK
    return kind
