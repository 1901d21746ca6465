"""Peer ceilings: a plain-socket client in a child process, against the workload's own peers."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench_support import TINY_PING_PONG, TINY_STREAM, load_perf, shipped_workload

from harness import capabilities
from harness.bench.ceiling_child import main as child_main
from harness.bench.ceiling_run import measure_ceiling


@pytest.mark.parametrize("text", [TINY_STREAM, TINY_PING_PONG], ids=["tcp-drain", "tcp-echo"])
def test_a_tiny_workload_has_a_ceiling(tmp_path: Path, text: str) -> None:
    (scenario,) = load_perf(tmp_path, text)
    result = measure_ceiling(scenario)
    assert result is not None and result.error == "" and result.seconds is not None and result.seconds > 0


@pytest.mark.parametrize("scenario_id", [
    "perf.udp.receive.5k", "perf.http.get.1mib", "perf.http.post.1mib", "perf.ftp.get.1mib",
    "perf.ftp.put.1mib", "perf.smtp.mail.10",
])
def test_every_client_measures_its_shipped_workload(scenario_id: str) -> None:
    scenario = shipped_workload(scenario_id)
    for name in scenario.requires:
        why = capabilities.why_missing(name)
        if why:
            pytest.skip(f"{scenario_id} requires {name}: {why}")
    result = measure_ceiling(scenario)
    assert result is not None and result.error == "", result.error
    assert result.seconds is not None and result.seconds > 0


def test_a_client_that_does_the_wrong_exchange_is_an_error(tmp_path: Path) -> None:
    """The peer expects 25 exchanges; the client (sized by the workload) stops after 20 and leaves."""
    (scenario,) = load_perf(tmp_path, TINY_PING_PONG.replace("count: 20}", "count: 25}"))
    result = measure_ceiling(scenario)
    assert result is not None and result.seconds is None
    assert "end of stream in exchange 21 of 25" in result.error


def test_no_ceiling_client_means_no_measurement(tmp_path: Path) -> None:
    text = TINY_STREAM.replace("    ceiling: {client: tcp-drain, peer: src}\n", "")
    (scenario,) = load_perf(tmp_path, text)
    assert measure_ceiling(scenario) is None


def test_the_child_reports_an_unreachable_peer(capsys: pytest.CaptureFixture[str]) -> None:
    job = '{"client": "tcp-drain", "host": "127.0.0.1", "port": 1, "size": 1, "repetitions": 1}'
    assert child_main(["ceiling_child", job]) == 0
    ready, answer = capsys.readouterr().out.splitlines()
    assert ready == "ready" and '"error"' in answer and "ConnectionRefusedError" in answer
