"""Fast construction of Arrow string columns: fixed-width text and unique event ids."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

ALNUM = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
_TAIL_MOD = 36**8
_TAIL_MUL = 1_299_709  # prime, hence coprime with 36: counter -> tail is a bijection


def strings_from_chars(chars: npt.NDArray[np.uint8]) -> pa.Array:
    """One string per row of an ASCII byte matrix, without a Python loop."""
    n, width = chars.shape
    data = np.ascontiguousarray(chars).tobytes()
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data))


def join(parts: list[pa.Array], sep: str) -> pa.Array:
    """Element-wise join of string columns; null parts are skipped (never the whole row)."""
    if not sep:
        filled = [pc.fill_null(p, "") for p in parts]
        return filled[0] if len(filled) == 1 else pc.binary_join_element_wise(*filled, "")
    prefixed = [pc.if_else(pc.is_null(p), "", pc.binary_join_element_wise(sep, p, ""))
                for p in parts]
    joined = prefixed[0] if len(prefixed) == 1 else pc.binary_join_element_wise(*prefixed, "")
    return pc.utf8_slice_codeunits(joined, len(sep))


class IdMint:
    """Hands out CERT-style ids `{XXXX-XXXXXXXX-XXXXXXXX}`, unique over a whole run.

    The last block encodes a running counter through a bijection, so ids never collide;
    the first two blocks are random so that ids look like CERT's.
    """

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._next = 0
        self._offset = int(rng.integers(_TAIL_MOD))

    def take(self, n: int) -> pa.Array:
        """`n` fresh ids, in order."""
        counter = np.arange(self._next, self._next + n, dtype=np.uint64)
        self._next += n
        tail = (counter * np.uint64(_TAIL_MUL) + np.uint64(self._offset)) % np.uint64(_TAIL_MOD)
        chars = np.empty((n, 24), dtype=np.uint8)
        chars[:, [0, 5, 14, 23]] = np.frombuffer(b"{--}", dtype=np.uint8)
        random = ALNUM[self._rng.integers(0, 36, (n, 12))]
        chars[:, 1:5] = random[:, :4]
        chars[:, 6:14] = random[:, 4:]
        for k in range(8):
            chars[:, 22 - k] = ALNUM[((tail // np.uint64(36**k)) % np.uint64(36)).astype(np.int64)]
        return strings_from_chars(chars)
