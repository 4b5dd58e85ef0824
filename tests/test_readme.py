"""The README stays true: its test command is CI's, and its tour runs as written."""
import os
import re
import subprocess
import sys


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _readme():
    with open(os.path.join(ROOT, 'README.md')) as f:
        return f.read()


def test_ci_runs_the_readme_test_command():
    blocks = re.findall(r'```bash\n(.*?)\n```', _readme(), re.S)
    test_command = [b for b in blocks if 'pytest' in b]
    assert len(test_command) == 1
    with open(os.path.join(ROOT, '.ci', 'run')) as f:
        ci = f.read()
    assert test_command[0].strip() in ci
    assert '.venv/bin/python -m pytest -q --fake-cuda' in ci       # the CuPy double, documented
    assert 'python -m pytest -q --fake-cuda' in _readme()
    assert any('examples/digits.py' in b for b in blocks)


def test_tour_runs_as_written(tmp_path):
    blocks = re.findall(r'```python\n(.*?)\n```', _readme(), re.S)
    # the onnxruntime block needs the [onnx] extra and the file digits.py --export writes:
    # tests/test_onnx.py runs it
    blocks = [b for b in blocks if 'onnxruntime' not in b]
    assert len(blocks) >= 3
    script = '\n'.join(blocks)
    out = subprocess.run([sys.executable, '-c', script], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300, env={**os.environ, 'PYTHONPATH': ROOT})
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'tensor([[2., 4.],' in out.stdout
    assert '6,090' in out.stdout
    assert (tmp_path / 'digits.npz').exists()
