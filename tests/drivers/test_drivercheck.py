"""``lsconform check-driver``: the battery passes the Python driver and names each deliberate bug."""

from __future__ import annotations

import sys

import psutil
import pytest
from driver_support import broken_driver, python_driver, variant_driver

from harness.adapters.base import Crashed
from harness.cli.main import main
from harness.drivercheck import Target, run_checks
from harness.drivercheck.support import unexpected

CHECKS = ["hello", "protocol-version", "errors", "byte-exact", "handles", "release", "callbacks",
          "local-callbacks", "repeat", "sequence", "digest", "bye", "end-of-input"]


NEITHER = {"STREAMING_AREA": "none"}
"""``streamingmod`` then claims no http or ftp: the reference's transport API only."""


def statuses(command: list[str], **options: object) -> dict[str, tuple[str, str]]:
    results = run_checks(Target(tuple(command), patience=1.0, **options))  # type: ignore[arg-type]
    return {result.name: (result.status, result.detail) for result in results}


def test_the_python_driver_over_the_reference_passes_every_check():
    seen = statuses(python_driver("reference"))
    assert list(seen) == CHECKS
    failed = {name: detail for name, (status, detail) in seen.items() if status == "FAIL"}
    assert failed == {}
    assert seen["repeat"][0] == "PASS"
    assert seen["digest"][0] == "PASS" and "50000 random bytes" in seen["digest"][1]
    assert seen["sequence"][0] == "PASS" and "bytes and sha256 right" in seen["sequence"][1]
    assert "reference 1.3b" in seen["hello"][1]


def test_a_driver_for_the_tcp_section_alone_passes():
    # No udpsocket, no select: the base checks must keep to what the hello claims.
    seen = statuses(python_driver("tcponlymod"))
    failed = {name: detail for name, (status, detail) in seen.items() if status == "FAIL"}
    assert failed == {}
    assert seen["hello"][1].endswith("capabilities: digest, local-callbacks, repeat, sequence, tcp")
    assert seen["handles"][0] == "PASS" and "select not claimed" in seen["handles"][1]


def test_callbacks_are_skipped_when_neither_http_nor_ftp_is_claimed():
    seen = statuses(python_driver("streamingmod"), env=NEITHER)
    assert seen["callbacks"] == ("SKIP", "the driver claims neither http nor ftp")
    assert seen["local-callbacks"] == ("SKIP", "claimed, but the driver claims neither http nor ftp")
    assert {status for status, _ in seen.values()} == {"PASS", "SKIP"}


@pytest.mark.parametrize("area", ["http", "ftp"])
def test_callbacks_are_checked_when_the_driver_claims_http_or_ftp(area):
    seen = statuses(python_driver("streamingmod"), env={"STREAMING_AREA": area})
    status, detail = seen["callbacks"]
    assert status == "PASS", detail
    assert ("http_requestindirect" if area == "http" else "ftp_getindirect") in detail
    status, detail = seen["local-callbacks"]
    assert status == "PASS", detail
    assert ("http_requestindirect" if area == "http" else "ftp_putindirect") in detail


def test_local_callbacks_are_skipped_when_not_claimed():
    seen = statuses(variant_driver("no-local-callbacks", "streamingmod"), env={"STREAMING_AREA": "http"})
    assert seen["local-callbacks"] == ("SKIP", "not claimed")
    assert seen["callbacks"][0] == "PASS"
    assert {status for status, _ in seen.values()} == {"PASS", "SKIP"}


@pytest.mark.parametrize(("variant", "evidence"), [
    ("local-digest-wrong", "expected 512 bytes with sha256 "),
    ("local-send-restarts-pattern", "the peer received byte 4096 is 0x30, expected 0x31"),
])
@pytest.mark.parametrize("area", ["http", "ftp"])
def test_a_wrong_local_callback_fails_the_local_callbacks_check(variant, evidence, area):
    seen = statuses(variant_driver(variant, "streamingmod"), env={"STREAMING_AREA": area})
    status, detail = seen["local-callbacks"]
    assert status == "FAIL" and evidence in detail, detail
    assert {name for name, (state, _) in seen.items() if state == "FAIL"} == {"local-callbacks"}


