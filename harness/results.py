"""results.json: the one canonical record of a run, and the only input of every report.

Everything downstream (JUnit XML, the Markdown summary, expectations files,
CI gates) reads this document and nothing else, so it is versioned and
validated. The JSON Schema lives next to this module in
``results.schema.json``; this docstring is its prose form.

Schema ``lsconform-results``, version 1::

    {
      "schema": "lsconform-results",
      "schema_version": 1,
      "suite_version": "0.1.0+scenarios.3f2a9c1d0b7e",   # package + scenario-file hash
      "created": "2026-01-01T12:00:00+00:00",              # ISO 8601, UTC
      "wall_time": 12.3,                                   # seconds for the whole run
      "time_scale": 1.0,                                   # the --time-scale multiplier
      "candidates": [{"name": "reference", "version": "0.1.0", "capabilities": ["ipv4"]}],
      "results": [
        {
          "scenario": "tcp.receive.line.crlf-stripped", "candidate": "reference",
          "verdict": "PASS", "duration": 0.012,
          "title": "...", "area": "tcp", "manual": "TCP sockets / receive",
          "spec": "§5.6", "tags": ["receive"], "location": "tcp/receive.yaml:3",
          # only for verdicts other than PASS, NON-STRICT and INFORMATIONAL:
          "reason": "...", "step": "tcp/receive.yaml:17",
          "expected": ["\\"hello\\""], "actual": "nil, \\"closed\\"",
          "transcript": [{"at": 0.001, "source": "candidate", "text": "..."}],
          # NON-STRICT and INFORMATIONAL: only reason (the deciding call and its
          # outcome's note), step and actual, each where not empty
          # whenever the runner found any:
          "leaks": ["socket #3 left open"],
          # only when the candidate was judged against an expectations file:
          "expectation": {"status": "expected", "verdict": "FAIL", "reason": "..."}
        }
      ],
      "summary": {"reference": {"PASS": 1, "NON-STRICT": 0, ..., "SKIP": 0}},
      # only for `lsconform run --repeat N`:
      "repeat": {"count": 3, "changed": [{"scenario": "...", "candidate": "...",
                                          "verdicts": ["PASS", "FAIL", "PASS"]}]},
      # only for `lsconform run --shard i/n` (`lsconform merge` drops it):
      "shard": {"index": 1, "count": 3},
      # only with expectations files (harness/expectations.py has the statuses):
      "expectations": {"strict": false, "candidates": {"port": {
          "file": "/home/ci/port/expectations/port.yaml",   # absolute, as resolved by the run
          "entries": {"tcp.receive.word.basic": {"verdict": "FAIL", "reason": "..."}}}}},
      # only for `lsconform bench` (harness/bench/scoring.py); rates are units of work per second:
      "bench": {
        "reference": "reference", "candidates": ["luasocket3-lua5.4"],
        "pairs": 5, "warmup": 1, "quick": false,
        "command": "lsconform bench --candidate luasocket3-lua5.4",
        "machine": {"cpu": "...", "cores": 2, "python": "3.11.7", "platform": "Linux-...",
                    "load_before": [1.0, 0.9, 0.8], "load_after": [1.2, 1.0, 0.8]},
        "workloads": [{
          "id": "perf.tcp.receive-all.64mib", "title": "...", "size": 67108864, "unit": "bytes",
          "timing": "candidate",                      # or "harness" (rounds of calls)
          "ceiling": {"client": "tcp-drain", "rates": [...], "median": 2.1e9, "min": ..., "max": ...},
          "sides": {"reference": {"verdict": "PASS", "seconds": [...], "rates": [...],
                                  "median": 2.0e8, "min": ..., "max": ..., "protocol_bound": false,
                                  "callback_calls": 0, "near_ceiling": false,
                                  "length_only": false,   # true: value 1 checked by length only
                                  "peer_loads": [...], "peer_load": 0.31,  # peers' CPU s per timed s
                                  "peer_waits": [...], "peer_wait": 0.02,  # their run-queue s per timed s
                                  "peer_busy": false,                    # peer_load + peer_wait >= 0.8
                                  "peer_bound": false,                   # near_ceiling and peer_busy
                                  "candidate_loads": [...],              # the candidate's CPU s per
                                  "candidate_load": 0.97}, ...},         # timed s (PROTOCOL.md cpu)
          "ratios": {"luasocket3-lua5.4": 0.78}}],   # candidate median / reference median
        "scores": {"luasocket3-lua5.4": {"geomean": 0.81, "count": 9,
                                         "excluded": [{"id": "...", "why": "..."}],
                                         "near_ceiling": ["perf.smtp.mail.200"],
                                         "peer_busy": ["perf.udp.receive.100k"],
                                         "peer_bound": []}}}
    }

A bench run also has one ordinary record per workload and side in
``results`` (area ``perf``), so every report and gate reads it as usual.
The ``bench`` key is optional, so the schema version stays 1.

Results are sorted by (scenario, candidate) so that a serial run and a
parallel run of the same suite produce the same document apart from times.
Writing is atomic (a temporary file in the same directory, then a rename),
so a crash never leaves half a report behind for CI to misread.
"""

