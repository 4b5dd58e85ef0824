"""The README stays true: its test command is CI's, and its tour runs as written."""
import os
import re
import subprocess
import sys

import pytest


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


# A print line of a block: print(...) and, after it, the comment that says what it prints.
_PRINT_LINE = re.compile(r'^print\((.*)\)\s+# (.*)$')


def _python_blocks():
    """The README's ```python blocks, but for the ONNX one: it reads the file that
    `examples/digits.py --export` writes, and tests/test_onnx.py runs it on one."""
    blocks = re.findall(r'```python\n(.*?)\n```', _readme(), re.S)
    return [b for b in blocks if 'onnxruntime' not in b]


def _run_alone(block, cwd):
    """Run ``block`` as a user pastes it, in a fresh process: (stdout, the text of each print
    line whose comment says what it prints, in order, with that comment)."""
    lines, checked = [], []
    for line in block.splitlines():
        match = _PRINT_LINE.match(line)
        if match:
            checked.append(match.group(2))
            line = f'_readme_print({match.group(1)})'
        lines.append(line)
    marker = ("def _readme_print(*values):\n"
              "    print('\\x02' + ' '.join(map(str, values)) + '\\x03')\n")
    out = subprocess.run([sys.executable, '-c', marker + '\n'.join(lines)], cwd=cwd,
                         capture_output=True, text=True, timeout=600,
                         env={**os.environ, 'PYTHONPATH': ROOT})
    assert out.returncode == 0, f"this README block fails alone:\n{block}\n{out.stderr[-3000:]}"
    printed = re.findall('\x02(.*?)\x03', out.stdout, re.S)
    assert len(printed) == len(checked)
    return out.stdout, list(zip(printed, checked))


def _shows(printed, comment):
    """Whether ``printed`` is what ``comment`` says, '...' standing for any text (digits that
    vary) and any run of spaces or line breaks for one space (a tensor's repr wraps)."""
    pattern = '.*?'.join(re.escape(part) for part in ' '.join(comment.split()).split('...'))
    return re.fullmatch(pattern, ' '.join(printed.split())) is not None


def test_shows_compares_with_the_comment():
    assert _shows('tensor([[2., 4.],\n        [6., 8.]])', 'tensor([[2., 4.], [6., 8.]])')
    assert _shows("{'loss': 0.27, 'accuracy': 0.91}", "{'loss': 0.2..., 'accuracy': 0.9...}")
    assert not _shows("{'accuracy': 0.91}", "{'loss': 0.2..., 'accuracy': 0.9...}")
    assert not _shows('3 1.5', '3 0.2...')


@pytest.mark.parametrize('index', range(len(_python_blocks())))
def test_each_tour_block_runs_alone_and_prints_what_it_says(index, tmp_path):
    block = _python_blocks()[index]
    stdout, checked = _run_alone(block, tmp_path)
    for printed, comment in checked:
        assert _shows(printed, comment), f"printed {printed!r}, the README says {comment!r}"
    if 'model.summary((1, 8, 8))' in block:          # the comment says 6,090 in total
        assert 'Total params: 6,090' in stdout
    if "mdl.save(model.state_dict(), 'digits.npz')" in block:
        assert (tmp_path / 'digits.npz').exists()


def test_the_tour_checks_something():
    blocks = _python_blocks()
    assert len(blocks) >= 6
    assert sum(bool(_PRINT_LINE.match(line)) for b in blocks for line in b.splitlines()) >= 6