VARIANTS = [
    ("mangle-results", "byte-exact", "driver -> harness: receive returned byte 128 is 0xc2, expected 0x80",
     ("sequence",)),  # its echo carries all the byte values too
    ("mangle-arguments", "byte-exact", "harness -> driver: the peer received byte 128 is 0x3f",
     ("repeat", "sequence")),  # their payloads have high bytes too
    ("fresh-handles", "handles", "expected the accepted socket", ()),
    ("protocol-2", "protocol-version", "the driver speaks protocol 2",  # and the adapter refuses it:
     ("errors", "byte-exact", "handles", "release", "callbacks", "local-callbacks", "repeat", "sequence",
      "digest")),
    ("no-bye-answer", "bye", "no bye answer", ()),
    ("lingers-after-input", "end-of-input", "did not end its output within 1s", ()),
    ("release-keeps-sockets", "release", "stayed open after its handle was released", ()),
    ("repeat-ignored", "repeat", "expected the error 'repeat not supported'", ("digest",)),
    ("digest-unclaimed", "digest", "was answered with 'return'; expected the error",
     ("sequence",)),  # its sequences accept digests it does not claim, too
    ("digest-wrong", "digest", "repeat.sha256 is ", ()),
    ("digest-absent", "digest", "repeat.sha256 is missing", ()),
    ("sequence-short", "sequence", "the sequence reports 19 rounds, expected 20", ()),
    ("sequence-unnumbered", "sequence", "expected an error starting 'round 2, call 1 (send): '", ()),
]


@pytest.mark.parametrize(("variant", "check", "evidence", "also"), VARIANTS, ids=[row[0] for row in VARIANTS])
def test_each_deliberate_bug_fails_its_own_check(variant, check, evidence, also):
    seen = statuses(variant_driver(variant, "streamingmod"), env=NEITHER)
    status, detail = seen[check]
    assert status == "FAIL"
    assert evidence in detail
    failed = {name for name, (state, _) in seen.items() if state == "FAIL"}
    assert failed == {check, *also}, seen


def test_a_failed_check_ends_with_the_stderr_tail_not_with_what_it_expected():
    crash = Crashed("the driver exited with status 1", "last words")
    assert str(unexpected("global f()", crash, "unimplemented")) == (
        "global f(): expected unimplemented, but it crashed: the driver exited with status 1; "
        "stderr:\nlast words")


def test_digest_is_skipped_for_a_driver_that_neither_claims_nor_knows_it():
    seen = statuses(variant_driver("digest-refused", "streamingmod"), env=NEITHER)
    assert seen["digest"] == ("SKIP", "not claimed (a digest request is refused, as it should be)")


def test_a_driver_without_sequence_skips_its_check():
    seen = statuses(variant_driver("no-sequence", "streamingmod"), env=NEITHER)
    assert seen["sequence"] == ("SKIP", "not claimed (the harness never sends a sequence then)")
    assert {status for status, _ in seen.values()} == {"PASS", "SKIP"}


def test_a_driver_that_never_says_hello_fails_with_its_stderr():
    seen = statuses(broken_driver("exit-before-hello"))
    status, detail = seen["hello"]
    assert status == "FAIL"
    assert "exited with status 3" in detail and "the implementation failed to load" in detail
    later = {name: result for name, result in seen.items() if name != "hello"}
    assert list(later) == CHECKS[1:]  # the rest reported, not run: each would wait for the same hello
    assert set(later.values()) == {("SKIP", "not run: the driver did not start (see hello)")}


