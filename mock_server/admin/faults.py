"""The fault plan: rules that make chosen requests fail the way real networks and servers do.

A rule matches on method, path (exact, or a ``*`` glob), optionally the user, the Nth
matching call, or a seeded probability; its action is an RSpace-shaped error status, a
delay, a dropped connection or a truncated body. A rule fires ``times`` times (``None``:
until cleared). Matching and counting are pure and thread-safe; the web layer performs the
action.
"""

from __future__ import annotations

import fnmatch
import json
import random
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from ..domain.store import MetaReading, Store
from ..domain.text import json_value_problem
from .validation import as_whole, unknown_keys_problem

FaultKind = Literal["error", "delay", "drop", "truncate"]
FAULT_KINDS: tuple[str, ...] = ("error", "delay", "drop", "truncate")


class FaultRuleError(ValueError):
    """A rule that cannot be built; the message says which field and why."""


@dataclass(frozen=True)
class FaultAction:
    kind: FaultKind
    #: HTTP status for ``error`` (429 gets RSpace's throttle message and headers).
    status: int = 500
    #: Seconds to wait for ``delay`` (then the request proceeds normally).
    delay_seconds: float = 0.0
    #: Optional ``message`` for the RSpace error body (``error`` only).
    message: str | None = None

    def describe(self) -> str:
        if self.kind == "error":
            return f"error {self.status}"
        if self.kind == "delay":
            return f"delay {self.delay_seconds}s"
        return self.kind


@dataclass
class FaultRule:
    action: FaultAction
    method: str | None = None
    path: str = "*"
    user: str | None = None
    #: Fire from the Nth matching request on (1-based); earlier matches pass through.
    nth: int | None = None
    #: Chance (0..1) that a matching request fires; drawn from the plan's seeded generator.
    probability: float | None = None
    #: How many times to fire; ``None`` fires until the rule is removed.
    times: int | None = 1
    id: int = 0
    matched: int = 0
    fired: int = 0

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times

    @property
    def needs_user(self) -> bool:
        return self.user is not None

    def matches_request(self, method: str, path: str, user: str | None) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if not fnmatch.fnmatchcase(path, self.path):
            return False
        return self.user is None or self.user == user

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["action"] = asdict(self.action)
        data["exhausted"] = self.exhausted
        return data


@dataclass(frozen=True)
class FiredFault:
    rule_id: int
    action: FaultAction

    def describe(self) -> str:
        return f"rule {self.rule_id}: {self.action.describe()}"


def build_rule(data: dict[str, Any]) -> FaultRule:
    """A rule from admin JSON: ``{"path": "/api/v1/documents*", "method": "GET",
    "action": "error", "status": 503, "times": 2}`` (action fields may also be nested)."""
    allowed = {
        "method",
        "path",
        "user",
        "nth",
        "probability",
        "times",
        "action",
        "status",
        "delay_seconds",
        "delay",
        "message",
    }
    # A rule's message is sent in answers, its other strings in listings: all must be text.
    problem = json_value_problem(data) or unknown_keys_problem(data, allowed)
    if problem:
        raise FaultRuleError(problem)
    action_data: dict[str, Any] = {}
    raw_action = data.get("action")
    if isinstance(raw_action, dict):
        action_data = dict(raw_action)
    elif isinstance(raw_action, str):
        action_data = {"kind": raw_action}
    else:
        raise FaultRuleError(f"'action' is required: one of {', '.join(FAULT_KINDS)}")
    for key in ("status", "message"):
        if key in data:
            action_data[key] = data[key]
    if "delay" in data:
        action_data["delay_seconds"] = data["delay"]
    if "delay_seconds" in data:
        action_data["delay_seconds"] = data["delay_seconds"]
    kind = action_data.get("kind")
    if kind not in FAULT_KINDS:
        raise FaultRuleError(f"'action' must be one of {', '.join(FAULT_KINDS)}, not {kind!r}")
    status = as_whole(action_data.get("status", 500))
    # true and false are not numbers here, though Python's bool is an int.
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise FaultRuleError("'status' must be an HTTP error status, 400 to 599")
    delay = action_data.get("delay_seconds", 0.0)
    # (NaN fails the range comparison too.)
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay <= 300:
        raise FaultRuleError("'delay_seconds' must be a number of seconds from 0 to 300")
    if kind == "delay" and delay == 0:
        raise FaultRuleError("a 'delay' action needs 'delay_seconds' > 0")
    message = action_data.get("message")
    if message is not None and not isinstance(message, str):
        raise FaultRuleError("'message' must be a string")
    action = FaultAction(kind=kind, status=status, delay_seconds=float(delay), message=message)

    path = data.get("path", "*")
    if not isinstance(path, str) or not path.startswith(("/", "*")):
        raise FaultRuleError("'path' must be a path like /api/v1/documents or a glob like /api/*")
    method = data.get("method")
    if method is not None and not isinstance(method, str):
        raise FaultRuleError("'method' must be a string such as GET")
    user = data.get("user")
    if user is not None and not isinstance(user, str):
        raise FaultRuleError("'user' must be a username")
    nth = as_whole(data.get("nth"))
    if nth is not None and (isinstance(nth, bool) or not isinstance(nth, int) or nth < 1):
        raise FaultRuleError("'nth' must be a whole number >= 1")
    probability = data.get("probability")
    if probability is not None and (
        isinstance(probability, bool)
        or not isinstance(probability, (int, float))
        or not 0 <= probability <= 1
    ):
        raise FaultRuleError("'probability' must be between 0 and 1")
    times = as_whole(data.get("times", 1))
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise FaultRuleError("'times' must be a whole number >= 1, or null for 'until cleared'")
    return FaultRule(
        action=action,
        method=method.upper() if method else None,
        path=path,
        user=user,
        nth=nth,
        probability=float(probability) if probability is not None else None,
        times=times,
    )


