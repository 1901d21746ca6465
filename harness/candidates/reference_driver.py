"""The reference implementation behind the Python driver, in a child process per scenario.

Scores exactly what ``reference`` scores in process: the check that the
driver protocol and the driver carry every value, error and handle intact.
"""

from harness.adapters.driver_spec import driver_candidate
from harness.candidates.python_driver import PROJECT_ROOT, python_driver_command

CANDIDATE = driver_candidate(
    "reference-driver",
    python_driver_command("reference", [PROJECT_ROOT], isolated=True, name="reference-driver"),
    "the project's reference implementation, served by the Python driver",
)
