"""DSL front end: ``.edit`` text → the same plain data (and marks) the YAML front end gives.

The lark grammar (``grammar/recipe.lark``, LALR) reads statements ``NAME ARG*`` where
an argument is a word, a string, a list or a block. A :class:`lark.Transformer` turns
the parse tree into located statements; :func:`~editspec.recipe.dsl_meaning.interpret`
gives them their meaning (in :mod:`.dsl_meaning`):
plain ``key value`` pairs, plus the sugar that makes recipes short::

    clips "clips/*.mp4" { weight 2 }         # appends to clips
    every 1 beat when energy > 0.75 in chorus  # a cut rule (inside cuts { })
    transition crossfade 0.5s when section-change
    text "{{title}}" { start 0s; end 3s }    # appends to overlays
    var title string "Hello"                 # declares a variable

A head written as a "string" never takes sugar, which is how :mod:`dsl_print` writes
data that no sugar fits. Syntax errors use lark's ``UnexpectedInput`` position,
``get_context`` and ``match_examples``.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from editspec.errors import RecipeError, RecipeErrors
from editspec.recipe.dsl_meaning import Arg, Stmt, flatten, interpret
from editspec.recipe.from_yaml import MAX_DEPTH, Marks

Pos = tuple[int, int]


# -- parsing ------------------------------------------------------------------------------

@cache
def grammar_text() -> str:
    """Return the DSL grammar (``grammar/recipe.lark``, shipped in the package)."""
    from importlib import resources

    return resources.files("editspec").joinpath("grammar/recipe.lark").read_text("utf-8")


@cache
def _parser() -> Any:
    from lark import Lark

    return Lark(grammar_text(), parser="lalr", maybe_placeholders=False)


SYNTAX_EXAMPLES = {
    "',' only separates the items of a [list]": [",", "a b, c", "a ,", "a 1\nb 2,"],
    "missing ',' between list items": ["a [b c]", "a [b \"c\"]", "a [[b] c]", "a [b [c]]",
                                       "a [b {c 1}]", "a [\"b\" c]"],
    "a statement starts with a name, not a list or a block": ["[a]", "{ a 1 }", "a 1\n[b]",
                                                              "a 1\n{ b 1 }"],
}


def _brackets(text: str) -> tuple[list[tuple[str, int, int]], tuple[str, int, int] | None, int]:
    """Scan brackets outside strings and comments.

    Returns the brackets left open (char, line, col), the first closer that closes
    nothing, and the deepest nesting seen.
    """
    stack: list[tuple[str, int, int]] = []
    stray = None
    deepest = 0
    line, col, in_str, comment, esc = 1, 0, False, False, False
    for ch in text:
        col += 1
        if ch == "\n":
            line, col, in_str, comment = line + 1, 0, False, False
            continue
        if comment:
            continue
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"':
            in_str = True
        elif ch == "#":
            comment = True
        elif ch in "[{":
            stack.append((ch, line, col))
            deepest = max(deepest, len(stack))
            if deepest > MAX_DEPTH:
                break
        elif ch in "]}":
            if stack and stack[-1][0] == "[{"["]}".index(ch)]:
                stack.pop()
            elif stray is None:
                stray = (ch, line, col)
    return stack, stray, deepest


def _syntax_error(exc: Any, text: str, path: str) -> RecipeError:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF

    line, col = getattr(exc, "line", -1), getattr(exc, "column", -1)
    token = getattr(exc, "token", None)
    at_end = isinstance(exc, UnexpectedEOF) or getattr(token, "type", "") == "$END"
    stack, stray, _ = _brackets(text)
    label = hint = None
    if isinstance(exc, UnexpectedCharacters) and exc.char == '"':
        label = 'unterminated string: a "string" ends with " on the same line'
        hint = 'escape a quote inside a string as \\" and write line breaks as \\n'
    elif (stray is not None and (stray[1], stray[2]) <= (max(line, 1), max(col, 1))) or \
            (stray is not None and at_end):
        kind = "block" if stray[0] == "}" else "list"
        label, line, col = f"unexpected {stray[0]!r}: no {kind} is open here", stray[1], stray[2]
    elif at_end and stack:
        ch, line, col = stack[-1]
        closer = "}" if ch == "{" else "]"
        label = (f"unclosed {ch!r}: a {'block' if ch == '{' else 'list'} needs a closing "
                 f"{closer!r}")
    else:
        try:
            label = exc.match_examples(_parser().parse, SYNTAX_EXAMPLES, use_accepts=True)
        except Exception:  # match_examples re-parses small snippets; never let it escape
            label = None
    if line is None or line < 1:
        lines = text.splitlines() or [""]
        line, col = len(lines), len(lines[-1]) + 1
    if label is None:
        char = getattr(exc, "char", None)
        if char is not None:
            label = f"unexpected character {char!r}"
        elif token is not None and not at_end:
            label = f"unexpected {str(token)[:40]!r}"
        else:
            label = "unexpected end of the recipe"
    return RecipeError(f"DSL syntax: {label}", path, line, max(col, 1), hint=hint,
                       code="dsl-syntax")


def _check_depth(text: str, path: str) -> None:
    """Reject nesting deeper than MAX_DEPTH before the (recursive) tree walk."""
    stack, _, deepest = _brackets(text)
    if deepest > MAX_DEPTH:
        _, line, col = stack[-1]
        raise RecipeErrors([RecipeError(
            f"the recipe is nested more than {MAX_DEPTH} levels deep", path, line, col,
            code="too-deep")])


def parse_dsl(text: str, path: str) -> tuple[Any, Marks]:
    """Parse DSL recipe text.

    Parameters
    ----------
    text : str
        The recipe.
    path : str
        File name used in error positions.

    Returns
    -------
    data : Any
        The document as dicts, lists and scalars (the YAML front end's structure).
    marks : Marks
        Where every node stands.

    Raises
    ------
    RecipeErrors
        On a syntax error or a statement that does not fit (all of those at once).
    """
    from lark import Transformer
    from lark.exceptions import UnexpectedInput, VisitError

    _check_depth(text, path)

    class _ToStmts(Transformer):  # type: ignore[type-arg]
        def start(self, children: list[Any]) -> list[Stmt]:
            return [c for c in children if isinstance(c, Stmt)]

        def stmt(self, children: list[Any]) -> Stmt:
            head, *args = children
            arg_list = [a if isinstance(a, Arg) else _token_arg(a) for a in args]
            for a in arg_list:
                if a.pos == (0, 0):
                    a.pos = (head.line, head.column)
            if head.type == "STRING":
                return Stmt(_unquote(head, path), (head.line, head.column), True, arg_list)
            return Stmt(str(head), (head.line, head.column), False, arg_list)

        def list(self, children: list[Any]) -> Arg:
            items = [c if isinstance(c, Arg) else _token_arg(c) for c in children]
            meta = items[0].pos if items else (0, 0)
            return Arg("list", items, meta)

        def block(self, children: list[Any]) -> Arg:
            stmts = [c for c in children if isinstance(c, Stmt)]
            return Arg("block", stmts, stmts[0].head_pos if stmts else (0, 0))

    def _token_arg(tok: Any) -> Arg:
        if tok.type == "STRING":
            return Arg("string", _unquote(tok, path), (tok.line, tok.column))
        return Arg("word", str(tok), (tok.line, tok.column))

    if not text.strip():
        raise RecipeErrors([RecipeError("the recipe is empty", path, 1, 1,
                                        hint="start with `version 1`", code="empty-recipe")])
    syntax: list[RecipeError] = []
    try:
        try:
            tree = _parser().parse(text)
        except UnexpectedInput as exc:
            # every broken statement at once: parse the good ones alone, report the rest
            good, syntax = _statement_errors(text, path, exc)
            tree = _parser().parse(good)
        stmts = _ToStmts().transform(tree)
    except UnexpectedInput as exc:
        raise RecipeErrors(syntax or [_syntax_error(exc, text, path)]) from None
    except VisitError as exc:
        if isinstance(exc.orig_exc, RecipeErrors):
            raise exc.orig_exc from None
        raise
    except RecursionError:
        raise RecipeErrors([RecipeError("the recipe is nested too deeply", path, 1, 1,
                                        code="too-deep")]) from None
    if syntax:  # and what the statements that parse get wrong
        errors = list(syntax)
        if stmts:
            interpret(stmts, "top", (1, 1), errors, path)
        raise RecipeErrors(sorted(errors, key=lambda e: (e.line, e.col)))
    if not stmts:
        raise RecipeErrors([RecipeError("the recipe is empty", path, 1, 1,
                                        hint="start with `version 1`", code="empty-recipe")])
    errors = []
    node = interpret(stmts, "top", (1, 1), errors, path)
    marks = Marks(path)
    data = flatten(node, (), marks, errors, [0])
    if errors:
        raise RecipeErrors(errors)
    return data, marks


def _top_statements(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of the top-level statements (split at newlines and ``;``
    outside brackets, strings and comments). The brackets must balance."""
    spans: list[tuple[int, int]] = []
    depth, start, in_str, esc, comment = 0, 0, False, False, False
    for i, ch in enumerate(text):
        if comment:
            if ch == "\n":
                comment = False
            else:
                continue
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            if ch != "\n":
                continue
            in_str = False  # an unterminated string ends at its line's end
        if ch == '"':
            in_str = True
        elif ch == "#":
            comment = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth = max(0, depth - 1)
        elif ch in "\n;" and depth == 0:
            if text[start:i].strip():
                spans.append((start, i))
            start = i + 1
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with only ``spans`` kept: everything else but newlines becomes spaces, so
    lines and columns stay where they were."""
    keep = bytearray(len(text))
    for a, b in spans:
        keep[a:b] = b"\x01" * (b - a)
    return "".join(ch if keep[i] or ch == "\n" else " " for i, ch in enumerate(text))


def _statement_errors(text: str, path: str, first: Any) -> tuple[str, list[RecipeError]]:
    """The syntax error of every top-level statement that does not parse.

    Each statement is parsed alone (the others blanked out, positions kept). Returns the
    text with only the statements that parse, and one error per statement that does not.
    With unbalanced brackets statements cannot be told apart: only ``first`` is reported.
    """
    from lark.exceptions import UnexpectedInput

    stack, stray, _ = _brackets(text)
    spans = _top_statements(text) if not stack and stray is None else []
    errors, good = [], []
    for a, b in spans:
        try:  # alone from its first character, as the error examples are written
            _parser().parse(text[a:b])
        except UnexpectedInput as exc:
            e = _syntax_error(exc, text[a:b], path)
            line0 = text.count("\n", 0, a)
            col0 = a - (text.rfind("\n", 0, a) + 1)
            errors.append(RecipeError(e.message, path, e.line + line0,
                                      e.col + (col0 if e.line == 1 else 0), hint=e.hint,
                                      code=e.code))
        else:
            good.append((a, b))
    if not errors:
        return text, [_syntax_error(first, text, path)]
    return _blank(text, good), errors


def _unquote(tok: Any, path: str) -> str:
    try:
        value = json.loads(str(tok))
        value.encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        raise RecipeErrors([RecipeError("bad \\u escape in a string", path, tok.line,
                                        tok.column, code="dsl-syntax")]) from None
    return str(value)
