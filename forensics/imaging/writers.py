"""Image writers fed by the acquisition pipeline.

``RawSegmentWriter`` writes raw and split-raw images with ``O_DIRECT`` from the
pipeline's page-aligned buffers: on virtual machines page-cache writes cost
heavy kernel CPU that competes with the hash threads. Where ``O_DIRECT`` is
refused (tmpfs, some network file systems) or a piece is not block-aligned
(the tail of the stream, a segment boundary inside a block), that file falls back
to buffered writes.

``EwfStreamWriter`` pipes the stream into libewf's own ``ewfacquirestream``
(Debian package ewf-tools), which writes the E01 set with the case metadata.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

from forensics.errors import BackEndError, UserInputError

_ALIGN = 4096
_F_SETPIPE_SZ = 1031


class RawSegmentWriter:
    """Writes the stream into one file, or into fixed-size segment files.

    Args:
        paths_for: returns the path of segment ``index`` (0-based).
        segment_size: bytes per segment, or None for a single file.
        direct: try ``O_DIRECT`` first.
    """

    name = "write"

    def __init__(
        self, paths_for, segment_size: int | None = None, *, direct: bool = True
    ) -> None:
        self._paths_for = paths_for
        self._segment_size = segment_size
        self._direct = direct and hasattr(os, "O_DIRECT")
        self._fd: int | None = None
        self._fd_direct = False
        self._index = -1
        self.paths: list[Path] = []
        self.direct_files = 0
        self.buffered_files = 0

    def start(self) -> None:
        """Create the first (possibly empty) file, so a 0-byte source gives a 0-byte image."""
        self._open(0)

    def consume(self, view: memoryview, offset: int) -> None:
        pos = 0
        while pos < len(view):
            at = offset + pos
            index = at // self._segment_size if self._segment_size else 0
            if index != self._index:
                self._open(index)
            if self._segment_size:
                room = (index + 1) * self._segment_size - at
                piece = view[pos : pos + room]
                local = at - index * self._segment_size
            else:
                piece = view[pos:]
                local = at
            self._write(piece, local)
            pos += len(piece)

    def finish(self) -> None:
        self._close()

    def abort(self) -> None:
        self._close(sync=False)

    def _open(self, index: int) -> None:
        self._close()
        path = Path(self._paths_for(index))
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        fd = None
        if self._direct:
            try:
                fd = os.open(path, flags | os.O_DIRECT, 0o640)
                self._fd_direct = True
            except OSError:
                fd = None
        if fd is None:
            fd = os.open(path, flags, 0o640)
            self._fd_direct = False
        self._fd = fd
        self._index = index
        self.paths.append(path)
        if self._fd_direct:
            self.direct_files += 1
        else:
            self.buffered_files += 1

    def _write(self, piece: memoryview, local_offset: int) -> None:
        assert self._fd is not None
        if self._fd_direct and (len(piece) % _ALIGN or local_offset % _ALIGN):
            self._set_direct(False)
        done = 0
        while done < len(piece):
            try:
                done += os.pwrite(self._fd, piece[done:], local_offset + done)
            except OSError as exc:
                if self._fd_direct and exc.errno == 22:  # EINVAL: alignment refused
                    self._set_direct(False)
                    continue
                raise

    def _set_direct(self, on: bool) -> None:
        assert self._fd is not None
        flags = fcntl.fcntl(self._fd, fcntl.F_GETFL)
        flags = (flags | os.O_DIRECT) if on else (flags & ~os.O_DIRECT)
        fcntl.fcntl(self._fd, fcntl.F_SETFL, flags)
        self._fd_direct = on

    def _close(self, sync: bool = True) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)


def ewfacquirestream_path() -> str | None:
    """Path of libewf's ``ewfacquirestream``, or None when ewf-tools is missing."""
    return shutil.which("ewfacquirestream")


