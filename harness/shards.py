"""Splitting one run across machines: ``--shard i/n`` picks a deterministic share of the scenarios.

The rule is round-robin over the *sorted* scenario ids of the selection:
shard ``i`` of ``n`` takes the ids at positions ``i-1, i-1+n, i-1+2n, ...``.
Sorted ids rather than a hash, because neighbouring ids are similar
scenarios (often similarly slow), so dealing them out like cards gives every
shard the same count and a similar mix, whatever the suite's size. Every
candidate of a scenario runs in the same shard, so each shard's results.json
is a set of whole rows of the matrix. The rule depends only on the selected
ids, so n machines given the same suite and options partition it exactly;
``harness.merging`` checks that when putting the pieces together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as CI job matrices count
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 1 <= self.index <= self.count:
            raise ValueError(f"shard {self.index}/{self.count}: need 1 <= i <= n")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"2/3"`` -> Shard(2, 3); raises ValueError with a readable message."""
        match = _SPEC.match(text)
        if match is None:
            raise ValueError(f"expected a shard as i/n (for example 2/3), not {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    def select(self, scenario_ids: Iterable[str]) -> frozenset[str]:
        """The ids (of those given) that belong to this shard."""
        ordered = sorted(set(scenario_ids))
        return frozenset(ordered[self.index - 1::self.count])

    def to_json(self) -> dict[str, int]:
        return {"index": self.index, "count": self.count}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Shard:
        return cls(int(data["index"]), int(data["count"]))

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
