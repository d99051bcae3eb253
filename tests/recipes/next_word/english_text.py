"""Real English text the tests build offline: the prose of Python's
standard library, its docstrings and comments, read from its source files,
and the Language Reference topics of `pydoc_data`."""

import ast
import io
import sysconfig
import tokenize
from pathlib import Path

SKIPPED_FOLDERS = {"site-packages", "test", "tests", "idlelib", "lib2to3"}


def english_paragraphs():
    """About 400,000 words of English prose in paragraphs, in a fixed order
    for a given Python version; code examples and code-like lines are left
    out."""
    import pydoc_data.topics

    root = Path(sysconfig.get_paths()["stdlib"])
    paragraphs = []
    for path in sorted(root.rglob("*.py")):
        if SKIPPED_FOLDERS & set(path.relative_to(root).parts):
            continue
        try:
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source)
            comments = _comment_blocks(source)
        except (SyntaxError, UnicodeDecodeError, ValueError, tokenize.TokenError):
            continue
        for node in ast.walk(tree):
            kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
            docstring = ast.get_docstring(node) if isinstance(node, kinds) else None
            paragraphs += _prose(docstring or "")
        paragraphs += _prose("\n\n".join(comments))
    for name in sorted(pydoc_data.topics.topics):
        paragraphs += _prose(pydoc_data.topics.topics[name])
    return paragraphs


def _comment_blocks(source):
    """Runs of comment lines, each run one block."""
    blocks, current, last_line = [], [], None
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT:
            continue
        line = token.start[0]
        if current and line != last_line + 1:
            blocks.append("\n".join(current))
            current = []
        current.append(token.string.lstrip("#").strip())
        last_line = line
    if current:
        blocks.append("\n".join(current))
    return blocks


def _prose(text):
    for block in text.split("\n\n"):
        lines = block.splitlines()
        if any(line.startswith((" ", "\t", ">>>")) for line in lines):
            continue  # code, tables, option lists
        paragraph = " ".join(line.strip() for line in lines)
        letters = sum(c.isalpha() or c == " " for c in paragraph)
        if len(paragraph.split()) >= 6 and letters / len(paragraph) > 0.85:
            yield paragraph


def write_english_text(path):
    """Writes the paragraphs to `path`, one per line; returns the path."""
    path.write_text("\n".join(english_paragraphs()) + "\n", encoding="utf-8")
    return path
