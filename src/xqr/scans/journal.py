"""The scan journal: every scan appended to a file on disk as its answer is sent (no database).

A scan is one record, written with one `os.write` on the request path before the response
goes out. A written record is in the kernel's page cache, which outlives the process: a
`kill -9` (or any crash of the process) loses nothing. Only a crash of the machine loses
what was not yet on the disk; `fsync` runs every `fsync_interval` seconds, off the event
loop, to bound that (see docs/scans.md for the measured cost of the options).

Layout: `{folder}/slot-N/` per server process (a process claims the first slot nobody holds,
with an exclusive `flock` that the kernel releases when the process dies, however it dies),
holding `id` (the slot's identity, the key of its stored position in the database) and
segments `{first sequence number:020d}.seg`. A record is `<length:u32><crc32:u32><payload>`;
its sequence number is its segment's first number plus its index in the segment. A record
that is cut short or fails its checksum (a machine crash mid-write) ends its segment.

The writer stores scans in sequence order and records, in the same transaction, the last
sequence number stored; segments wholly at or below it are deleted. Replay after a restart
reads what is left and skips what the database already has, so each scan is stored once.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import struct
import time
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from xqr.scans.buffer import RawScan

logger = logging.getLogger("xqr.scans")

_HEADER = struct.Struct("<II")  # payload length, crc32 of the payload
# micros since the epoch, flags (1: qr, 2: expired), the routing rule (0xFFFF: none),
# workspace, target, parent (16 zero bytes: none), then the lengths of kind, ip, user agent,
# referer and country (0xFFFF: none)
_FIXED = struct.Struct("<qBH16s16s16sHHHHH")
_NONE = 0xFFFF
_NO_PARENT = bytes(16)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_FIELD = 0xFFFE  # longer header values are cut (a User-Agent of 64 KiB is no visitor)
SEGMENT_SUFFIX = ".seg"


_pack_fixed = _FIXED.pack
_pack_header = _HEADER.pack
_crc32 = zlib.crc32
_KINDS = {"link": b"link", "bio_page": b"bio_page", "bio_link": b"bio_link"}


def _text(value: str) -> bytes:
    encoded = value.encode("utf-8", "surrogatepass")
    return encoded if len(encoded) <= _MAX_FIELD else encoded[:_MAX_FIELD]


def encode(scan: RawScan) -> bytes:
    """One record (header and payload) for a scan. On the request path: written for speed
    (UUIDs through `.int`, no per-field helper calls for the common values)."""
    kind = _KINDS.get(scan.kind) or scan.kind.encode()
    ip = scan.ip.encode()
    ua = _text(scan.user_agent)
    referer = scan.referer
    ref = _text(referer) if referer is not None else b""
    country = scan.country_header
    cc = _text(country) if country is not None else b""
    parent = scan.parent_id
    payload = (
        _pack_fixed(
            round(scan.occurred_at.timestamp() * 1_000_000),
            scan.qr | scan.expired << 1,  # flags
            _NONE if scan.rule is None else scan.rule,
            scan.workspace_id.int.to_bytes(16),
            scan.target_id.int.to_bytes(16),
            parent.int.to_bytes(16) if parent is not None else _NO_PARENT,
            len(kind),
            len(ip),
            len(ua),
            len(ref) if referer is not None else _NONE,
            len(cc) if country is not None else _NONE,
        )
        + kind
        + ip
        + ua
        + ref
        + cc
    )
    return _pack_header(len(payload), _crc32(payload)) + payload


def decode(payload: bytes | memoryview) -> RawScan:
    (micros, flags, rule, workspace, target, parent, n_kind, n_ip, n_ua, n_ref, n_country) = (
        _FIXED.unpack_from(payload)
    )
    at = _FIXED.size
    texts: list[str | None] = []
    for size in (n_kind, n_ip, n_ua, n_ref, n_country):
        if size == _NONE:
            texts.append(None)
            continue
        texts.append(bytes(payload[at : at + size]).decode("utf-8", "surrogatepass"))
        at += size
    kind, ip, ua, referer, country = texts
    return RawScan(
        _EPOCH + timedelta(microseconds=micros),
        uuid.UUID(bytes=workspace),
        kind or "",
        uuid.UUID(bytes=target),
        uuid.UUID(bytes=parent) if parent != _NO_PARENT else None,
        ip or "",
        ua or "",
        referer,
        country,
        bool(flags & 1),  # qr
        bool(flags & 2),  # expired
        None if rule == _NONE else rule,
    )


def read_records(data: bytes, offset: int = 0) -> Iterator[tuple[int, memoryview]]:
    """(offset after the record, payload) of each whole record from `offset` on."""
    view = memoryview(data)
    end = len(data)
    while offset + _HEADER.size <= end:
        length, crc = _HEADER.unpack_from(view, offset)
        start = offset + _HEADER.size
        if start + length > end:
            return  # cut short
        payload = view[start : start + length]
        if zlib.crc32(payload) != crc:
            return  # torn by a machine crash: the segment ends here
        offset = start + length
        yield offset, payload


@dataclass
class Segment:
    first: int  # sequence number of its first record
    path: Path
    size: int
    count: int  # whole records (for the active segment: written so far)


class JournalUnwritable(RuntimeError):
    """The journal's folder cannot be written (raised at start, with one clear sentence)."""