def test_a_stack_trace_on_stdout_instead_of_the_hello_is_quoted_beyond_its_first_line():
    trace = (b"lua5.4: driver.lua:3: module 'cjson' not found\n"
             b"stack traceback:\n\t[C]: in function 'require'\n")
    seen = statuses([sys.executable, "-c", f"import os; os.write(1, {trace!r}); os._exit(1)"])
    status, detail = seen["hello"]
    assert status == "FAIL"
    assert detail.startswith("not a JSON line: \"lua5.4: driver.lua:3: module 'cjson' not found\" (Expecting "
                             "value: line 1 column 1 (char 0)); then on stdout: 'stack traceback:', "
                             "\"\\t[C]: in function 'require'\"; the driver exited with status 1"), detail


def test_a_driver_silent_past_the_hello_timeout_is_told_how_to_wait_longer():
    # run names LSCONFORM_HELLO_TIMEOUT; check-driver's own switch went unmentioned.
    seen = statuses([sys.executable, "-c", "import time; time.sleep(30)"], hello_timeout=0.3)
    assert seen["hello"] == ("FAIL", "no hello within 0.3s (a driver slow to start may be given longer: "
                                     "check-driver --hello-timeout SECONDS)")


def test_the_command_prints_one_line_per_check_and_exits_by_the_result(capsys):
    assert main(["check-driver", "--", *python_driver("reference")]) == 0
    out = capsys.readouterr().out
    assert "PASS  byte-exact: all 256 byte values" in out
    assert len(out.splitlines()) == len(CHECKS) + 1
    assert ", 0 failed," in out.splitlines()[-1]
    assert main(["check-driver", "--", *variant_driver("fresh-handles")]) == 1
    out = capsys.readouterr().out
    assert "FAIL  handles:" in out and "handles" in out.splitlines()[-1]


def test_the_command_needs_a_command(capsys):
    assert main(["check-driver"]) == 2
    assert "name the driver's command line" in capsys.readouterr().err


def test_a_program_that_cannot_run_is_a_usage_error(capsys, tmp_path):
    assert main(["check-driver", "--", str(tmp_path / "no-such-driver")]) == 2
    assert "no-such-driver does not exist (not an executable file)" in capsys.readouterr().err
    assert main(["check-driver", "--", "no-such-driver-on-path-xyz"]) == 2
    assert "is not on PATH" in capsys.readouterr().err


def test_a_script_without_the_execute_bit_says_both_ways_out(capsys, tmp_path, monkeypatch):
    # "not an executable file" alone read as if the path were wrong; the file is there, only its mode is.
    script = tmp_path / "driver.py"
    script.write_text("#!/usr/bin/env python3\nprint('hello')\n")
    assert main(["check-driver", "--", str(script)]) == 2
    assert (f"{script} is not an executable file (no execute permission): chmod +x it, or put its "
            f"interpreter first (python3 {script})") in capsys.readouterr().err
    assert main(["check-driver", "--", str(tmp_path)]) == 2
    assert f"{tmp_path} is a folder, not an executable file" in capsys.readouterr().err
    monkeypatch.chdir(tmp_path)
    assert main(["check-driver", "--", "./missing-driver"]) == 2
    assert f"./missing-driver does not exist (not an executable file, looked for from {tmp_path})" in (
        capsys.readouterr().err)


def test_a_script_whose_interpreter_is_missing_names_the_interpreter(capsys, tmp_path):
    # The kernel would say the script itself is missing.
    cases = [("#!/nonexistent/lua9", "names the interpreter /nonexistent/lua9 on its #! line"),
             ("#!/usr/bin/env lua9-xyz -e", "runs lua9-xyz (its #! line: /usr/bin/env lua9-xyz -e)")]
    for line, words in cases:
        script = tmp_path / "driver.lua"
        script.write_text(f"{line}\nprint('hello')\n")
        script.chmod(0o755)
        assert main(["check-driver", "--", str(script)]) == 2
        assert words in capsys.readouterr().err


def test_the_check_leaves_no_process_behind():
    before = {child.pid for child in psutil.Process().children(recursive=True)}
    statuses(variant_driver("lingers-after-input", "streamingmod"), env=NEITHER)
    after = {child.pid for child in psutil.Process().children(recursive=True)
             if child.status() != psutil.STATUS_ZOMBIE}
    assert after <= before
