"""``--shard i/n``: parsing, and a partition of the selection that is complete, disjoint and balanced."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cli_scenarios import FAILING_YAML, LOOKUP_YAML, UNIMPLEMENTED_YAML, write_tree
from hypothesis import given
from hypothesis import strategies as st

from harness.cli.main import main
from harness.results import load_document
from harness.shards import Shard


@pytest.mark.parametrize(("text", "shard"),
                         [("1/1", Shard(1, 1)), ("2/3", Shard(2, 3)), (" 3 / 3 ", Shard(3, 3))])
def test_parse(text: str, shard: Shard) -> None:
    assert Shard.parse(text) == shard
    assert Shard.from_json(shard.to_json()) == shard
    assert str(Shard.parse(str(shard))) == str(shard)


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "a/b", "1", "-1/2", "1/2/3", ""])
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="i/n|1 <= i <= n"):
        Shard.parse(text)


def test_round_robin_on_sorted_ids() -> None:
    ids = ["c", "a", "e", "b", "d", "a"]  # order and duplicates do not matter
    assert [sorted(Shard(i, 2).select(ids)) for i in (1, 2)] == [["a", "c", "e"], ["b", "d"]]
    assert Shard(3, 3).select(["only"]) == frozenset()


@given(ids=st.sets(st.text(min_size=1, max_size=8), max_size=60), count=st.integers(1, 9))
def test_shards_partition_any_selection(ids: set[str], count: int) -> None:
    shares = [Shard(index, count).select(ids) for index in range(1, count + 1)]
    assert set().union(*shares) == ids
    assert sum(len(share) for share in shares) == len(ids)
    assert max(map(len, shares)) - min(map(len, shares)) <= 1


def test_the_cli_rejects_a_bad_shard(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--shard", "4/3"])
    assert exit_info.value.code == 2
    assert "argument --shard: shard 4/3: need 1 <= i <= n" in capsys.readouterr().err


def test_a_shard_runs_its_share_and_is_marked(tmp_path: Path, fake_candidate: str) -> None:
    root = write_tree(tmp_path / "scenarios", {"dns/lookup.yaml": LOOKUP_YAML,
                                               "dns/failing.yaml": FAILING_YAML,
                                               "dns/reverse.yaml": UNIMPLEMENTED_YAML})
    every = ["dns.tohostname.localhost", "dns.toip.localhost", "dns.toip.unknown-host",
             "dns.toip.wrong-answer"]
    for index in (1, 2):
        out = tmp_path / f"shard-{index}"
        done = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--scenarios", str(root),
                               "--candidate", fake_candidate, "--out", str(out), "-n", "0", "--shard",
                               f"{index}/2"], capture_output=True, text=True, timeout=120, check=False)
        document = load_document(out / "results.json")
        assert document["shard"] == {"index": index, "count": 2,
                                     "selection": {"keyword": "", "markexpr": ""}}
        assert [r["scenario"] for r in document["results"]] == every[index - 1::2]
        assert f"shard {index}/2 of a split run" in done.stdout
        # Shard 2 holds the failing scenario; shard 1 only passes and an UNIMPLEMENTED.
        assert done.returncode == (1 if index == 2 else 0), done.stdout + done.stderr


def test_an_empty_shard_still_writes_its_results(tmp_path: Path, fake_candidate: str) -> None:
    root = write_tree(tmp_path / "scenarios", {"dns/failing.yaml": FAILING_YAML})
    out = tmp_path / "shard-2"
    done = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--scenarios", str(root),
                           "--candidate", fake_candidate, "--out", str(out), "-n", "0", "--shard", "2/2"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    document = load_document(out / "results.json")
    assert (document["shard"]["index"], document["results"]) == (2, [])
