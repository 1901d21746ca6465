"""Result records name scenario lines relative to the scenario root, in their texts too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.pytest_state import RunState


def _state(root: Path) -> RunState:
    return RunState(config=None, root_option=root, candidate_names=(), time_scale=1.0,  # type: ignore[arg-type]
                    results_path=None, show_summary=False)


def test_a_peers_location_in_the_reason_is_relative_like_the_step(tmp_path: Path) -> None:
    # The step said tcp/send.yaml:40 while the reason said /work/main/scenarios/tcp/send.yaml:40.
    path = tmp_path.resolve() / "tcp" / "send.yaml"
    record: dict[str, Any] = {
        "location": f"{path}:30",
        "step": f"{path}:40",
        "reason": f'peer srv: recv ({path}:40): received data does not match; expected "a", received "b"',
        "actual": '"b"',
        "expected": [f"still at recv ({path}:40)"],
        "transcript": [{"at": 0.1, "source": "peer:srv", "text": f"FAILED peer srv: recv ({path}:40): ..."}],
    }
    localized = _state(tmp_path).localize(record)
    assert localized["step"] == "tcp/send.yaml:40"
    assert localized["reason"].startswith("peer srv: recv (tcp/send.yaml:40): received data")
    assert localized["expected"] == ["still at recv (tcp/send.yaml:40)"]
    assert localized["transcript"][0]["text"] == "FAILED peer srv: recv (tcp/send.yaml:40): ..."
    assert str(tmp_path) not in str(localized)
