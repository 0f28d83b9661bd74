"""Hash sets: list formats, imported indexes, NSRL RDSv3 in place, matching."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from forensics.cataloging.engine import ListSink, run_catalog
from forensics.database.session import open_database
from forensics.errors import ConflictError, UserInputError
from forensics.hashsets import HashIndex, HashMatcher, MatchingSink, NsrlRds, import_hash_list
from forensics.hashsets.parsers import detect_format, read_rows
from forensics.hashsets.registry import import_into, list_sets, open_enabled, register_nsrl

MD5_A = hashlib.md5(b"a").hexdigest()
SHA_A = hashlib.sha256(b"a").hexdigest()
SHA_B = hashlib.sha256(b"b").hexdigest()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def lists(tmp_path: Path) -> dict[str, Path]:
    return {
        "hashdeep": _write(tmp_path / "a.hashdeep",
                           "%%%% HASHDEEP-1.0\n%%%% size,md5,sha256,filename\n## made by hand\n"
                           f"1,{MD5_A},{SHA_A},/x/a.txt\n1,{'0' * 32},{SHA_B},/x/b, with comma\n"),
        "md5sum": _write(tmp_path / "a.md5", f"{MD5_A}  a.txt\nnot a line\n"),
        "sha256sum": _write(tmp_path / "a.sha256", f"{SHA_A} *a.txt\n{SHA_B}  b.txt\n"),
        "csv": _write(tmp_path / "a.csv", f"FileName,MD5,SHA256\na.txt,{MD5_A},{SHA_A}\n"
                                          "junk,zz,\n"),
    }


@pytest.mark.parametrize("fmt", ["hashdeep", "md5sum", "sha256sum", "csv"])
def test_formats_are_detected_and_read(lists: dict[str, Path], fmt: str) -> None:
    assert detect_format(lists[fmt]) == fmt
    rows = list(read_rows(lists[fmt], fmt))
    assert rows and all(r.md5 or r.sha256 for r in rows)
    assert any(r.md5 == MD5_A or r.sha256 == SHA_A for r in rows)


def test_hashdeep_keeps_commas_in_file_names(lists: dict[str, Path]) -> None:
    rows = list(read_rows(lists["hashdeep"], "hashdeep"))
    assert rows[1].name == "/x/b, with comma"


def test_unrecognised_list_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserInputError):
        detect_format(_write(tmp_path / "x.txt", "hello\n"))


def test_imported_index_answers_lookups_and_cites_itself(lists: dict[str, Path],
                                                         tmp_path: Path) -> None:
    info = import_hash_list(lists["hashdeep"], tmp_path / "idx.sqlite", name="Lab bad",
                            version="2026-11", kind="known-bad")
    assert info.entry_count == 2 and info.algorithms == ("md5", "sha256")
    assert info.source_sha256 == hashlib.sha256(lists["hashdeep"].read_bytes()).hexdigest()
    idx = HashIndex(tmp_path / "idx.sqlite")
    assert idx.info.name == "Lab bad" and idx.info.kind == "known-bad"
    assert idx.lookup(None, SHA_A) == "/x/a.txt"
    assert idx.lookup(MD5_A, None) == "/x/a.txt"
    assert idx.lookup(None, "f" * 64) is None
    idx.close()
    with pytest.raises(ConflictError):
        import_hash_list(lists["hashdeep"], tmp_path / "idx.sqlite", name="x", version="1",
                         kind="known-bad")


def _tiny_rds(path: Path, sha256: str, md5: str) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE FILE (sha256 VARCHAR NOT NULL, sha1 VARCHAR NOT NULL, md5 VARCHAR NOT NULL,
            crc32 VARCHAR NOT NULL, file_name VARCHAR NOT NULL, file_size INTEGER NOT NULL,
            package_id INTEGER NOT NULL);
        CREATE INDEX FILE_sha256 ON FILE(sha256);
        CREATE TABLE VERSION (version VARCHAR, build_set VARCHAR, build_date VARCHAR,
            release_date VARCHAR, description VARCHAR);
        INSERT INTO VERSION VALUES ('2026.09.1', 'modern', '', '', 'RDSv3 test');
    """)
    conn.execute("INSERT INTO FILE VALUES (?, '', ?, '', 'kernel32.dll', 1, 7)",
                 (sha256.upper(), md5.upper()))
    conn.commit()
    conn.close()
    return path