def rule_from_json(data: dict[str, Any]) -> FaultRule:
    """A rule as :meth:`FaultRule.to_json` wrote it (from the store)."""
    action = FaultAction(**data["action"])
    return FaultRule(
        action=action,
        method=data["method"],
        path=data["path"],
        user=data["user"],
        nth=data["nth"],
        probability=data["probability"],
        times=data["times"],
        id=data["id"],
        matched=data["matched"],
        fired=data["fired"],
    )


#: Store meta key of the plan: ``{"next_id": n, "rules": [rule, ...]}``.
FAULTS_META = "instruments:faults"


def _parse_plan(text: str | None) -> tuple[int, list[FaultRule]]:
    data: dict[str, Any] = json.loads(text) if text else {"next_id": 1, "rules": []}
    return int(data["next_id"]), [rule_from_json(r) for r in data["rules"]]


class FaultPlan:
    """The active rules, in the order added; the first rule that fires wins."""

    def __init__(self, store: Store, seed: int | None = None) -> None:
        self.store = store
        self.seed = seed
        self._unseeded = random.Random()
        #: Read on every request.
        self._plan = MetaReading(FAULTS_META, _parse_plan)

    def _snapshot(self) -> tuple[int, list[FaultRule]]:
        """The next rule id and the rules as stored now; shared objects, only to read."""
        return self._plan.read(self.store)

    def _load(self) -> tuple[int, list[FaultRule]]:
        """Like :meth:`_snapshot`, with rules of the caller's own to change."""
        next_id, rules = self._snapshot()
        return next_id, [replace(r) for r in rules]

    def _live(self) -> list[FaultRule]:
        return self._snapshot()[1]

    def _save(self, next_id: int, rules: list[FaultRule]) -> None:
        data = {"next_id": next_id, "rules": [r.to_json() for r in rules]}
        self.store.set_meta(FAULTS_META, json.dumps(data, separators=(",", ":")))

    def add(self, rule: FaultRule) -> FaultRule:
        with self.store.transaction():
            next_id, rules = self._load()
            rule.id = next_id
            rules.append(rule)
            self._save(next_id + 1, rules)
            return rule

    def remove(self, rule_id: int) -> bool:
        with self.store.transaction():
            next_id, rules = self._load()
            kept = [r for r in rules if r.id != rule_id]
            if len(kept) == len(rules):
                return False
            self._save(next_id, kept)
            return True

    def clear(self) -> None:
        """No rules; ids start again at 1."""
        with self.store.transaction():
            self._save(1, [])

    def rules(self) -> list[FaultRule]:
        return self._load()[1]

    def any_rules(self) -> bool:
        return bool(self._live())

    def wants_user(self, method: str, path: str) -> bool:
        """Whether some live rule for this request needs the caller's username."""
        return any(
            r.needs_user and not r.exhausted and r.matches_request(method, path, r.user)
            for r in self._live()
        )

    def pick(self, method: str, path: str, user: str | None = None) -> FiredFault | None:
        """Count this request against every matching rule; return the fault to perform, if
        any. Counting and firing happen in one store transaction, so concurrent requests, in
        any process, never fire a rule more than ``times`` times."""
        if not any(not r.exhausted and r.matches_request(method, path, user) for r in self._live()):
            return None
        with self.store.transaction():
            next_id, rules = self._load()
            chosen: FiredFault | None = None
            for rule in rules:
                if rule.exhausted or not rule.matches_request(method, path, user):
                    continue
                rule.matched += 1
                if chosen is not None:
                    continue
                if rule.nth is not None and rule.matched < rule.nth:
                    continue
                if rule.probability is not None and self._draw(rule) >= rule.probability:
                    continue
                rule.fired += 1
                chosen = FiredFault(rule.id, rule.action)
            self._save(next_id, rules)
            return chosen

    def _draw(self, rule: FaultRule) -> float:
        """The chance drawn for the rule's current match: from the seed, the same in every
        process; unseeded, from an unpredictable generator."""
        if self.seed is None:
            return self._unseeded.random()
        return random.Random(f"{self.seed}:{rule.id}:{rule.matched}").random()
