"""Concurrent writers and kill -9 in the middle of a write leave one valid chain."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text

from forensics.custody import verify_chain
from forensics.database.models import CustodyEvent
from tests.custody.test_ledger import add

REPO = Path(__file__).resolve().parents[2]
WRITES = int(os.environ.get("SEALBAG_CUSTODY_CONCURRENT_WRITES", "25"))
KILLS = int(os.environ.get("SEALBAG_CUSTODY_KILLS", "6"))


def start_writer(led, person, count, tag):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.custody.writer_process", led.db.url.render_as_string(
            hide_password=False), str(led.case_id), str(led.exhibit_id),
         str(led.people[person]), str(count), tag],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=REPO, env=env,
    )
    line = proc.stdout.readline()
    assert line.strip() == "ready", line + proc.stderr.read()
    return proc


def seize(led):
    with led.db.session() as s:
        add(s, led, "seized", "asha", 0, received_by="asha")


@pytest.mark.slow
def test_two_processes_appending_at_once_keep_one_valid_chain(ledger):
    seize(ledger)
    writers = [start_writer(ledger, "ben", WRITES, "ben"),
               start_writer(ledger, "chen", WRITES, "chen")]
    for proc in writers:  # release both at the same moment
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in writers:
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    with ledger.db.session() as s:
        rows = s.scalars(select(CustodyEvent).order_by(CustodyEvent.sequence)).all()
        assert [r.sequence for r in rows] == list(range(1, 2 * WRITES + 2))
        tags = [r.remarks.split()[0] for r in rows[1:]]
        assert tags.count("ben") == tags.count("chen") == WRITES
        assert len(set(tags[: WRITES])) == 2, "the writers never interleaved"
        case, _, _ = ledger.load(s)
        report = verify_chain(s, case)
        assert report.valid, report.first_broken
        assert report.events == 2 * WRITES + 1


@pytest.mark.slow
def test_kill_9_mid_write_leaves_a_valid_chain(ledger):
    seize(ledger)
    rng = random.Random(9)
    committed = 1
    for round_no in range(KILLS):
        proc = start_writer(ledger, "ben", 0, f"round{round_no}")
        proc.stdin.write("go\n")
        proc.stdin.flush()
        time.sleep(rng.uniform(0.05, 0.6))
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL
        acknowledged = [int(x) for x in out.split()]
        with ledger.db.session() as s:
            if s.get_bind().dialect.name == "sqlite":
                assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            case, _, _ = ledger.load(s)
            report = verify_chain(s, case)
            assert report.valid, report.first_broken
            # every event the writer saw committed survived; at most one more (committed
            # but killed before it could print) may exist, never a partial one
            assert report.events >= max(acknowledged, default=committed)
            assert report.events <= max(acknowledged, default=committed) + 1
            committed = report.events
    assert committed > KILLS  # the writers did get events in between kills