def test_nsrl_is_opened_in_place_and_labelled_known(tmp_path: Path) -> None:
    rds = NsrlRds(_tiny_rds(tmp_path / "RDS.db", SHA_A, MD5_A))
    assert rds.info.kind == "known" and rds.info.version.startswith("2026.09.1")
    assert rds.indexed
    assert rds.lookup(None, SHA_A) == "kernel32.dll"
    assert rds.lookup(MD5_A, None) == "kernel32.dll"
    assert rds.lookup(None, SHA_B) is None
    rds.close()


def test_not_an_nsrl_database_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "x.db"
    sqlite3.connect(bogus).execute("CREATE TABLE t (a)").connection.close()
    with pytest.raises(UserInputError):
        NsrlRds(bogus)


def test_known_bad_wins_over_known(lists: dict[str, Path], tmp_path: Path) -> None:
    bad = import_hash_list(lists["sha256sum"], tmp_path / "bad.sqlite", name="bad",
                           version="1", kind="known-bad")
    assert bad.kind == "known-bad"
    matcher = HashMatcher([NsrlRds(_tiny_rds(tmp_path / "RDS.db", SHA_A, MD5_A)),
                           HashIndex(tmp_path / "bad.sqlite")])
    hit = matcher.match(MD5_A, SHA_A)
    assert hit is not None and hit.kind == "known-bad" and hit.set_name == "bad"


def test_catalog_entries_are_flagged_from_sets(ext4_image, tmp_path: Path) -> None:
    image, key = ext4_image
    files = [f for f in key.files if not f["deleted"]]
    bad_list = _write(tmp_path / "bad.sha256", f"{files[0]['sha256']}  evil.jpg\n")
    good_list = _write(tmp_path / "good.md5", f"{files[1]['md5']}  os-file\n")
    sources = [
        HashIndex(import_hash_list(bad_list, tmp_path / "b.sqlite", name="bad", version="1",
                                   kind="known-bad").index_path),
        HashIndex(import_hash_list(good_list, tmp_path / "g.sqlite", name="good", version="1",
                                   kind="known-good").index_path),
    ]
    inner = ListSink()
    run_catalog(image, MatchingSink(inner, HashMatcher(sources)))
    notable = [e for e in inner.entries if e.notable]
    known = [e for e in inner.entries if e.known]
    assert [e.sha256 for e in notable] == [files[0]["sha256"]]
    assert notable[0].hash_set == "bad"
    assert [e.md5 for e in known] == [files[1]["md5"]]


def test_registry_keeps_sets_out_of_the_case_database(lists: dict[str, Path],
                                                      tmp_path: Path, sqlite_url: str) -> None:
    with open_database(sqlite_url) as db:
        info = import_into(db, lists["csv"], name="Lab", version="3", kind="known-bad",
                           index_dir=tmp_path / "idx")
        register_nsrl(db, _tiny_rds(tmp_path / "RDS.db", SHA_A, MD5_A))
        with pytest.raises(ConflictError):
            import_into(db, lists["csv"], name="Lab", version="3", kind="known-bad",
                        index_dir=tmp_path / "idx")
        sets = list_sets(db)
        assert {(s["name"], s["kind"]) for s in sets} == {("Lab", "known-bad"),
                                                          ("NSRL RDS", "known")}
        assert Path(info.index_path).parent == tmp_path / "idx"
        sources, ids = open_enabled(db)
        assert len(sources) == 2 and set(ids) == {"Lab", "NSRL RDS"}
        for s in sources:
            s.close()
