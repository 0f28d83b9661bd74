"""A separate process appending custody notes (used by the concurrency and kill tests).

Usage: python -m tests.custody.writer_process URL CASE_ID EXHIBIT_ID PERSON_ID COUNT TAG
COUNT 0 means "until killed". Prints "ready", waits for a line on stdin, then
prints the sequence number of each event it committed.
"""

from __future__ import annotations

import sys
import time

from forensics.custody import record_event, unlock_person_key
from forensics.database import open_database
from forensics.database.models import Case, Exhibit, Person
from tests.custody.conftest import PASSPHRASE


def main(argv: list[str]) -> int:
    url, case_id, exhibit_id, person_id, count, tag = argv
    db = open_database(url)
    with db.session() as s:
        key = unlock_person_key(s, s.get(Person, int(person_id)), PASSPHRASE)
    print("ready", flush=True)
    sys.stdin.readline()
    done = 0
    while int(count) == 0 or done < int(count):
        with db.session() as s:
            event = record_event(
                s, case=s.get(Case, int(case_id)), exhibit=s.get(Exhibit, int(exhibit_id)),
                action="note", actor=s.get(Person, int(person_id)), occurred_at=None,
                occurred_tz="UTC", signer=key, remarks=f"{tag} {done}",
            )
            sequence = event.sequence
        done += 1
        print(sequence, flush=True)
        # a person pauses between entries; without a pause SQLite's busy handler lets
        # the process holding the lock win every round and the writers never interleave
        time.sleep(0.02)
    db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