from __future__ import annotations

import datetime as _dt
import errno
import functools
import hashlib
import json
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from harness.scenario.model import Scenario, ScenarioResult, Verdict
from harness.schema_check import SchemaProblem, validate

SCHEMA_NAME = "lsconform-results"
SCHEMA_VERSION = 1
SCHEMA_FILE = Path(__file__).with_name("results.schema.json")
PACKAGE_NAME = "luasocket-conformance"

PASSING = frozenset({Verdict.PASS, Verdict.NON_STRICT, Verdict.INFORMATIONAL})


class ResultsError(ValueError):
    """A results file that is not one, is too new, or is malformed."""


# -- building -----------------------------------------------------------------


def result_record(result: ScenarioResult, scenario: Scenario, area: str) -> dict[str, Any]:
    """One entry of ``results``: the verdict plus what a reader needs to act on it.

    Details (expected, actual, transcript) are kept for non-passes: they are
    what someone debugging needs. A NON-STRICT or INFORMATIONAL result keeps
    its reason (the deciding call and the matched outcome's ``note``: why
    this behaviour is only acceptable), its step and what the candidate did,
    since without them nothing says what was not strict; but not the
    transcript, so that a port with dozens of such results, and a passing
    suite, keep a small file.
    """
    verdict = Verdict(result.verdict)
    record: dict[str, Any] = {
        "scenario": result.scenario,
        "candidate": result.candidate,
        "verdict": verdict.value,
        "duration": round(float(result.duration), 6),
        "title": scenario.title,
        "area": area,
        "manual": scenario.manual,
        "spec": scenario.spec,
        "tags": list(scenario.tags),
        "location": str(scenario.location),
    }
    if verdict not in PASSING:
        record.update(
            reason=result.reason,
            step=result.step,
            expected=list(result.expected),
            actual=result.actual,
            transcript=[{"at": round(float(e.at), 6), "source": e.source, "text": e.text}
                        for e in result.transcript],
        )
    elif verdict is not Verdict.PASS:
        record.update((key, value) for key, value in
                      (("reason", result.reason), ("step", result.step), ("actual", result.actual)) if value)
    if result.leaks:
        record["leaks"] = list(result.leaks)
    return record


def localize(record: dict[str, Any], root: Path) -> dict[str, Any]:
    """``location`` and ``step`` relative to the scenario root, as pytest's node ids are.

    Shared by ``lsconform run`` and ``lsconform bench``, so that both write
    ``tcp/receive.yaml:17`` rather than one of them an absolute path. The
    scenario file's locations quoted inside texts too (a peer's
    ``recv (tcp/send.yaml:40)`` in the reason, the transcript's ``FAILED``
    line), so that a reason names its lines as the ``step`` field does.
    """
    location = str(record.get("location") or "")
    for key in ("location", "step"):
        if record.get(key):
            record[key] = relative_place(record[key], root)
    absolute = location.rpartition(":")[0]
    relative = str(record.get("location") or "").rpartition(":")[0]
    if absolute and relative and absolute != relative:
        def local(text: str) -> str:
            return text.replace(f"{absolute}:", f"{relative}:")

        for key in ("reason", "actual"):
            if isinstance(record.get(key), str):
                record[key] = local(record[key])
        if isinstance(record.get("expected"), list):
            record["expected"] = [local(text) for text in record["expected"]]
        for entry in record.get("transcript") or ():
            entry["text"] = local(entry["text"])
    return record


