"""A local callback's account (PROTOCOL.md section 7.1) merged into the scenario's callbacks.

``check-callback:`` steps judge the merged record exactly as they judge
calls the harness served itself.
"""

from __future__ import annotations

import hashlib

import pytest
from runner_support import loc

from harness.adapters.driver_loops import LocalCallbackReport
from harness.callbacks import CallbackSet, UnknownCallback, generated_chunks, runs_locally
from harness.inspection import Inspector
from harness.scenario.matchers import Digest, Exact
from harness.scenario.model import CallbackSpec, CheckCallbackStep, CheckOutcome, GeneratedData, Verdict
from harness.transcript import Transcript

SINK = CallbackSpec("sink", "receive", record="digest")
GENERATE = GeneratedData(size=25, pattern=b"abc", chunk=10)
SOURCE = CallbackSpec("source", "send", generate=GENERATE)
HELLO = hashlib.sha256(b"hello").hexdigest()


def judged(callbacks: CallbackSet, outcome: CheckOutcome, name: str = "sink") -> tuple[Verdict, str]:
    inspector = Inspector({}, callbacks, {}, Transcript(), 1.0)
    judgement = inspector.judge(CheckCallbackStep(name, (outcome,), loc(10)))
    return judgement.verdict, judgement.reason


def test_a_merged_receive_account_passes_the_check_it_would_pass_in_the_harness():
    transcript = Transcript()
    callbacks = CallbackSet((SINK,), transcript)
    callbacks.absorb("sink", LocalCallbackReport(3, 5, HELLO, (b"hel", None), (b"", None)))
    outcome = CheckOutcome({"count": 3, "digest": Digest("sha256", HELLO, 5), "first": (Exact(b"hel"),),
                            "last": (Exact(b""),)})
    assert judged(callbacks, outcome) == (Verdict.PASS, "")
    assert any("sink ran inside the candidate (local callback): 3 calls, 5 bytes" in entry.text
               for entry in transcript.entries())


def test_a_wrong_digest_or_count_from_the_candidate_fails_the_check():
    callbacks = CallbackSet((SINK,), Transcript())
    callbacks.absorb("sink", LocalCallbackReport(2, 5, hashlib.sha256(b"HELLO").hexdigest(), (b"HEL",),
                                                 (b"LO",)))
    verdict, reason = judged(callbacks, CheckOutcome({"digest": Digest("sha256", HELLO, 5)}))
    assert verdict is Verdict.FAIL and reason.startswith("check-callback sink: digest:")
    verdict, reason = judged(callbacks, CheckOutcome({"count": 3}))
    assert verdict is Verdict.FAIL and "expected 3 calls, there were 2" in reason


def test_a_local_callback_never_called_is_never_called_for_the_check():
    callbacks = CallbackSet((SINK,), Transcript())
    callbacks.absorb("sink", LocalCallbackReport(0, 0, hashlib.sha256(b"").hexdigest()))
    verdict, reason = judged(callbacks, CheckOutcome({"last": (Exact(b""),)}))
    assert verdict is Verdict.FAIL and "never called" in reason


def test_a_send_account_moves_the_harness_chunks_on():
    callbacks = CallbackSet((SOURCE,), Transcript())
    callbacks.absorb("source", LocalCallbackReport(2, 20, None, (), ()))
    source = callbacks["source"]
    assert (source.record.count, source.served) == (2, 20)
    assert callbacks.handle("source", ()) == (list(generated_chunks(GENERATE))[2], 25)
    assert callbacks.handle("source", ()) == (b"", 25)
    outcome = CheckOutcome({"count": 4, "first": (), "last": ()})
    assert judged(callbacks, outcome, "source") == (Verdict.PASS, "")


def test_digests_from_two_places_are_refused_rather_than_misreported():
    callbacks = CallbackSet((SINK,), Transcript())
    callbacks.handle("sink", (b"hel",))
    with pytest.raises(ValueError, match="cannot be combined"):
        lo = hashlib.sha256(b"lo").hexdigest()
        callbacks.absorb("sink", LocalCallbackReport(1, 2, lo, (b"lo",), (b"lo",)))
    fresh = CallbackSet((SINK,), Transcript())
    fresh.absorb("sink", LocalCallbackReport(1, 5, HELLO, (b"hello",), (b"hello",)))
    with pytest.raises(ValueError, match="cannot be combined"):
        fresh.handle("sink", (b"more",))


def test_an_account_for_an_undeclared_callback_is_refused():
    with pytest.raises(UnknownCallback, match="'ghost'"):
        CallbackSet((SINK,), Transcript()).absorb("ghost", LocalCallbackReport(0, 0, HELLO))


@pytest.mark.parametrize(("spec", "local"), [
    (SINK, True),
    (CallbackSpec("sink", "receive"), False),  # record: data keeps every call's data
    (CallbackSpec("sink", "receive", record="digest", abort_at=3), False),
    (SOURCE, True),
    (CallbackSpec("source", "send", generate=GENERATE, abort_at=1), False),
    (CallbackSpec("source", "send", chunks=(b"abc",)), False),
])
def test_only_callbacks_a_local_one_reproduces_exactly_may_run_locally(spec, local):
    assert runs_locally(spec) is local


def test_empty_counts_the_calls_with_an_empty_chunk_and_is_unknown_after_a_local_run():
    # The manual ends a transfer with one "" call: a "" before the last chunk ended it early.
    callbacks = CallbackSet((SINK,), Transcript())
    for chunk in (b"he", b"", b"llo", b""):
        callbacks.handle("sink", (chunk, None))
    assert judged(callbacks, CheckOutcome({"empty": 2})) == (Verdict.PASS, "")
    verdict, reason = judged(callbacks, CheckOutcome({"empty": 1, "last": (Exact(b""),)}))
    assert verdict is Verdict.FAIL
    assert reason == 'check-callback sink: empty: expected 1 calls with "", there were 2'
    local = CallbackSet((SINK,), Transcript())
    local.absorb("sink", LocalCallbackReport(3, 5, HELLO, (b"hel", None), (b"", None)))
    verdict, reason = judged(local, CheckOutcome({"empty": 1}))
    assert verdict is Verdict.FAIL and "empty: not known (the candidate ran this callback itself" in reason
