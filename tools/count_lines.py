"""Lines of code in Python files: docstrings, comments and blank lines not counted.

    python tools/count_lines.py minidl          # every .py file below minidl/, and the total
    python tools/count_lines.py minidl/functional/conv.py tools

The rule is the one of the before-stop hook (/work/shared/hooks/before-stop): a line counts when
a token other than a comment, a newline or an indentation change lies on it, and the docstring
(the first statement, a string) of a module, class or function is left out.
"""
import argparse
import ast
import io
import pathlib
import tokenize

_NOT_CODE = (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
             tokenize.ENDMARKER)
_WITH_DOCSTRING = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def code_lines(source):
    """The set of line numbers (1-based) of ``source`` that hold code."""
    lines = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in _NOT_CODE:
            lines.update(range(token.start[0], token.end[0] + 1))
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, 'body', None)
        first = body[0] if isinstance(node, _WITH_DOCSTRING) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                and isinstance(first.value.value, str):
            lines -= set(range(first.lineno, first.end_lineno + 1))
    return lines


def python_files(paths):
    """The .py files named in ``paths`` or lying below the folders among them, sorted."""
    files = []
    for path in map(pathlib.Path, paths):
        files.extend(sorted(path.rglob('*.py')) if path.is_dir() else [path])
    return files


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('paths', nargs='+', help='Python files or folders')
    files = python_files(parser.parse_args(argv).paths)
    total = 0
    for f in files:
        n = len(code_lines(f.read_text()))
        total += n
        print(f'{n:6}  {f}')
    print(f'{total:6}  total ({len(files)} files)')
    return total


if __name__ == '__main__':
    main()
