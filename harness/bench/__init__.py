"""Throughput scoring: perf workloads run for a candidate and for the reference, interleaved.

A workload is a scenario under ``scenarios/perf/`` with a ``workload:``
section (``workload.py``). ``execution`` performs one run of it for one
candidate (a ``harness.runner.ScenarioRun`` whose timed part is a repeated
call, ``repeated``, or rounds of calls, ``rounds``; ``timed`` holds what
they share) and checks the run's correctness; ``ceilings`` measures what the
peers alone can deliver to a plain-socket client and ``peerload`` how busy
they were during each run; ``session`` interleaves
the runs (reference, candidate, reference, candidate...); ``scoring`` turns
the samples into medians, ratios and a geometric mean; ``document`` writes
the ``bench`` section of results.json. ``lsconform bench`` is the command.
"""
