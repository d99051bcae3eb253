"""Real English text the tests build offline: the prose paragraphs of the
docstrings of Python's standard library, read from its source files."""

import ast
import sysconfig
from pathlib import Path

SKIPPED_FOLDERS = {"site-packages", "test", "tests", "idlelib", "lib2to3"}


def english_paragraphs():
    """About 10,000 paragraphs (190,000 words) of English prose, in a fixed
    order for a given Python version; code examples are left out."""
    root = Path(sysconfig.get_paths()["stdlib"])
    paragraphs = []
    for path in sorted(root.rglob("*.py")):
        if SKIPPED_FOLDERS & set(path.relative_to(root).parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for node in ast.walk(tree):
            kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
            docstring = ast.get_docstring(node) if isinstance(node, kinds) else None
            paragraphs += _prose(docstring or "")
    return paragraphs


def _prose(docstring):
    for block in docstring.split("\n\n"):
        lines = block.splitlines()
        if any(line.startswith((" ", "\t", ">>>")) for line in lines):
            continue  # code, tables, option lists
        text = " ".join(line.strip() for line in lines)
        letters = sum(c.isalpha() or c == " " for c in text)
        if len(text.split()) >= 6 and letters / len(text) > 0.85:
            yield text


def write_english_text(path):
    """Writes the paragraphs to `path`, one per line; returns the path."""
    path.write_text("\n".join(english_paragraphs()) + "\n", encoding="utf-8")
    return path
