"""A broken driver costs exactly one scenario: CRASH or TIMEOUT with its stderr, then the run goes on.

Each broken driver (``broken/broken_driver.py``) serves ``echo`` correctly
and fails in its own way on ``misbehave``. Every test runs a misbehaving
scenario and then a plain one through the real runner, with one driver
process per scenario and with reuse.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import psutil
import pytest
from driver_support import Recording, broken_driver, python_driver

from harness.adapters import driver_spec
from harness.adapters.driver_spec import driver_candidate
from harness.runner import RunOptions, run_scenario
from harness.scenario.matchers import Exact, TypeIs
from harness.scenario.model import (
    CallStep,
    ExpectedOutcome,
    PeerAction,
    PeerSpec,
    Ref,
    Scenario,
    SourceLocation,
    Verdict,
)

OPTIONS = RunOptions(default_deadline=3.0, leak_grace=2.0)
WHERE = SourceLocation("tests/drivers/isolation.yaml", 1)


def one_call(function: str, deadline: float | None = None) -> Scenario:
    expect = ExpectedOutcome(returns=(Exact(b"x"),)) if function == "echo" else ExpectedOutcome(
        returns=(Exact(True),))
    step = CallStep(function=function, style="global", target=None, args=(b"x",), expect=(expect,),
                    deadline=deadline, location=WHERE)
    return Scenario(id=f"drivers.isolation.{function}", title=function, manual="", spec="", tags=(),
                    requires=(), peers=(), steps=(step,), location=WHERE)


MISBEHAVE = one_call("misbehave", deadline=1.0)
ECHO = one_call("echo")


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def ends_within(pid: int, seconds: float) -> bool:
    """A process outside our children cannot be waited for: look until it is gone or time is up."""
    deadline = time.monotonic() + seconds
    while not gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture(params=["per-scenario", "reuse"])
def mode(request: pytest.FixtureRequest) -> Iterator[str]:
    driver_spec.set_reuse(request.param == "reuse")
    yield request.param
    driver_spec.end_reuse()


BROKEN = [
    ("exit-mid-call", Verdict.CRASH, "exited with status 1", "dying mid-call"),
    ("garbage", Verdict.CRASH, "not a JSON line: 'this is not a protocol message'", ""),
    # The lines after the first one of a stack trace printed to stdout say where it happened.
    ("traceback-stdout", Verdict.CRASH, "not a JSON line: 'lua5.4: driver.lua:12: boom' (Expecting value: "
     "line 1 column 1 (char 0)); then on stdout: 'stack traceback:', '\\tdriver.lua:12: in function "
     "<driver.lua:10>'", ""),
    ("wrong-id", Verdict.CRASH, "has id 101, expected 1", ""),
    ("hang", Verdict.TIMEOUT, "no answer within the 1s deadline", "hanging"),
    ("flood-stderr", Verdict.TIMEOUT, "no answer within the 1s deadline", "last words"),
    ("no-newline", Verdict.TIMEOUT, "(it wrote 39 bytes with no newline: '{\"type\": \"return\"", ""),
]


@pytest.mark.parametrize(("broken", "verdict", "detail", "stderr"), BROKEN, ids=[row[0] for row in BROKEN])
def test_a_broken_driver_costs_one_scenario(mode, broken, verdict, detail, stderr):
    candidate = Recording(driver_candidate(f"broken-{broken}", broken_driver(broken)))
    bad = run_scenario(MISBEHAVE, candidate.spec, OPTIONS)
    assert bad.verdict is verdict, bad.reason
    assert detail in bad.reason
    assert stderr in bad.reason.partition("stderr:")[2]
    assert bad.leaks == ()
    assert gone(candidate.pids[0])
    good = run_scenario(ECHO, candidate.spec, OPTIONS)
    assert good.verdict is Verdict.PASS, good.reason
    assert good.leaks == ()
    assert candidate.pids[1] != candidate.pids[0], "a new driver replaced the broken one"


def test_a_hung_driver_is_killed_with_its_children(mode):
    spec = driver_candidate("broken-hang", broken_driver("hang"))
    result = run_scenario(one_call("misbehave", deadline=3.0), spec, OPTIONS)
    assert result.verdict is Verdict.TIMEOUT
    found = re.search(r"grandchild (\d+)", result.reason)
    assert found, result.reason
    assert ends_within(int(found.group(1)), 5.0), "the driver's whole process group was killed"


def test_a_driver_past_its_deadline_is_judged_with_its_sockets_open(mode):
    # The peer waits 30 s for a byte the candidate never sends; the call waits 0.5 s for one the
    # peer never sends. In process that is a TIMEOUT. The driver used to be killed at the deadline,
    # so the peer read the kernel's close as the candidate's and the verdict was FAIL ("end of
    # stream after 0 of 1 bytes"), or either, by a millisecond, when the peer's own wait was short.
    server = PeerSpec(name="srv", kind="tcp-server", options={}, location=WHERE, script=(
        PeerAction("accept", {}), PeerAction("recv", {"count": 1, "timeout": 30})))
    steps = (
        CallStep(function="connect", style="global", target=None, args=(Ref("srv.host"), Ref("srv.port")),
                 save=("c",), expect=(ExpectedOutcome(returns=(TypeIs("socket"),)),), location=WHERE),
        CallStep(function="receive", style="global", target=None, args=(Ref("c"),), deadline=0.5,
                 expect=(ExpectedOutcome(returns=(Exact(b"x"),)),), location=WHERE),
    )
    stuck = Scenario(id="drivers.isolation.stuck-receive", title="stuck receive", manual="", spec="",
                     tags=(), requires=(), peers=(server,), steps=steps, location=WHERE)
    candidate = Recording(driver_candidate("reference-through-driver", python_driver("reference")))
    result = run_scenario(stuck, candidate.spec, OPTIONS)
    assert result.verdict is Verdict.TIMEOUT, result.reason
    assert "end of stream" not in result.reason
    assert result.leaks == ()
    assert gone(candidate.pids[0]), "the stopped driver is killed at the end of the scenario"


def test_a_stderr_flood_is_cut_to_its_tail(mode):
    spec = driver_candidate("broken-flood", broken_driver("flood-stderr"))
    result = run_scenario(MISBEHAVE, spec, OPTIONS)
    tail = result.reason.partition("stderr:")[2]
    assert tail.rstrip().endswith("last words")
    assert "earlier bytes of stderr not shown" in tail
    assert len(tail) < 10_000


def test_a_driver_that_dies_before_its_hello_costs_one_scenario(mode, tmp_path):
    marker = tmp_path / "started-once"
    spec = driver_candidate("broken-start", broken_driver("exit-before-hello", str(marker)))
    bad = run_scenario(ECHO, spec, OPTIONS)
    assert bad.verdict is Verdict.CRASH
    assert "did not start" in bad.reason and "exited with status 3" in bad.reason
    assert "the implementation failed to load" in bad.reason
    assert run_scenario(ECHO, spec, OPTIONS).verdict is Verdict.PASS


def test_reuse_keeps_one_driver_across_scenarios_and_the_leak_check_accepts_it():
    driver_spec.set_reuse(True)
    try:
        candidate = Recording(driver_candidate("reused", python_driver("drivermod")))
        first = run_scenario(one_call("echo"), candidate.spec, OPTIONS)
        second = run_scenario(one_call("echo"), candidate.spec, OPTIONS)
        assert (first.verdict, second.verdict) == (Verdict.PASS, Verdict.PASS)
        assert first.leaks == second.leaks == ()
        assert candidate.pids[0] == candidate.pids[1] is not None
        assert not gone(candidate.pids[0])
    finally:
        driver_spec.end_reuse()
    assert gone(candidate.pids[0]), "the end of the session closes the kept driver"


def test_without_reuse_every_scenario_has_its_own_driver():
    driver_spec.set_reuse(False)
    try:
        candidate = Recording(driver_candidate("fresh", python_driver("drivermod")))
        for _ in range(2):
            assert run_scenario(ECHO, candidate.spec, OPTIONS).verdict is Verdict.PASS
        assert candidate.pids[0] != candidate.pids[1]
        assert all(gone(pid) for pid in candidate.pids)
    finally:
        driver_spec.set_reuse(None)
