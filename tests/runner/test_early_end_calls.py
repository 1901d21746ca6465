"""A receive callback called with "" before the end of a transfer FAILs, however the data adds up.

The manual: "When the transmission is over, the function is called with an
empty string." A "" before the last chunk says the transfer is over when it
is not; checks that join the chunks and look at the last call alone could
not see it (``empty`` counts those calls).
"""

from __future__ import annotations

import pytest
from altered_reference import Args, altered_reference, run_shipped

from harness.scenario.model import Verdict


def _ended_before_each_chunk(args: Args) -> list[Args]:
    chunk = args[0] if args else None
    return [(b"", *args[1:]), args] if isinstance(chunk, bytes) and chunk else [args]


@pytest.mark.parametrize("scenario_id", [
    "http.getindirect.receive.close-delimited-whole-block", "http.getindirect.trickle.pieces-streamed",
    "http.getindirect.receive.many-chunks-in-order", "ftp.getindirect.chunks.many-blocks",
    "ftp.getindirect.seed.download-to-callback", "http.getindirect.large.content-length-5mb",
])
def test_a_receive_callback_ended_early_fails(scenario_id: str) -> None:
    assert run_shipped(scenario_id).verdict is Verdict.PASS
    result = run_shipped(scenario_id, altered_reference("early-end", callback=_ended_before_each_chunk))
    assert result.verdict is Verdict.FAIL, result.reason
    assert 'empty: expected 1 calls with "", there were' in result.reason
