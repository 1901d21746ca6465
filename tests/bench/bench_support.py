"""Helpers for the bench tests: workloads from text, the shipped catalog, tiny perf scenarios."""

from __future__ import annotations

import functools
import textwrap
from pathlib import Path

from harness.scenario.catalog import Catalog, load_catalog
from harness.scenario.loader import load_file
from harness.scenario.model import Scenario

HERE = Path(__file__).resolve().parent


def write_perf(root: Path, text: str, name: str = "workload.yaml") -> Path:
    """A perf scenario file under ``root/perf/`` (the area folder decides the id's first segment)."""
    path = root / "perf" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_perf(root: Path, text: str) -> tuple[Scenario, ...]:
    return load_file(write_perf(root, text))


@functools.cache
def shipped() -> Catalog:
    return load_catalog()


def shipped_workload(scenario_id: str) -> Scenario:
    return shipped().by_id[scenario_id]


# A tiny stream workload: 8 blocks of 4 KiB, read with receive(4096).
TINY_STREAM = """\
scenarios:
- id: perf.tiny.stream
  title: receive(4096) reads 32 KiB
  manual: TCP sockets / receive
  spec: "§5.6"
  tags: [perf, quick]
  peers:
    src:
      kind: tcp-server
      script:
      - accept
      - send: {data: !repeat {data: "abcd", count: 1024}, times: 8}
      - close
  steps:
  - call: connect
    args: [!ref src.host, !ref src.port]
    save: [c]
    expect: {returns: [!type socket]}
  - call: c:receive
    args: [4096]
    deadline: 30
  - call: c:receive
    args: [1]
    expect: {returns: [!any , "closed"]}
  - call: c:close
  workload:
    size: 32768
    unit: bytes
    timed: {step: 2, repeat: 8, stop: 2}
    expect: {done: 8, bytes: 32768, returns: []}
    ceiling: {client: tcp-drain, peer: src}
"""

# A tiny ping-pong: 20 exchanges of 8 bytes, timed by the harness in rounds.
TINY_PING_PONG = """\
scenarios:
- id: perf.tiny.ping-pong
  title: 20 exchanges of 8 bytes
  manual: TCP sockets / send; receive
  spec: "§5.5, §5.6"
  tags: [perf, quick]
  peers:
    srv:
      kind: tcp-server
      script:
      - accept
      - echo: {length: 8, count: 20}
      - expect-close
  steps:
  - call: connect
    args: [!ref srv.host, !ref srv.port]
    save: [c]
    expect: {returns: [!type socket]}
  - call: c:send
    args: ["12345678"]
    expect: {returns: [null, 8]}
  - call: c:receive
    args: [8]
    expect: {returns: ["12345678"]}
  - call: c:close
  workload:
    size: 20
    unit: exchanges
    timed: {steps: [2, 3], rounds: 20}
    ceiling: {client: tcp-echo, peer: srv, length: 8}
"""
