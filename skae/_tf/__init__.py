"""The TensorFlow side of skae, imported only when a model is built.

Nothing here knows scikit-learn.  :func:`import_tensorflow` is the one place
TensorFlow is imported: quietly (TensorFlow writes its start-up chatter
straight to file descriptor 2, before its own log-level settings apply), and
with memory growth enabled on every GPU so that several processes (for
example ``GridSearchCV(n_jobs=2)``) can share one card.

Set ``TF_CPP_MIN_LOG_LEVEL`` yourself (to ``0`` to see everything) and skae
leaves TensorFlow's logging alone.
"""

import contextlib
import logging
import os
import re
import sys
import tempfile
import warnings

_tf = None


# TensorFlow's start-up lines: absl's log format (``I0000 00:00:1795451768.8
# 11012 port.cc:153] ...``), its notice about logging before InitializeLog,
# the older ``2024-01-01 00:00:00.0: I tensorflow/...`` format, and the
# second line of the CPU-instructions notice.
_TF_LINE = re.compile(
    rb"[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\]"
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called"
    rb"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] "
    rb"|To enable the following instructions: .* rebuild TensorFlow"
)


@contextlib.contextmanager
def _stderr_captured():
    """Send file descriptor 2 to a temporary file; yield a reader of it.

    On exit fd 2 is restored, and every line in the file that is not
    TensorFlow's is written to it: other threads' output during the capture
    comes out late, but none is lost.
    """
    if sys.stderr is not None:  # None under pythonw and in services
        sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield lambda: (sink.seek(0), sink.read().decode(errors="replace"))[1]
        finally:
            if sys.stderr is not None:
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            others = b"".join(
                line for line in sink.read().splitlines(keepends=True) if not _TF_LINE.match(line)
            )
            while others:
                others = others[os.write(2, others):]


class _OwnRetracingFilter(logging.Filter):
    """Drop TensorFlow's retracing warning for skae's own compiled functions.

    skae compiles one function per network architecture on purpose, and
    TensorFlow counts the traces of all of them together (it keys on the
    Python code object), so it would warn about a grid search over layer
    sizes.  The user's own functions keep their warning.
    """

    def filter(self, record):
        msg = record.getMessage()
        return not ("triggered tf.function retracing" in msg and "<function skae." in msg)


def thread_limit():
    """The thread budget this process was given, if any: ``OMP_NUM_THREADS``,
    which joblib's workers get (the cores over ``n_jobs``) and which users
    set to share a machine; None when it is not set."""
    try:
        n = int(os.environ["OMP_NUM_THREADS"])
    except (KeyError, ValueError):
        return None
    return n if n >= 1 else None


def _configure(tf):
    logging.getLogger("tensorflow").addFilter(_OwnRetracingFilter())
    n = thread_limit()
    if n is not None and not {"TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"} & set(os.environ):
        # TensorFlow's own pools default to every core: in 2 joblib workers on
        # 2 cores that is 4+ busy threads on 2 cores.  Set before its first op.
        try:
            tf.config.threading.set_intra_op_parallelism_threads(n)
            tf.config.threading.set_inter_op_parallelism_threads(n)
        except RuntimeError:
            pass  # the user's code already ran TensorFlow: its pools stand
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except (RuntimeError, ValueError):
            # Already initialised by the user's own code: their setting stands.
            pass


def import_tensorflow():
    """Import TensorFlow once, quietly, and configure GPUs; return the module."""
    global _tf
    if _tf is not None:
        return _tf
    if "tensorflow" in sys.modules or "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        # The user imported TensorFlow or chose a log level: do not interfere.
        import tensorflow as tf

        _configure(tf)
    else:
        # TensorFlow reads the level once, at its first log line (during the
        # import); the variable is removed again so that child processes
        # (joblib workers) do not take it for the user's own choice.
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
        try:
            with _stderr_captured() as captured, warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    import tensorflow as tf

                    _configure(tf)
                except Exception as exc:
                    raise ImportError(
                        "skae could not import TensorFlow. What TensorFlow printed:\n"
                        + captured()
                    ) from exc
        finally:
            del os.environ["TF_CPP_MIN_LOG_LEVEL"]
    _tf = tf
    return tf
