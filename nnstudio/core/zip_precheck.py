"""The size of a zip's central directory, read from its end records before `zipfile` parses it.

`zipfile.ZipFile` reads and parses the whole central directory when it opens an archive: a file
declaring millions of entries took minutes and gigabytes before any count could be checked. The
end-of-central-directory record (and, for zip64, its locator and the zip64 record) says how many
entries there are and how many bytes they take; both are checked first. `zipfile` stops parsing at
the directory's declared size, so capping that size bounds its work whatever the entry count says.
The records are found as `zipfile` finds them (the last 22 bytes, else the last signature within
the 64 KiB a comment may take), so both read the same directory.
"""

from __future__ import annotations

import struct
from typing import IO

END_SIGNATURE = b"PK\x05\x06"
END_FORMAT = "<4s4H2LH"  # signature, disk numbers, entries (this disk, total), size, offset, comment length
END_SIZE = struct.calcsize(END_FORMAT)  # 22
LOCATOR_SIGNATURE = b"PK\x06\x07"
LOCATOR_FORMAT = "<4sLQL"  # signature, disk, offset of the zip64 end record, disks
LOCATOR_SIZE = struct.calcsize(LOCATOR_FORMAT)  # 20
END64_SIGNATURE = b"PK\x06\x06"
END64_FORMAT = "<4sQ2H2L4Q"  # signature, size, versions, disks, entries (disk, total), size, offset
END64_SIZE = struct.calcsize(END64_FORMAT)  # 56
MAX_COMMENT = 1 << 16  # how far back zipfile looks for the end record


class ZipDirectoryError(ValueError):
    """A zip whose central directory is missing, damaged, or larger than allowed."""


def directory_size(handle: IO[bytes], file_size: int) -> tuple[int, int]:
    """(entries, bytes) of the central directory of the zip open as `handle` (`file_size` bytes).

    Reads at most the last 64 KiB and the zip64 records before the end record. ZipDirectoryError
    if no end record is found or the records contradict the file.
    """
    tail_size = min(file_size, END_SIZE + MAX_COMMENT)
    handle.seek(file_size - tail_size)
    tail = handle.read(tail_size)
    at = len(tail) - END_SIZE
    if not (at >= 0 and tail[at : at + 4] == END_SIGNATURE and tail[-2:] == b"\x00\x00"):
        at = tail.rfind(END_SIGNATURE)
    if at < 0 or len(tail) - at < END_SIZE:
        raise ZipDirectoryError("no end-of-central-directory record: not a complete zip archive")
    _sig, _disk, _cd_disk, _disk_entries, entries, size, _offset, _comment = struct.unpack(
        END_FORMAT, tail[at : at + END_SIZE]
    )
    end_offset = file_size - tail_size + at
    # zipfile always looks for a zip64 locator just before the end record and, when it finds one
    # with its record, takes the zip64 figures, whatever the plain record says
    zip64 = _zip64_directory(handle, end_offset)
    if zip64 is not None:
        entries, size = zip64
    if size > file_size:
        raise ZipDirectoryError(f"the central directory claims {size:,} bytes in a file of {file_size:,}")
    return entries, size


def _zip64_directory(handle: IO[bytes], end_offset: int) -> tuple[int, int] | None:
    """(entries, bytes) from the zip64 end record before the end record at `end_offset`, as zipfile
    reads them, or None when there is none."""
    locator_at = end_offset - LOCATOR_SIZE
    if locator_at < 0:
        return None
    handle.seek(locator_at)
    locator = handle.read(LOCATOR_SIZE)
    if len(locator) != LOCATOR_SIZE or locator[:4] != LOCATOR_SIGNATURE:
        return None
    _sig, disk, _record_at, disks = struct.unpack(LOCATOR_FORMAT, locator)
    if disk != 0 or disks > 1:
        raise ZipDirectoryError("zip archives that span several disks are not supported")
    record_at = locator_at - END64_SIZE  # zipfile assumes no extensible data, whatever the locator says
    if record_at < 0:
        return None
    handle.seek(record_at)
    record = handle.read(END64_SIZE)
    if len(record) != END64_SIZE or record[:4] != END64_SIGNATURE:
        return None
    fields = struct.unpack(END64_FORMAT, record)
    return fields[7], fields[8]
