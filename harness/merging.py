"""Putting the results.json files of a sharded run back together.

A merge is only meaningful when the pieces are shards of *one* run, so
before anything is combined every piece must: carry a shard mark, agree on
the shard count, and between them hold each shard exactly once; agree on
the suite version (same scenario texts), the candidates (names, versions,
capabilities), the time scale, the expectations they were judged against
(strictness and every candidate's entries; not the file's path, which
differs between checkouts at different places) and the number of
repetitions; and share no (scenario, candidate) result. Anything else is a
``MergeError`` naming the files involved.

The merged document is what an unsharded run would have written, apart from
times: results in the usual order, the summary recounted, statuses against
expectations recomputed. ``created`` is the latest piece's and ``wall_time``
the longest piece's (the shards ran side by side). The expectations files it
names are the first piece's (the first file given to ``lsconform merge``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness.expectations import annotate
from harness.results import summarize
from harness.shards import Shard

# Keys that must be identical in every piece, with how to name them in an error.
_SHARED = (("suite_version", "suite version"), ("candidates", "candidates"),
           ("time_scale", "time scale"))


class MergeError(ValueError):
    """The files given are not the shards of one run; the message says why."""


def merge(pieces: Sequence[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """Merge ``(label, document)`` pairs (label: the file name, for errors) into one document."""
    if not pieces:
        raise MergeError("no results files to merge")
    count = _check_shards(pieces)
    first_label, first = pieces[0]
    for key, name in _SHARED:
        for label, document in pieces[1:]:
            if document.get(key) != first.get(key):
                raise MergeError(f"{label} and {first_label} differ in {name}: "
                                 "they are not shards of one run")
        for label, document in pieces[1:]:
            if _judged_by(document) != _judged_by(first):
                raise MergeError(f"{label} and {first_label} differ in expectations: "
                                 "they are not shards of one run")
    _check_selection(pieces)
    _check_repeat(pieces)
    owner: dict[tuple[str, str], str] = {}
    results = []
    for label, document in pieces:
        for record in document["results"]:
            pair = (record["scenario"], record["candidate"])
            if pair in owner:
                raise MergeError(f"{pair[0]} [{pair[1]}] is in both {owner[pair]} and {label}: the shards "
                                 f"overlap (were they run with the same options and suite?)")
            owner[pair] = label
            results.append(dict(record))
    results.sort(key=lambda r: (r["scenario"], r["candidate"]))
    merged: dict[str, Any] = {key: value for key, value in first.items() if key != "shard"}
    merged.update(
        created=max(document["created"] for _, document in pieces),
        wall_time=max(float(document["wall_time"]) for _, document in pieces),
        results=results,
        summary=summarize(results),
    )
    if "repeat" in first:
        changed = sorted((entry for _, d in pieces for entry in d["repeat"]["changed"]),
                         key=lambda e: (e["scenario"], e["candidate"]))
        merged["repeat"] = {"count": first["repeat"]["count"], "changed": changed}
    if "expectations" in first:
        merged = annotate(merged)
    if not results:
        raise MergeError(f"the {count} shards hold no results at all (did the selection match nothing?)")
    return merged


def _judged_by(document: Mapping[str, Any]) -> tuple[bool, dict[str, Any]] | None:
    """What a piece was judged against: strictness and each candidate's entries, without the file.

    The recorded ``file`` is where the file was on the machine that ran the
    shard; identical shards from checkouts at different paths must still merge.
    """
    section = document.get("expectations")
    if section is None:
        return None
    return (bool(section.get("strict")),
            {name: data.get("entries") for name, data in section.get("candidates", {}).items()})


def _check_shards(pieces: Sequence[tuple[str, Mapping[str, Any]]]) -> int:
    shards: list[tuple[str, Shard]] = []
    for label, document in pieces:
        if "shard" not in document:
            raise MergeError(f"{label} has no shard mark: it was not written by `lsconform run --shard i/n`")
        shards.append((label, Shard.from_json(document["shard"])))
    counts = {shard.count for _, shard in shards}
    if len(counts) > 1:  # before duplicates: 1/3 and 1/2 are not the same shard twice
        shown = ", ".join(f"{label}: {shard}" for label, shard in shards)
        raise MergeError(f"the files come from splits into different numbers of shards ({shown})")
    by_index: dict[int, str] = {}
    for label, shard in shards:
        if shard.index in by_index:
            raise MergeError(f"shard {shard} is given twice: {by_index[shard.index]} and {label}")
        by_index[shard.index] = label
    count = counts.pop()
    missing = [f"{index}/{count}" for index in range(1, count + 1) if index not in by_index]
    if missing:
        raise MergeError(f"missing shard{'s' if len(missing) > 1 else ''} {', '.join(missing)}: "
                         "every shard's results.json is needed")
    return count


def _check_selection(pieces: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
    """Every shard selected with the same -k and -m (a mark without a selection is from an older run)."""
    known = {label: document["shard"]["selection"] for label, document in pieces
             if "selection" in document["shard"]}
    if len({(selection["keyword"], selection["markexpr"]) for selection in known.values()}) > 1:
        shown = "; ".join(f"{label}: -k {s['keyword']!r} -m {s['markexpr']!r}" for label, s in known.items())
        raise MergeError(f"the shards were selected differently, so together they are not one run ({shown})")


def _check_repeat(pieces: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
    counts = {label: (d.get("repeat") or {}).get("count") for label, d in pieces}
    if len(set(counts.values())) > 1:
        shown = ", ".join(f"{label}: {n or 1}" for label, n in counts.items())
        raise MergeError(f"the shards ran different numbers of repetitions ({shown})")
