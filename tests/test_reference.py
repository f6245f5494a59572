"""What every estimator computes stays put when the engine is reorganised.

``tests/reference/outputs.npz`` holds loss curves, codes, reconstructions and
scores of fixed configurations (``tests/reference/record.py``), recorded
before the TensorFlow side was split into layer descriptions and modules by
concern.  On the recording machine they come out bit-identical
(``record.py --compare``); here they are checked to a tolerance that another
CPU's rounding stays within and that a change of arithmetic does not.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

_spec = importlib.util.spec_from_file_location("reference_record", Path(__file__).parent / "reference" / "record.py")
record = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(record)


@pytest.fixture(scope="module")
def reference():
    return np.load(record.OUTPUTS)


@pytest.mark.parametrize("name", list(record.configurations()))
def test_outputs_match_the_recorded_reference(reference, name):
    out = record.outputs(name)
    keys = {key.split("/", 1)[1] for key in reference.files if key.startswith(name + "/")}
    assert set(out) == keys
    for key, value in out.items():
        np.testing.assert_allclose(
            np.asarray(value, np.float64), reference[f"{name}/{key}"], rtol=2e-4, atol=1e-5,
            err_msg=f"{name}/{key}",
        )
