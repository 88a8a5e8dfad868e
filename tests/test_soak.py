"""A short reliability soak: 20 generations against the faulty emulator.

`make soak` runs the same harness with 200 generations; see bench/soak.py
for what each check means.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench.soak import SoakConfig, SoakReport, run_soak_async

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> SoakReport:
    out_dir = tmp_path_factory.mktemp("soak")
    # A hang guard, not a performance check: the run takes a few seconds.
    config = SoakConfig(generations=20, seed=3, deadline=120.0, out_dir=out_dir)
    return asyncio.run(run_soak_async(config))


def test_soak_injects_faults(report: SoakReport) -> None:
    assert sum(report.faults.values()) >= 5, report.render()
    assert len(report.faults) >= 3, report.render()


def test_soak_loses_no_generation(report: SoakReport) -> None:
    assert report.lost == [], report.render()
    assert len(report.outcomes) == 20
    for outcome in report.outcomes:
        assert outcome.untyped_error is None, report.render()
        assert outcome.completed or outcome.error is not None


def test_soak_charges_nothing_twice(report: SoakReport) -> None:
    assert report.double_charged == [], report.render()
    expected = report.successful_submissions + report.unknown_accepted
    assert report.accepted == expected, report.render()
    assert report.problems == [], report.render()


def test_soak_leaves_only_whole_files(report: SoakReport) -> None:
    out_dir = report.config.out_dir
    assert isinstance(out_dir, Path)
    assert report.corrupt == [], report.render()
    assert report.leaked == [], report.render()
    assert list(out_dir.glob("*.part")) == []
    completed_files = sum(len(o.paths) for o in report.outcomes if o.completed)
    assert completed_files > 0, report.render()
    assert report.files_checked >= completed_files


def test_soak_meets_its_deadline(report: SoakReport) -> None:
    assert not report.timed_out, report.render()
