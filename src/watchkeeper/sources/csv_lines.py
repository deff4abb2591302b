"""Line hygiene for CSV files that DuckDB parses: one physical line is one record.

DuckDB's CSV reader is fast, but a line it cannot frame derails it: an unbalanced quote
swallows the following lines into one bad record, a stray carriage return or a mixed line
end stops the whole file (its "state machine" error), and invalid UTF-8 reaches the
quarantine with its bytes replaced. CERT files never hold a value that spans lines, so a
line whose quotes do not pair up cannot be a good record.

`is_clean` says, in one pass over large blocks of bytes, whether a file is free of such
lines (nearly every file is: then DuckDB reads it as it is). `clean_copy` writes a copy in
which every such line is left empty (DuckDB skips empty lines, so line numbers still point
into the original) and returns those lines as rejects with their raw text.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import BinaryIO

from watchkeeper.errors import InputError
from watchkeeper.sources.base import Reject

__all__ = ["MAX_LINE", "clean_copy", "is_clean", "line_problem"]

BLOCK = 1 << 24
MAX_LINE = 2_000_000  # bytes: DuckDB's CSV reader refuses longer lines (2 MiB) whole
_NOT_QUOTE_OR_LF = bytes(b for b in range(256) if b not in b'"\n')


def line_problem(line: bytes) -> str | None:
    """Why one physical line (without its line end) cannot be a CSV record, or None."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"invalid UTF-8 at byte {exc.start}"
    if b"\r" in line:
        return "stray carriage return inside the line"
    if line.count(b'"') % 2:
        return "unbalanced quote"
    return None


def _odd_quotes(lines: bytes) -> bool:
    """True when some line holds an odd number of quotes. With every other byte deleted a
    line's quotes stand side by side, so pairs cancel out and an odd one is left."""
    if b'"' not in lines:
        return False
    return b'"' in lines.translate(None, _NOT_QUOTE_OR_LF).replace(b'""', b"")


class _Ends:
    """Tracks the line ends seen: all LF, or all CRLF with no other CR and no blank line
    (DuckDB miscounts the lines after a blank CRLF line)."""

    def __init__(self) -> None:
        self.crlf: bool | None = None  # unknown until the first line end

    def fits(self, lines: bytes) -> bool:
        if b"\r" not in lines:
            kind = False
        else:
            lf = lines.count(b"\n")
            if lines.count(b"\r") != lf or lines.count(b"\r\n") != lf:
                return False
            if lines.startswith(b"\r\n") or b"\n\r\n" in lines:
                return False
            kind = True
        if self.crlf is None and b"\n" in lines:
            self.crlf = kind
        return self.crlf in (None, kind) or b"\n" not in lines


def _long_line(tail: bytes, block: bytes) -> bool:
    """True when a line ending in `block` (the first one continues `tail`) is longer
    than `MAX_LINE`; a few backward searches per block, whatever its lines."""
    first = block.find(b"\n")
    if first < 0 or len(tail) + first > MAX_LINE:
        return first >= 0
    pos = first + 1
    while (end := block.rfind(b"\n", pos, pos + MAX_LINE + 1)) >= 0:
        pos = end + 1
    return block.find(b"\n", pos) >= 0


def _split(tail: bytes, block: bytes) -> tuple[bytes, bytes]:
    """(the whole lines to check, the unfinished last line) after reading `block`. A block
    without CR or quote (nearly all) needs only its first line checked, with the tail."""
    cut = block.rfind(b"\n") + 1
    if not cut:
        return b"", tail + block
    if b"\r" in block or b'"' in block:
        return tail + block[:cut], block[cut:]
    return tail + block[:block.find(b"\n") + 1], block[cut:]


def is_clean(path: Path) -> bool:
    """True when every line is valid UTF-8 with paired quotes, at most `MAX_LINE` bytes,
    and the file's line ends are all LF or all CRLF: DuckDB then splits it into exactly
    its physical lines."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    ends, tail = _Ends(), b""
    try:
        with path.open("rb") as fh:
            while block := fh.read(BLOCK):
                if not block.isascii() or decoder.getstate()[0]:
                    decoder.decode(block)
                if _long_line(tail, block):
                    return False
                lines, tail = _split(tail, block)
                if not ends.fits(lines) or _odd_quotes(lines) or len(tail) > MAX_LINE:
                    return False
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    except OSError as exc:
        raise InputError(path, exc.strerror or type(exc).__name__) from None
    return b"\r" not in tail and not _odd_quotes(tail)


# ---------------------------------------------------------------------------- copying

PIECE = 1 << 20  # a dirty block is checked in pieces of whole lines, each about this big


def _fine(piece: bytes) -> bool:
    """True when every line of `piece` (whole lines, each ending in LF) is good."""
    if len(piece) > MAX_LINE or (not piece.isascii() and not _utf8(piece)):
        return False
    if b"\r" in piece and piece.count(b"\r") != piece.count(b"\r\n"):
        return False
    return not _odd_quotes(piece)


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class _Copier:
    """Writes whole lines to the copy, good pieces at once, the rest line by line."""

    def __init__(self, path: Path, dst: BinaryIO) -> None:
        self.path = path
        self.dst = dst
        self.line = 0  # lines written so far
        self.rejects: list[Reject] = []

    def lines(self, data: bytes) -> None:
        """Copy whole lines (`data` ends with LF)."""
        start = 0
        while start < len(data):
            end = data.rfind(b"\n", start, start + PIECE) + 1 or data.find(b"\n", start) + 1
            piece = data[start:end]
            if _fine(piece):
                self.dst.write(piece.replace(b"\r\n", b"\n") if b"\r" in piece else piece)
                self.line += piece.count(b"\n")
            else:
                for raw in piece.split(b"\n")[:-1]:
                    self.one(raw.removesuffix(b"\r"))
            start = end

    def one(self, raw: bytes, reason: str | None = None) -> None:
        self.line += 1
        reason = reason or (f"line longer than {MAX_LINE:,} bytes" if len(raw) > MAX_LINE
                            else line_problem(raw))
        if reason is None:
            self.dst.write(raw + b"\n")
        else:
            self.rejects.append(Reject.of(self.path, self.line, reason, raw))
            self.dst.write(b"\n")


def clean_copy(path: Path, out: Path) -> list[Reject]:
    """Write `path` to `out` with LF line ends and every line `line_problem` refuses (or
    longer than `MAX_LINE`) left empty; return those lines as rejects (line number,
    reason, raw text)."""
    try:
        with path.open("rb") as src, out.open("wb") as dst:
            copier, tail, skipping = _Copier(path, dst), b"", False
            while block := src.read(BLOCK):
                if skipping:  # the rest of an overlong line
                    end = block.find(b"\n") + 1
                    skipping, block = not end, block[end:] if end else b""
                cut = block.rfind(b"\n") + 1
                if not cut:
                    tail += block
                    if len(tail) > MAX_LINE:
                        copier.one(tail, f"line longer than {MAX_LINE:,} bytes")
                        tail, skipping = b"", True
                    continue
                copier.lines(tail + block[:cut])
                tail = block[cut:]
            if tail and not skipping:
                copier.lines(tail + b"\n")
    except OSError as exc:
        raise InputError(path, exc.strerror or type(exc).__name__) from None
    return copier.rejects
