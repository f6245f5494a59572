import subprocess
import sys


def test_import_skae_does_not_import_tensorflow():
    code = "import sys, skae; assert 'tensorflow' not in sys.modules, 'tensorflow imported'; print(skae.__all__)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "TiedAutoencoder" in proc.stdout


def _tensorflow_threads(env):
    """TensorFlow's (intra-op, inter-op) pool sizes after skae imported it, in a
    fresh process with ``env`` added to the environment."""
    import json
    import os

    code = (
        "import json, numpy as np; from skae import TiedAutoencoder;"
        " TiedAutoencoder(2, max_iter=1).fit(np.eye(4));"
        " import tensorflow as tf; t = tf.config.threading;"
        " print(json.dumps([t.get_intra_op_parallelism_threads(), t.get_inter_op_parallelism_threads()]))"
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "TF_NUM_"))}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env={**environ, **env}
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_tensorflow_keeps_to_the_thread_budget_joblib_gives_a_worker():
    # joblib's workers get OMP_NUM_THREADS = cores // n_jobs; TensorFlow's
    # pools would otherwise take every core in every worker.
    assert _tensorflow_threads({"OMP_NUM_THREADS": "1"}) == [1, 1]
    assert _tensorflow_threads({}) == [0, 0]  # TensorFlow's default: all cores
    # The user's own TensorFlow settings stand.
    assert _tensorflow_threads({"OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "2"}) == [0, 0]
