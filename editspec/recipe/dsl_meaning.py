"""The DSL's meaning: located statements (from :mod:`.from_dsl`) → located plain data.

:func:`interpret` gives statements their meaning: plain ``key value`` pairs, plus the
sugar that makes recipes short (``clips``, cut rules, transitions, ``text``, ``var``);
:func:`flatten` turns the located tree into the plain data and the marks (file positions)
the YAML front end also gives. The located types (:class:`Arg`, :class:`Stmt`,
:class:`LNode`) and :func:`classify` (what an unquoted word stands for) live here; the
grammar, the parser and its syntax errors are in :mod:`.from_dsl`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from editspec.errors import RecipeError, RecipeErrors
from editspec.recipe.from_yaml import MAX_NODES, Marks, Path

Pos = tuple[int, int]

_INT_RE = re.compile(r"^[-+]?[0-9]{1,30}$")
_FLOAT_RE = re.compile(r"^[-+]?(?:[0-9]{1,30}\.[0-9]{0,30}|\.[0-9]{1,30})(?:[eE][-+]?[0-9]{1,3})?$"
                       r"|^[-+]?[0-9]{1,30}[eE][-+]?[0-9]{1,3}$")
_SPECIAL = {"true": True, "false": False, "null": None, ".inf": float("inf"),
            "-.inf": float("-inf"), "+.inf": float("inf")}
UNITS = ("beat", "beats", "half-beat", "half-beats", "bar", "bars", "phrase", "phrases",
         "section", "sections")
PRIMARY = {"music": "file", "intro": "file", "outro": "file", "logo": "file"}
"""Keys whose block may be preceded by a value for this field: ``music "song.ogg" { ... }``."""


# -- located values -----------------------------------------------------------------------

@dataclass
class Arg:
    """One argument of a statement, where it stands."""

    kind: str
    """``word``, ``string``, ``list`` or ``block``."""
    value: Any
    """Text (word, string), a list of Arg, or a list of Stmt."""
    pos: Pos
    """1-based (line, col)."""


@dataclass
class Stmt:
    """``head arg*``."""

    head: str
    head_pos: Pos
    quoted: bool
    """The head was a "string": no sugar."""
    args: list[Arg]


@dataclass
class LNode:
    """A located data value: a scalar, a list (``items``) or a mapping (``entries``)."""

    pos: Pos
    value: Any = None
    items: list[LNode] | None = None
    entries: list[tuple[str, Pos, LNode]] | None = field(default=None)


def classify(word: str) -> Any:
    """Return the value an unquoted word stands for: bool, null, int, float or text."""
    if word in _SPECIAL:
        return _SPECIAL[word]
    if word == ".nan":
        return float("nan")
    if _INT_RE.match(word):
        return int(word)
    if _FLOAT_RE.match(word):
        return float(word)
    return word


# -- meaning ------------------------------------------------------------------------------

class _Map:
    """Entries of a mapping under construction, with duplicate detection."""

    def __init__(self, pos: Pos, errors: list[RecipeError], path: str) -> None:
        self.node = LNode(pos, entries=[])
        self.index: dict[str, LNode] = {}
        self.errors = errors
        self.path = path

    def put(self, key: str, kpos: Pos, value: LNode) -> None:
        if key in self.index:
            self.errors.append(RecipeError(f"duplicate key {key[:80]!r}", self.path, *kpos,
                                           code="duplicate-key"))
            return
        self.index[key] = value
        assert self.node.entries is not None
        self.node.entries.append((key, kpos, value))

    def append(self, key: str, kpos: Pos, items: list[LNode]) -> None:
        node = self.index.get(key)
        if node is None:
            node = LNode(kpos, items=[])
            self.put(key, kpos, node)
        if node.items is None:
            self.errors.append(RecipeError(f"{key!r} is already set to a value, not a list",
                                           self.path, *kpos, code="duplicate-key"))
            return
        node.items.extend(items)

    def submap(self, key: str, kpos: Pos) -> _Map | None:
        node = self.index.get(key)
        if node is None:
            sub = _Map(kpos, self.errors, self.path)
            self.put(key, kpos, sub.node)
            return sub
        if node.entries is None:
            self.errors.append(RecipeError(f"duplicate key {key[:80]!r}", self.path, *kpos,
                                           code="duplicate-key"))
            return None
        sub = _Map(node.pos, self.errors, self.path)
        sub.node = node
        sub.index = {k: v for k, _, v in node.entries}
        return sub


def _value(arg: Arg, ctx: str, errors: list[RecipeError], path: str) -> LNode:
    if arg.kind == "word":
        return LNode(arg.pos, value=classify(arg.value))
    if arg.kind == "string":
        return LNode(arg.pos, value=arg.value)
    if arg.kind == "list":
        return LNode(arg.pos, items=[_value(a, ctx, errors, path) for a in arg.value])
    return interpret(arg.value, ctx, arg.pos, errors, path)


def _err(errors: list[RecipeError], path: str, pos: Pos, message: str,
         hint: str | None = None) -> None:
    errors.append(RecipeError(message, path, *pos, hint=hint, code="dsl-statement"))


def _measure(args: list[Arg]) -> tuple[str, int] | None:
    """A musical interval at the start of ``args``: ``2 beats``, ``beat`` or "text"."""
    if args and args[0].kind == "string":
        return args[0].value, 1
    if len(args) >= 2 and args[0].kind == args[1].kind == "word" and args[1].value in UNITS \
            and isinstance(classify(args[0].value), (int, float)):
        return f"{args[0].value} {args[1].value}", 2
    if args and args[0].kind == "word" and args[0].value in UNITS:
        return args[0].value, 1
    return None


def _with_primary(key: str, field_name: str, args: list[Arg], pos: Pos, ctx: str,
                  errors: list[RecipeError], path: str) -> LNode | None:
    """``key VALUE [BLOCK]`` → ``{field_name: VALUE, ...BLOCK}``."""
    first, rest = args[0], args[1:]
    if first.kind not in ("word", "string") or len(rest) > 1 or (rest and rest[0].kind != "block"):
        return None
    m = _Map(pos, errors, path)
    m.put(field_name, first.pos, _value(first, ctx, errors, path))
    if rest:
        for k, kp, v in interpret(rest[0].value, key, rest[0].pos, errors, path).entries or []:
            m.put(k, kp, v)
    return m.node


def _cut_rule(st: Stmt, errors: list[RecipeError], path: str) -> LNode | None:
    found = _measure(st.args)
    if found is None:
        _err(errors, path, st.args[0].pos if st.args else st.head_pos,
             "`every` needs an interval such as `2 beats`, `beat` or `1 bar`")
        return None
    text, n = found
    m = _Map(st.head_pos, errors, path)
    m.put("every", st.args[0].pos, LNode(st.args[0].pos, value=text))
    rest = st.args[n:]
    i = 0
    while i < len(rest):
        a = rest[i]
        word = a.value if a.kind == "word" else None
        if word in ("when", "and") and len(rest) >= i + 4 and rest[i + 1].kind == "word" \
                and rest[i + 1].value == "energy":
            op, num = rest[i + 2], rest[i + 3]
            value = classify(num.value) if num.kind == "word" else None
            if op.value not in (">", ">=", "<", "<=") or not isinstance(value, (int, float)) \
                    or isinstance(value, bool):
                _err(errors, path, op.pos, "expected `energy > NUMBER` or `energy < NUMBER`")
                return None
            key = "energy_above" if op.value.startswith(">") else "energy_below"
            m.put(key, op.pos, LNode(num.pos, value=value))
            i += 4
        elif word == "in" and i + 1 < len(rest):
            m.put("section", rest[i + 1].pos, _value(rest[i + 1], "cuts", errors, path))
            i += 2
        else:
            _err(errors, path, a.pos, f"unexpected {str(a.value)[:40]!r} in a cut rule",
                 hint="write: every 2 beats when energy > 0.5 and energy < 0.9 in chorus")
            return None
    return m.node


def _transition(st: Stmt, errors: list[RecipeError], path: str) -> LNode | None:
    args = st.args
    if args and args[-1].kind == "block":
        block, args = args[-1], args[:-1]
    else:
        block = None
    m = _Map(st.head_pos, errors, path)
    i = 0
    if args and args[0].kind in ("word", "string") and args[0].value not in ("when", "every"):
        m.put("type", args[0].pos, _value(args[0], "transition", errors, path))
        i = 1
        if i < len(args) and args[i].kind in ("word", "string") and \
                args[i].value not in ("when", "every"):
            m.put("length", args[i].pos, _value(args[i], "transition", errors, path))
            i += 1
    if i < len(args) and args[i].kind == "word" and args[i].value in ("when", "every"):
        kw = args[i].value
        found = _measure(args[i + 1:])
        if kw == "every" and found is not None:
            m.put("when", args[i + 1].pos, LNode(args[i + 1].pos, value=found[0]))
            i += 1 + found[1]
        elif kw == "when" and i + 1 < len(args):
            found = _measure(args[i + 1:])
            if found is not None and found[1] == 2:
                m.put("when", args[i + 1].pos, LNode(args[i + 1].pos, value=found[0]))
                i += 3
            else:
                m.put("when", args[i + 1].pos, _value(args[i + 1], "transition", errors, path))
                i += 2
        else:
            _err(errors, path, args[i].pos, f"`{kw}` needs a value")
            return None
    if i < len(args):
        _err(errors, path, args[i].pos, f"unexpected {str(args[i].value)[:40]!r} in a transition",
             hint="write: transition crossfade 0.5s when section-change")
        return None
    if block is not None:
        for k, kp, v in interpret(block.value, "transition", block.pos, errors, path).entries or []:
            m.put(k, kp, v)
    return m.node


def _variable(st: Stmt, top: _Map, errors: list[RecipeError], path: str) -> None:
    args = st.args
    block = args[-1] if args and args[-1].kind == "block" else None
    if block is not None:
        args = args[:-1]
    if not 2 <= len(args) <= 3 or args[0].kind != "word" or args[1].kind != "word":
        _err(errors, path, st.head_pos, "expected `var NAME TYPE [DEFAULT]`",
             hint='e.g. var title string "Hello"')
        return
    variables = top.submap("variables", st.head_pos)
    if variables is None:
        return
    m = _Map(st.head_pos, errors, path)
    m.put("type", args[1].pos, LNode(args[1].pos, value=args[1].value))
    if len(args) == 3:
        m.put("default", args[2].pos, _value(args[2], "var", errors, path))
    if block is not None:
        for k, kp, v in interpret(block.value, "var", block.pos, errors, path).entries or []:
            m.put(k, kp, v)
    variables.put(args[0].value, args[0].pos, m.node)


def interpret(stmts: list[Stmt], ctx: str, pos: Pos, errors: list[RecipeError],
              path: str) -> LNode:
    """Give a block's statements their meaning: a located mapping.

    Parameters
    ----------
    stmts : list of Stmt
        The block's statements.
    ctx : str
        ``top`` for the recipe, ``cuts`` inside ``cuts { }``, else the enclosing key.
    pos : Pos
        Where the block starts.
    errors : list of RecipeError
        Problems found are appended here.
    path : str
        File name for positions.

    Returns
    -------
    LNode
        A mapping node.
    """
    top = _Map(pos, errors, path)
    rules: list[tuple[Stmt, LNode]] = []
    for st in stmts:
        key, args = st.head, st.args
        sugar = not st.quoted
        if sugar and ctx == "top" and key in ("clips", "clip") and args:
            if args[0].kind == "list" and len(args) == 1:
                top.append("clips", st.head_pos, [_value(a, "clips", errors, path)
                                                  for a in args[0].value])
            elif (args[0].kind == "block" and len(args) == 1) or len(args) == 1:
                top.append("clips", st.head_pos, [_value(args[0], "clips", errors, path)])
            else:
                node = _with_primary("clips", "files", args, st.head_pos, "clips", errors, path)
                if node is None:
                    _err(errors, path, args[1].pos, "expected `clips GLOB [{ options }]`")
                else:
                    top.append("clips", st.head_pos, [node])
            continue
        if sugar and ctx == "top" and key in ("text", "image") and args and \
                args[0].kind in ("word", "string"):
            node = _with_primary(key, key, args, st.head_pos, "overlay", errors, path)
            if node is None:
                _err(errors, path, args[-1].pos, f"expected `{key} VALUE [{{ options }}]`")
            else:
                top.append("overlays", st.head_pos, [node])
            continue
        if sugar and ctx == "top" and key == "transition" and args:
            node = _transition(st, errors, path)
            if node is not None:
                top.append("transitions", st.head_pos, [node])
            continue
        if sugar and ctx == "top" and key == "var":
            _variable(st, top, errors, path)
            continue
        if sugar and ctx == "cuts" and key == "every":
            node = _cut_rule(st, errors, path)
            if node is not None:
                rules.append((st, node))
            continue
        if sugar and ctx == "top" and key == "cuts" and len(args) in (1, 2) and \
                args[0].kind in ("word", "string") and (len(args) == 1 or args[1].kind == "block"):
            node = _with_primary("cuts", "pattern", args, st.head_pos, "cuts", errors, path)
            if node is not None:
                top.put(key, st.head_pos, node)
            continue
        if not args:
            _err(errors, path, st.head_pos, f"{key[:40]!r} needs a value")
            continue
        if sugar and len(args) == 2 and key in PRIMARY and args[1].kind == "block":
            node = _with_primary(key, PRIMARY[key], args, st.head_pos, key, errors, path)
            if node is not None:
                top.put(key, st.head_pos, node)
                continue
        if sugar and key in PRIMARY and len(args) == 1 and args[0].kind in ("word", "string"):
            node = _with_primary(key, PRIMARY[key], args, st.head_pos, key, errors, path)
            assert node is not None
            top.put(key, st.head_pos, node)
            continue
        measure = _measure(args) if len(args) == 2 else None
        if measure is not None and measure[1] == 2:
            top.put(key, st.head_pos, LNode(args[0].pos, value=measure[0]))
            continue
        if len(args) > 1:
            _err(errors, path, args[1].pos, f"{key[:40]!r} takes one value, got {len(args)}",
                 hint='quote text with spaces: "like this"')
            continue
        child_ctx = "cuts" if (ctx == "top" and key == "cuts" and not st.quoted) else key
        if args[0].kind in ("list", "block") and key in ("transitions", "overlays", "clips") \
                and ctx == "top" and args[0].kind == "list":
            top.append(key, st.head_pos, [_value(a, key, errors, path) for a in args[0].value])
            continue
        if key == "variables" and ctx == "top" and args[0].kind == "block":
            variables = top.submap("variables", st.head_pos)
            if variables is not None:
                for k, kp, v in interpret(args[0].value, "variables", args[0].pos, errors,
                                          path).entries or []:
                    variables.put(k, kp, v)
            continue
        top.put(key, st.head_pos, _value(args[0], child_ctx, errors, path))
    if rules:
        if len(rules) == 1 and "rules" not in top.index and \
                [k for k, _, _ in rules[0][1].entries or []] == ["every"]:
            st, node = rules[0]
            entries = node.entries or []
            top.put("every", entries[0][1], entries[0][2])
        else:
            top.append("rules", rules[0][0].head_pos, [n for _, n in rules])
    return top.node


def flatten(node: LNode, path: Path, marks: Marks, errors: list[RecipeError],
             count: list[int]) -> Any:
    count[0] += 1
    if count[0] > MAX_NODES:
        raise RecipeErrors([RecipeError(f"the recipe has more than {MAX_NODES} values",
                                        marks.path, *node.pos, code="too-large")])
    marks.values[path] = (marks.path, *node.pos)
    if node.entries is not None:
        out: dict[str, Any] = {}
        for key, kpos, child in node.entries:
            marks.keys[(*path, key)] = (marks.path, *kpos)
            out[key] = flatten(child, (*path, key), marks, errors, count)
        return out
    if node.items is not None:
        return [flatten(c, (*path, i), marks, errors, count) for i, c in enumerate(node.items)]
    return node.value
