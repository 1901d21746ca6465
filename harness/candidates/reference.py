"""The shipped reference implementation (``reference/``), run in process.

This is the default candidate: the suite's own reading of the manual.
"""

from harness.candidates.python_module import in_process_spec

CANDIDATE = in_process_spec(
    "reference",
    name="reference",
    description="the project's reference implementation of LuaSocket 1.3b, in process",
)
