"""Option values the commands share, refused at parse time with the reason."""

from __future__ import annotations

import argparse

import pytest

from harness.cli.common import MOST_SCALE, time_scale_option


@pytest.mark.parametrize(("text", "value"),
                         [("1", 1.0), ("2.5", 2.5), ("0.5", 0.5), (str(MOST_SCALE), MOST_SCALE)])
def test_time_scales_in_range(text: str, value: float) -> None:
    assert time_scale_option(text) == value


@pytest.mark.parametrize("text", ["0", "-1", "nan", "inf", "1e308", "1001", "fast", ""])
def test_time_scales_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="above 0 and at most 1000"):
        time_scale_option(text)


def test_the_help_names_every_shipped_candidate_and_prefix() -> None:
    from harness.candidates import registry
    from harness.cli.common import CANDIDATE_FORMS

    for name in [*registry.SHIPPED, "python:MODULE", "driver:python:MODULE", "driver:COMMAND"]:
        assert name in CANDIDATE_FORMS


def test_a_command_started_with_sigint_ignored_hears_it_again() -> None:
    # `lsconform bench ... &` from a script starts with SIGINT ignored: kill -INT must still stop it.
    import subprocess
    import sys

    probe = ("import signal; signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
             "from harness.cli.main import _hear_interrupts\n"
             "_hear_interrupts()\n"
             "print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True", done.stderr