def relative_place(where: str, root: Path) -> str:
    """``path:line`` with the path relative to ``root`` (as it is when outside it, or not such a place)."""
    path, sep, line = where.rpartition(":")
    if not sep or not line.isdigit():
        return where
    try:
        return f"{Path(path).resolve().relative_to(root.resolve()).as_posix()}:{line}"
    except (ValueError, OSError):
        return where


def summarize(records: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Counts per verdict for each candidate; every verdict is present, zeros included."""
    summary: dict[str, dict[str, int]] = {}
    for record in records:
        counts = summary.setdefault(record["candidate"], {v.value: 0 for v in Verdict})
        counts[record["verdict"]] += 1
    return summary


def build_document(
    records: Iterable[Mapping[str, Any]],
    candidates: Sequence[Mapping[str, Any]],
    *,
    suite_version: str,
    wall_time: float,
    time_scale: float,
    created: _dt.datetime | None = None,
) -> dict[str, Any]:
    """Assemble a schema-1 document from result records and candidate descriptions."""
    ordered = sorted((dict(r) for r in records), key=lambda r: (r["scenario"], r["candidate"]))
    moment = created or _dt.datetime.now(_dt.UTC)
    return {
        "schema": SCHEMA_NAME,
        "schema_version": SCHEMA_VERSION,
        "suite_version": suite_version,
        "created": moment.isoformat(timespec="seconds"),
        "wall_time": round(float(wall_time), 3),
        "time_scale": float(time_scale),
        "candidates": [dict(c) for c in candidates],
        "results": ordered,
        "summary": summarize(ordered),
    }


def candidate_entry(name: str, version: str, capabilities: Iterable[str]) -> dict[str, Any]:
    return {"name": name, "version": version, "capabilities": sorted(capabilities)}


def failures(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The results that make a CI run fail (FAIL, CRASH, TIMEOUT)."""
    return [r for r in document["results"] if Verdict(r["verdict"]).is_failure]


# -- suite version --------------------------------------------------------------


def package_version() -> str:
    try:
        return metadata.version(PACKAGE_NAME)
    except metadata.PackageNotFoundError:
        return "0+unknown"


def scenario_digest(root: Path) -> str:
    """A short hash of every scenario file's path and bytes under ``root``.

    Two runs share a digest exactly when they ran the same scenario texts, so
    results from different suite revisions are never compared by mistake.
    """
    from harness.scenario.catalog import scenario_files

    digest = hashlib.sha256()
    # The catalog's own list: files only, so a folder named x.yaml is no scenario file here either.
    for path in scenario_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def suite_version(root: Path) -> str:
    return f"{package_version()}+scenarios.{scenario_digest(root)}"


# -- writing and loading ---------------------------------------------------------


class FileInTheWayError(NotADirectoryError):
    """A file stands where the path to write needs a directory (``afile`` in ``afile/x.md``).

    ``mkdir`` said ``[Errno 17] File exists: 'afile'`` for that, which reads
    as though the file to write already existed; this names the file in the
    way and what it should be.
    """

    def __init__(self, path: Path, blocker: Path) -> None:
        super().__init__(errno.ENOTDIR, f"{blocker} is a file, not a directory", str(path))
        self.path = path
        self.blocker = blocker

    def __str__(self) -> str:
        return str(self.strerror)


def make_parent(path: Path) -> None:
    """Create ``path``'s folder and any above it; ``FileInTheWayError`` if a file stands in one's place."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        files = [folder for folder in reversed(path.parents) if folder.exists() and not folder.is_dir()]
        if not files:
            raise
        raise FileInTheWayError(path, files[0]) from None


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half."""
    path = Path(path)
    make_parent(path)
    temp = write_temporary(path, text)
    try:
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_temporary(path: Path, text: str) -> Path:
    """``text`` in a new hidden file beside ``path``, for the caller to ``os.replace`` onto it.

    In the same directory, so the replace is a rename, which cannot fail
    half-way; nothing is left behind if the write itself fails.
    """
    # Not tempfile.mkstemp: its files are private (0600), and a report must get
    # the usual permissions (the umask's) like any other file the user writes.
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        # A lone surrogate (a candidate's message decoded with surrogateescape) cannot be UTF-8:
        # written as its \uXXXX escape it loses no report, and in JSON the escape reads back exactly.
        with open(temp, "x", encoding="utf-8", errors="backslashreplace", newline="\n") as handle:
            handle.write(text)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def dumps(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_document(path: Path, document: Mapping[str, Any]) -> None:
    check_document(document)
    write_text_atomic(path, dumps(document))


def load_document(path: Path) -> dict[str, Any]:
    """Read and check a results file; raises ResultsError saying what is wrong."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ResultsError(f"{path}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise ResultsError(f"{path}: not UTF-8 text (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise ResultsError(f"{path}: not JSON: {error}") from None
    try:
        check_document(document)
    except ResultsError as error:
        raise ResultsError(f"{path}: {error}") from None
    return document


def check_document(document: Any) -> None:
    """Check identity and version, then the whole document against results.schema.json.

    Every renderer, ``merge`` and ``update-expectations`` index into nested
    items (transcript entries, expectation statuses, bench figures) without
    further checks, so a file that passes here cannot crash them; a problem
    is named by its field path (``results[3].transcript[0]: missing text``).
    Beyond the schema: a shard's index is at most its count, and no
    (scenario, candidate) pair has two results.
    """
    if not isinstance(document, Mapping) or document.get("schema") != SCHEMA_NAME:
        raise ResultsError(f'not an lsconform results document (no "schema": "{SCHEMA_NAME}")')
    version = document.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ResultsError(f"schema_version {version!r} is not supported (this lsconform reads "
                           f"version {SCHEMA_VERSION})")
    try:
        validate(document, _schema())
    except SchemaProblem as problem:
        raise ResultsError(str(problem)) from None
    if "shard" in document and not document["shard"]["index"] <= document["shard"]["count"]:
        raise ResultsError(f"shard: expected index and count with 1 <= index <= count, "
                           f"got {dict(document['shard'])}")
    _check_unique(document["results"])


def _check_unique(records: Sequence[Mapping[str, Any]]) -> None:
    """One result per (scenario, candidate): two would be counted twice and shown in one cell."""
    first: dict[tuple[str, str], int] = {}
    for index, record in enumerate(records):
        pair = (record["scenario"], record["candidate"])
        if pair in first:
            raise ResultsError(f"results[{index}]: a second result for {pair[0]} [{pair[1]}] "
                               f"(the first is results[{first[pair]}])")
        first[pair] = index


@functools.cache
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


# -- repetitions -----------------------------------------------------------------


def changed_verdicts(documents: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Scenario x candidate pairs whose verdict was not the same in every repetition.

    A pair missing from one repetition counts as a change too (shown as
    "MISSING"), since a scenario that silently vanished is no more stable.
    """
    history: dict[tuple[str, str], list[str]] = {}
    for index, document in enumerate(documents):
        for record in document["results"]:
            verdicts = history.setdefault((record["scenario"], record["candidate"]), ["MISSING"] * index)
            verdicts.append(record["verdict"])
        for verdicts in history.values():
            if len(verdicts) < index + 1:
                verdicts.append("MISSING")
    return [
        {"scenario": scenario, "candidate": candidate, "verdicts": verdicts}
        for (scenario, candidate), verdicts in sorted(history.items())
        if len(set(verdicts)) > 1
    ]


def with_repetitions(documents: Sequence[Mapping[str, Any]], wall_time: float) -> dict[str, Any]:
    """The last repetition's document, plus the ``repeat`` section and the total wall time."""
    if not documents:
        raise ValueError("no repetitions to merge")
    merged = dict(documents[-1])
    merged["wall_time"] = round(float(wall_time), 3)
    merged["repeat"] = {"count": len(documents), "changed": changed_verdicts(documents)}
    return merged
