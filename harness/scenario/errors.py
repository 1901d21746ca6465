"""The one error a scenario file can cause at load time, and its collector.

Every complaint names ``path:line: field: message`` so that an author can jump
straight to the offending line. A file is checked as a whole and every problem
found is reported at once (fixing one error per run is tedious), so the
exception carries the first problem in its attributes and all of them in
``errors``; ``str()`` shows each on its own line.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file."""

    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.field}: {self.message}"


class ScenarioError(Exception):
    """A scenario file (or a set of files) cannot be loaded.

    ``path``, ``line``, ``field`` and ``message`` describe the first problem
    (in file and line order); ``errors`` lists every problem found.
    """

    def __init__(self, path: str, line: int, field: str, message: str,
                 more: tuple[Problem, ...] = ()) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        self.message = message
        self.errors: tuple[Problem, ...] = (Problem(self.path, line, field, message), *more)
        super().__init__(str(self))

    @classmethod
    def from_problems(cls, problems: list[Problem]) -> ScenarioError:
        ordered = sorted(problems, key=lambda p: (p.path, p.line))
        first = ordered[0]
        return cls(first.path, first.line, first.field, first.message, tuple(ordered[1:]))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.errors)


@dataclass
class Collector:
    """Gathers the problems of one file while it is checked."""

    path: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, line: int, field_name: str, message: str) -> None:
        self.problems.append(Problem(self.path, line, field_name, message))

    def raise_if_any(self) -> None:
        if self.problems:
            raise ScenarioError.from_problems(self.problems)
