"""The training rows as the loop reads them: one float32 tensor shared with
numpy where possible, or a row source (sparse input) densified a chunk at a time."""

import numpy as np

from . import import_tensorflow

tf = import_tensorflow()

# Rows densified at a time from a chunked (sparse) source: about this many entries.
CHUNK_ENTRIES = 2**22


# TensorFlow's CPU kernels need tensor buffers aligned to this many bytes
# (EIGEN_MAX_ALIGN_BYTES); a misaligned DLPack import aborts the process.
ALIGNMENT = 64


def aligned_empty(shape, dtype=np.float32):
    """An uninitialised C-contiguous array whose data start on an ALIGNMENT boundary."""
    n_bytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    buffer = np.empty(n_bytes + ALIGNMENT, np.uint8)
    start = -buffer.ctypes.data % ALIGNMENT
    return buffer[start : start + n_bytes].view(dtype).reshape(shape)


def to_tensor(X):
    """X as a float32 tensor, without a copy where TensorFlow allows one.

    ``tf.convert_to_tensor`` always copies.  A float32, C-contiguous,
    aligned, writeable array is shared with TensorFlow through DLPack
    instead (the tensor keeps it alive; training never writes to it);
    anything else is copied once into such an array first.  On 70000 x 784
    this saves a 220 MB copy: 0.14 s measured, more where fresh memory is
    slow to map.
    """
    X = np.asarray(X)
    shareable = (
        X.dtype == np.float32
        and X.flags.c_contiguous
        and X.flags.writeable  # DLPack cannot export read-only arrays
        and X.ctypes.data % ALIGNMENT == 0
    )
    if not shareable:
        X32 = aligned_empty(X.shape)
        np.copyto(X32, X, casting="same_kind")
        X = X32
    if X.size == 0:
        return tf.convert_to_tensor(X)
    return tf.experimental.dlpack.from_dlpack(X.__dlpack__())


class Data:
    """Training rows as the loop reads them.

    ``X`` is a numpy array, or a row source: an object with ``shape`` and
    ``take(rows)``, which returns those rows as a dense numpy array (sparse
    matrices come this way, densified a chunk at a time and never whole).
    ``weights``: per-row weights (already validated, positive) or None.
    ``centre``: a mean to subtract (the centred linear net); the data's
    mean squared norm per feature is then kept as ``loss_offset``, the
    constant the linear net's training loss leaves out.  ``preshuffle``: a
    row permutation to lay a dense training copy out in (then epochs slice
    contiguous batches).
    """

    def __init__(self, X, weights=None, *, centre=None, preshuffle=None):
        self.n, self.n_features = (int(s) for s in X.shape)
        self.centre = None if centre is None else np.asarray(centre, np.float64)
        self.rows_shuffled = preshuffle is not None
        self.weights_np = None if weights is None else np.asarray(weights, np.float32)
        if self.rows_shuffled and self.weights_np is not None:
            self.weights_np = self.weights_np[preshuffle]
        self.weights = None if self.weights_np is None else tf.constant(self.weights_np)
        if isinstance(X, np.ndarray):
            self.source = None
            if self.centre is None and preshuffle is None:
                self.tensor = to_tensor(X)
            else:
                self.tensor = to_tensor(self._centred_copy(X, preshuffle))
        else:
            self.source, self.tensor = X, None
        self.loss_offset = 0.0
        if self.centre is not None and self.n:
            sq = np.zeros(self.n)
            for start, chunk in self.chunks():
                c = chunk.numpy() if self.source is None else chunk
                sq[start : start + len(c)] = np.einsum("ij,ij->i", c, c, dtype=np.float64)
            w = self.weights_np
            total = sq.sum() if w is None else float(np.dot(w.astype(np.float64), sq) / w.mean())
            self.loss_offset = total / (self.n * self.n_features)

    @property
    def chunk_rows(self):
        return max(1, CHUNK_ENTRIES // max(1, self.n_features))

    def _centred_copy(self, X, order):
        """A float32 copy of X, centred (if asked) and in ``order`` (if given), in one pass."""
        out = aligned_empty(X.shape)
        centre = np.zeros(X.shape[1]) if self.centre is None else self.centre
        if order is None:
            return np.subtract(X, centre, out=out, casting="same_kind")
        # Gather rows straight into the output (float32 data) or through one
        # reused buffer, in chunks: measured no slower than the plain centred
        # copy (0.08 s on 70000 x 784).
        chunk = 1024
        in_place = X.dtype == np.float32
        centre_x = centre.astype(X.dtype)
        buffer = None if in_place else np.empty((chunk, X.shape[1]), X.dtype)
        for start in range(0, X.shape[0], chunk):
            rows = order[start : start + chunk]
            dest = out[start : start + len(rows)]
            gathered = dest if in_place else buffer[: len(rows)]
            np.take(X, rows, axis=0, out=gathered, mode="clip")
            np.subtract(gathered, centre_x, out=dest, casting="same_kind")
        return out

    def take(self, rows):
        """Rows of a chunked source, dense, float32, centred if asked."""
        X = np.asarray(self.source.take(rows))
        if self.centre is not None:
            X = X - self.centre.astype(X.dtype)
        return X.astype(np.float32, copy=False)

    def chunks(self, chunk_rows=None):
        """(start, rows) over the data in order: float32 tensors or arrays."""
        step = chunk_rows or self.chunk_rows
        for start in range(0, self.n, step):
            if self.source is None:
                yield start, self.tensor[start : start + step]
            else:
                yield start, self.take(np.arange(start, min(start + step, self.n)))