class ScanJournal:
    """Append-only segments of one process's scans, with a read cursor for the writer."""

    def __init__(
        self,
        folder: Path,
        *,
        max_bytes: int,
        fsync_interval: float,
        segment_bytes: int | None = None,
    ) -> None:
        self.root = folder
        self.max_bytes = max_bytes
        self.fsync_interval = fsync_interval
        self.segment_bytes = segment_bytes or max(4096, min(16 * 1024 * 1024, max_bytes // 8))
        self.folder: Path | None = None
        self.journal_id = ""
        self.segments: list[Segment] = []
        self.bytes = 0  # all segments' bytes on disk
        self.appended = 0
        self.dropped = 0
        self.last_drop: float | None = None  # monotonic time of the last dropped scan
        self.drop_reason = ""
        self.next_seq = 1
        self._fd = -1
        self._lock_fd = -1
        self._dirty = False
        # read cursor: the sequence number it is at, and where that record starts
        self._cursor: tuple[int, int, int] | None = None  # (seq, segment index, offset)

    # --- start and stop -------------------------------------------------------------------

    def open(self) -> tuple[int, int]:
        """Claim a slot and find what it holds: (first, next) sequence numbers of the records
        left from an earlier run (first == next: none)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._claim_slot()
        except PermissionError as error:
            raise JournalUnwritable(
                f"The scan journal folder {self.root} is not writable ({error.strerror}); "
                "give the server's user write access to XQR_DATA_DIR."
            ) from None
        except OSError as error:
            raise JournalUnwritable(
                f"The scan journal folder {self.root} cannot be used ({error.strerror}); "
                "check XQR_DATA_DIR."
            ) from None
        assert self.folder is not None
        for path in sorted(self.folder.glob("*" + SEGMENT_SUFFIX)):
            data = path.read_bytes()
            count, valid = 0, 0
            for valid, _payload in read_records(data):  # noqa: B007
                count += 1
            if valid < len(data):  # a record torn by a machine crash: never a whole scan
                logger.warning(
                    "scan journal %s: %d bytes after the last whole record removed",
                    path.name,
                    len(data) - valid,
                )
                os.truncate(path, valid)
            self.segments.append(Segment(int(path.stem), path, valid, count))
            self.bytes += valid
        first = self.segments[0].first if self.segments else self.next_seq
        if self.segments:
            last = self.segments[-1]
            self.next_seq = last.first + last.count
        # New records always go to a new segment: an old one may end in a torn record.
        self._new_segment()
        return first, self.next_seq

    def _claim_slot(self) -> None:
        for index in range(1024):
            folder = self.root / f"slot-{index}"
            folder.mkdir(exist_ok=True)
            fd = os.open(folder / "lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self._lock_fd = fd
            self.folder = folder
            id_file = folder / "id"
            if not id_file.exists():
                id_file.write_text(str(uuid.uuid4()))
            self.journal_id = id_file.read_text().strip()
            return
        raise OSError(0, "every journal slot is taken")

    def close(self) -> None:
        if self._fd >= 0:
            self.sync()
            os.close(self._fd)
            self._fd = -1
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    # --- the request path -------------------------------------------------------------------

    def append(self, scan: RawScan) -> bool:
        """Write one scan; False when it was dropped (journal full or the disk refused it)."""
        record = encode(scan)
        if self.bytes + len(record) > self.max_bytes:
            self._drop("journal full (XQR_SCAN_JOURNAL_MAX_BYTES)")
            return False
        active = self.segments[-1]
        if active.size >= self.segment_bytes:
            try:
                self._new_segment()
            except OSError as error:
                self._drop(f"cannot start a journal segment: {error.strerror}")
                return False
            active = self.segments[-1]
        try:
            written = os.write(self._fd, record)
        except OSError as error:
            self._drop(f"journal write failed: {error.strerror}")
            return False
        if written != len(record):  # a short write: the disk is full
            os.ftruncate(self._fd, active.size)
            self._drop("journal write failed: disk full")
            return False
        active.size += written
        active.count += 1
        self.bytes += written
        self.next_seq += 1
        self.appended += 1
        self._dirty = True
        return True

    def _drop(self, reason: str) -> None:
        if self.last_drop is None or time.monotonic() - self.last_drop > 60:
            logger.error("scan not journaled, dropped: %s", reason)
        self.dropped += 1
        self.last_drop = time.monotonic()
        self.drop_reason = reason

    def _new_segment(self) -> None:
        assert self.folder is not None
        path = self.folder / f"{self.next_seq:020d}{SEGMENT_SUFFIX}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        size = os.fstat(fd).st_size
        if size:  # an empty segment left by the last run under this number: start it afresh
            os.ftruncate(fd, 0)
            self.bytes -= size
            self.segments = [s for s in self.segments if s.path != path]
        if self._fd >= 0:
            os.close(self._fd)
        self._fd = fd
        self.segments.append(Segment(self.next_seq, path, 0, 0))
        _sync_folder(self.folder)

    # --- durability -----------------------------------------------------------------------

    def sync(self) -> None:
        """fsync what was appended since the last call (run off the event loop)."""
        if self._dirty and self._fd >= 0:
            self._dirty = False
            os.fsync(self._fd)

    # --- the writer's side ------------------------------------------------------------------

    def read(self, seq: int, limit: int) -> list[RawScan]:
        """Up to `limit` scans from sequence number `seq` on."""
        found: list[RawScan] = []
        index, offset, at = self._locate(seq)
        while index < len(self.segments) and len(found) < limit:
            segment = self.segments[index]
            if offset < segment.size:
                with segment.path.open("rb") as f:
                    f.seek(offset)
                    data = f.read(segment.size - offset)
                consumed = 0
                for end, payload in read_records(data):
                    found.append(decode(payload))
                    consumed, at = end, at + 1
                    if len(found) >= limit:
                        break
                offset += consumed
                if len(found) >= limit or offset < segment.size:
                    break
            if index + 1 >= len(self.segments):
                break
            index, offset, at = index + 1, 0, self.segments[index + 1].first
        self._cursor = (at, index, offset)
        return found

    def _locate(self, seq: int) -> tuple[int, int, int]:
        """(segment index, offset, seq) where record `seq` starts."""
        cursor = self._cursor
        if cursor is not None and cursor[0] == seq and cursor[1] < len(self.segments):
            return cursor[1], cursor[2], seq
        index = 0
        for i, segment in enumerate(self.segments):
            if segment.first <= seq:
                index = i
        segment = self.segments[index]
        at, offset = segment.first, 0
        if at < seq:
            for end, _payload in read_records(segment.path.read_bytes()):
                at, offset = at + 1, end
                if at == seq:
                    break
        return index, offset, at

    def release(self, stored: int) -> None:
        """Delete the segments whose records are all stored. When everything is stored, the
        active segment is closed and a new one started, so the journal empties entirely."""
        if stored + 1 >= self.next_seq and self.segments[-1].size:
            try:
                self._new_segment()
            except OSError:
                logger.exception("starting a new scan journal segment failed")
        keep: list[Segment] = []
        removed = 0
        for i, segment in enumerate(self.segments):
            done = i + 1 < len(self.segments) and self.segments[i + 1].first <= stored + 1
            if done:
                with contextlib.suppress(FileNotFoundError):
                    segment.path.unlink()
                self.bytes -= segment.size
                removed += 1
            else:
                keep.append(segment)
        if removed:
            self.segments = keep
            self._cursor = None


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