def ewf_tool_version(tool: str = "ewfacquirestream") -> str | None:
    """Version string printed by an ewf-tools program, or None."""
    exe = shutil.which(tool)
    if not exe:
        return None
    try:
        out = subprocess.run(
            [exe, "-V"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    first = out.strip().splitlines()[0] if out.strip() else ""
    return first.split()[-1] if first else None


def ewf_header_value(value: str | None, limit: int = 1000) -> str:
    """Make a value safe for an EWF header field (tabs and newlines separate fields)."""
    if not value:
        return ""
    cleaned = re.sub(r"[\x00-\x1f\x7f]+", " ", value).strip()
    return cleaned[:limit]


class EwfStreamWriter:
    """Streams the media into ``ewfacquirestream``, which writes the E01 set.

    Args:
        target: path of the set without extension (``.../EX-001`` gives ``EX-001.E01``...).
        segment_size: bytes per segment file (libewf minimum 1 MiB).
        metadata: case_number, evidence_number, examiner_name, description, notes.
        sector_size: bytes per sector stored in the set.
        log_path: where ewfacquirestream writes its log (hashes it computed).
        padding: zero bytes sent after the stream to complete the last sector.
    """

    name = "write-e01"

    def __init__(
        self, target: Path, *, segment_size: int, metadata: dict[str, str | None],
        sector_size: int = 512, log_path: Path, padding: int = 0,
    ) -> None:
        exe = ewfacquirestream_path()
        if exe is None:
            raise UserInputError(
                "E01 output needs ewfacquirestream from libewf's ewf-tools "
                "(Debian: apt-get install ewf-tools); use --format raw or split instead"
            )
        if segment_size < 1 << 20:
            raise UserInputError("E01 segment size must be at least 1 MiB (libewf minimum)")
        self.target = target
        self.log_path = log_path
        self.padding = padding
        self.command = [
            exe, "-q",
            "-t", str(target),
            "-S", str(segment_size),
            "-P", str(sector_size),
            "-f", "encase6",
            "-c", "none",
            "-d", "sha1",
            "-m", "fixed",
            "-M", "physical",
            "-C", ewf_header_value(metadata.get("case_number")) or "-",
            "-E", ewf_header_value(metadata.get("evidence_number")) or "-",
            "-e", ewf_header_value(metadata.get("examiner_name")) or "-",
            "-D", ewf_header_value(metadata.get("description")) or "-",
            "-N", ewf_header_value(metadata.get("notes")) or "-",
            "-l", str(log_path),
        ]
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: list[bytes] = []
        self._reader: threading.Thread | None = None
        self.stdout = ""
        self.returncode: int | None = None

    def start(self) -> None:
        """Start ``ewfacquirestream`` with its standard input as our pipe."""
        self._proc = subprocess.Popen(
            self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, env={**os.environ, "LC_ALL": "C"},
        )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        try:
            fcntl.fcntl(self._proc.stdin.fileno(), _F_SETPIPE_SZ, 1 << 20)
        except OSError:
            pass
        out = self._proc.stdout

        def drain() -> None:
            with out:
                self._stderr.append(out.read())

        self._reader = threading.Thread(target=drain, name="sealbag-ewf-output", daemon=True)
        self._reader.start()

    def consume(self, view: memoryview, offset: int) -> None:
        self.write(view)

    def write(self, data: memoryview | bytes) -> None:
        """Send bytes to ``ewfacquirestream``.

        Raises:
            BackEndError: ``ewfacquirestream`` exited early.
        """
        assert self._proc is not None and self._proc.stdin is not None
        fd = self._proc.stdin.fileno()
        view = memoryview(data)
        done = 0
        try:
            while done < len(view):
                done += os.write(fd, view[done:])
        except BrokenPipeError as exc:
            raise BackEndError(
                f"ewfacquirestream stopped early: {self._output_tail()}"
            ) from exc

    def finish(self) -> None:
        """Close the pipe and wait for the E01 set to be finalised.

        Raises:
            BackEndError: ``ewfacquirestream`` reported a failure.
        """
        assert self._proc is not None and self._proc.stdin is not None
        if self.padding:
            self.write(bytes(self.padding))
        try:
            self._proc.stdin.close()
        except BrokenPipeError:
            pass
        self.returncode = self._proc.wait()
        if self._reader is not None:
            self._reader.join()
        self.stdout = b"".join(self._stderr).decode("utf-8", "replace")
        if self.returncode != 0 or "SUCCESS" not in self.stdout:
            raise BackEndError(
                f"ewfacquirestream failed (exit {self.returncode}): {self._output_tail()}"
            )

    def abort(self) -> None:
        """Stop ``ewfacquirestream`` without finalising the set."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.kill()
        try:
            if self._proc.stdin:
                self._proc.stdin.close()
        except OSError:
            pass
        self._proc.wait()
        if self._reader is not None:
            self._reader.join(timeout=5)

    def logged_hashes(self) -> dict[str, str]:
        """MD5/SHA-1 that ``ewfacquirestream`` computed over the data it received."""
        text = self.stdout
        try:
            text += "\n" + self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            pass
        found: dict[str, str] = {}
        for algo, hexlen in (("md5", 32), ("sha1", 40)):
            m = re.search(
                rf"{algo.upper()} hash calculated over data:\s*([0-9a-fA-F]{{{hexlen}}})", text
            )
            if m:
                found[algo] = m.group(1).lower()
        return found

    def segment_paths(self) -> list[Path]:
        """The E01 segment files written, in order."""
        parent = self.target.parent
        stem = self.target.name
        pattern = re.compile(re.escape(stem) + r"\.[Ee][0-9A-Za-z]{2}$")
        names = sorted(p for p in parent.iterdir() if pattern.match(p.name))
        return sorted(names, key=_ewf_segment_number)

    def _output_tail(self) -> str:
        text = b"".join(self._stderr).decode("utf-8", "replace").strip()
        return " / ".join(text.splitlines()[-3:]) or "no output"


def _ewf_segment_number(path: Path) -> int:
    ext = path.suffix[1:].upper()
    if ext[1:].isdigit():
        return int(ext[1:])
    # E01..E99 then EAA..EZZ, FAA...
    first = ord(ext[0]) - ord("E")
    return 100 + first * 26 * 26 + (ord(ext[1]) - 65) * 26 + (ord(ext[2]) - 65)
