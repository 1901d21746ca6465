"""Peer ceilings: a plain-socket client in a child process, against the workload's own peers."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from bench_support import TINY_PING_PONG, TINY_STREAM, load_perf, shipped_workload

from harness import capabilities
from harness.bench import ceiling_run
from harness.bench.ceiling_child import main as child_main
from harness.bench.ceiling_run import measure_ceiling, talk_to_child
from harness.bench.ceilings import UPLOAD_FILE_SIZE, ClientJob, send_body, upload_source


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


def test_the_peers_wait_for_the_client_only_from_when_it_is_ready(tmp_path: Path) -> None:
    # Starting a Python child takes most of a second here, longer on a loaded machine: the accept's
    # timeout must not have to cover it (it did, and a loaded CI run once lost a ceiling to it).
    text = TINY_PING_PONG.replace("      - accept\n", "      - accept: {timeout: 0.3}\n")
    (scenario,) = load_perf(tmp_path, text)
    result = measure_ceiling(scenario)
    assert result is not None and result.error == "" and result.seconds is not None


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


def test_an_answer_written_together_with_ready_is_not_lost() -> None:
    """A fast client's two lines can arrive in one read; the answer must still be seen."""
    script = "import os; os.write(1, b'ready\\n{\"seconds\": 0.5}\\n')"
    seen: list[str] = []
    first, rest, errors, returncode, killed = talk_to_child(
        [sys.executable, "-c", script], dict(os.environ), None, lambda: seen.append("ready"))
    assert (first, rest.strip(), errors) == ("ready", '{"seconds": 0.5}', "")
    assert (returncode, killed, seen) == (0, False, ["ready"])


def test_a_child_that_outlives_the_limit_is_killed_and_said_to_be(monkeypatch: pytest.MonkeyPatch) -> None:
    # The limit counts from the spawn, so it must leave room for the interpreter to start on a loaded
    # machine (0.2 s was missed there); the child would sleep ten times longer still.
    monkeypatch.setattr(ceiling_run, "CHILD_TIMEOUT", 3.0)
    script = "import sys, time; print('ready', flush=True); time.sleep(30)"
    first, _, _, returncode, killed = talk_to_child([sys.executable, "-c", script], dict(os.environ), None,
                                                    lambda: None)
    assert (first, killed) == ("ready", True) and returncode < 0


def _content(source: BinaryIO) -> bytes:
    source.seek(0)
    return source.read()


@pytest.mark.parametrize(("size", "periods"),
                         [(10, 1), (95, 9), (4 * UPLOAD_FILE_SIZE, UPLOAD_FILE_SIZE // 10)])
def test_an_upload_is_sent_from_whole_periods_of_the_workloads_pattern(size: int, periods: int) -> None:
    job = ClientJob("http-post", "127.0.0.1", 1, size, 1, {"path": "/sink", "pattern": "0123456789"})
    with upload_source(job) as source:
        assert _content(source) == b"0123456789" * periods
    with upload_source(ClientJob("ftp-put", "127.0.0.1", 1, 3, 1, {"path": "up.bin"})) as source:
        assert _content(source) == b"uuu"


def test_a_body_longer_than_its_source_is_sent_from_the_start_of_the_file_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel sends it (``sendfile``): the client's own copy is not what the ceiling measures."""
    calls: list[tuple[int, int]] = []
    real_sendfile = socket.socket.sendfile

    def recording(self: socket.socket, file: Any, offset: int = 0, count: int | None = None) -> int:
        calls.append((offset, count or 0))
        return real_sendfile(self, file, offset, count)

    monkeypatch.setattr(socket.socket, "sendfile", recording)
    job = ClientJob("http-post", "127.0.0.1", 1, 25, 1, {"path": "/sink", "pattern": "0123456789"})
    sender, receiver = socket.socketpair()
    with sender, receiver, upload_source(job) as source:
        send_body(sender, source, 25)
        sender.shutdown(socket.SHUT_WR)
        received = b"".join(iter(lambda: receiver.recv(4096), b""))
    assert received == b"0123456789" * 2 + b"01234"
    assert calls == [(0, 20), (0, 5)]

