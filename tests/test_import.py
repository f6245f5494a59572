import subprocess
import sys


def test_import_skae_does_not_import_tensorflow():
    code = "import sys, skae; assert 'tensorflow' not in sys.modules, 'tensorflow imported'; print(skae.__all__)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "TiedAutoencoder" in proc.stdout
