"""What an ffmpeg binary can do: version, filters and their options, encoders, CLI options.

Users run editspec with the ffmpeg they have (4.4 on Ubuntu 22.04, 5.1 on Debian 12,
6.x, 7.x, or the static build in the imageio-ffmpeg wheel), and each lacks something
the next has: ``-fps_mode`` (5.1+), ``amix normalize`` and ``alimiter latency`` (5.0+),
``ebur128 framelog=quiet`` (7.x), ``drawtext text_align`` (7.1+), ``-/filter_complex``
(7.0+), while 8.x dropped ``-vsync`` and ``-filter_complex_script``. :func:`probe_binary`
asks the binary itself (``-version``, ``-filters``, ``-encoders``, ``-h full`` for the
options of every filter editspec uses, and one tiny run for ``-/filter_complex``: five
processes, 0.1-0.3 s for a static build, a few seconds for a distribution's shared one)
and caches the answer as JSON in ``$EDITSPEC_CACHE/ffmpeg-caps``, keyed on the binary's
path, size and mtime. :func:`command_needs` lists what a compiled command asks of a
binary (filters, option names, named option values, encoders, command-line options);
:meth:`Capabilities.missing` names what a binary lacks. The choice of binary is in
:mod:`editspec.media`; the graph's adaptations are in :mod:`editspec.backends.ffmpeg`.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import logging
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

CAPS_VERSION = 3
"""Version of the cached JSON (a bump re-probes every binary)."""

FILTERS = ("adelay", "aformat", "afade", "alimiter", "amix", "anull", "anullsrc", "apad",
           "aresample", "asetpts", "atempo", "atrim", "boxblur", "concat", "crop", "drawbox",
           "drawtext", "ebur128", "fade", "format", "fps", "hflip", "loudnorm", "movie",
           "null", "overlay", "pad", "scale", "setparams", "setpts", "setsar", "settb",
           "split", "tpad", "transpose", "trim", "vflip", "volume", "xfade", "zoompan")
"""Filters whose options are recorded (from ``ffmpeg -h full``)."""

_GENERIC_OPTIONS = frozenset({"enable", "threads"})
"""Options every filter takes (timeline ``enable``), not listed among its own."""

_CHECKED_TYPES = ("int", "flags", "int64")
"""Option types whose named values (constants) are checked against the binary's list."""


@dataclass(frozen=True, slots=True)
class Need:
    """One thing a command asks of an ffmpeg binary."""

    kind: str
    """``filter``, ``option`` (a filter option), ``value`` (a named option value),
    ``encoder`` or ``cli`` (a command-line option)."""
    name: str
    """Filter, encoder or command-line option name (``xfade``, ``libx264``, ``-fps_mode``)."""
    option: str = ""
    """The filter option (``option`` and ``value``)."""
    value: str = ""
    """The named value (``value``)."""

    def describe(self) -> str:
        """Return the need in words: ``filter xfade``, ``amix option normalize`` ..."""
        if self.kind == "filter":
            return f"filter {self.name}"
        if self.kind == "option":
            return f"{self.name} option {self.option}"
        if self.kind == "value":
            return f"{self.name} {self.option}={self.value}"
        if self.kind == "encoder":
            return f"encoder {self.name}"
        return f"option {self.name}"


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What one ffmpeg binary can do (from the binary itself, see :func:`probe_binary`)."""

    path: str
    """The binary."""
    version: str
    """Its version string (``5.1.9-0+deb12u1``, ``7.0.2-static``, ``N-59765-gb236ef0a59``)."""
    libavfilter: tuple[int, int, int]
    """libavfilter's version (orders git builds, whose version string has no release)."""
    filters: frozenset[str]
    """Every filter the binary has."""
    options: Mapping[str, Mapping[str, tuple[str, tuple[str, ...]]]]
    """Filter → option → (type, named values) for the filters in :data:`FILTERS` it has."""
    encoders: frozenset[str]
    """Every encoder the binary has."""
    cli: frozenset[str]
    """Command-line options of ``ffmpeg -h long`` (``-fps_mode``, ``-vsync`` ...)."""
    script_option: str | None
    """How to read a filtergraph from a file: ``-/filter_complex`` (7.0+),
    ``-filter_complex_script`` (before 8.0), or None."""
    features: tuple[str, ...] = field(default=())
    """Notable features present, for ``editspec doctor``."""

    @property
    def release(self) -> tuple[int, int] | None:
        """(major, minor) of a release build, None for a git snapshot."""
        m = re.match(r"n?(\d+)\.(\d+)", self.version)
        return (int(m.group(1)), int(m.group(2))) if m else None

    @property
    def setpts_forgets_rate(self) -> bool:
        """True for 7.0's libavfilter 10, whose ``setpts`` leaves its output's frame rate
        unknown (1/0), which ``xfade`` refuses: an ``fps`` after it restores the rate."""
        return self.libavfilter[0] == 10

    @property
    def frame_limit_cuts_sound(self) -> bool:
        """True before 7.0 (libavfilter 10): ``-frames:v N`` ends the whole output when the
        picture has N frames, dropping the last 20-40 ms of sound still queued behind it."""
        return self.libavfilter[0] < 10

    def has(self, need: Need) -> bool:
        """True when the binary has what ``need`` asks."""
        if need.kind == "encoder":
            return need.name in self.encoders
        if need.kind == "cli":
            return need.name in self.cli
        if need.name not in self.filters:
            return False
        if need.kind == "filter":
            return True
        opts = self.options.get(need.name)
        if opts is None:  # not probed: the filter is there, its options unknown
            return True
        if need.option not in opts:
            return False
        if need.kind == "option":
            return True
        kind, values = opts[need.option]
        return kind not in _CHECKED_TYPES or not values or need.value in values

    def has_option(self, filter_name: str, option: str) -> bool:
        """True when ``filter_name`` has option ``option``."""
        return self.has(Need("option", filter_name, option))

    def missing(self, needs: Iterable[Need]) -> list[Need]:
        """Return the needs this binary lacks, in a stable order."""
        lacks = {n for n in needs if not self.has(n)}
        # an option of a filter it lacks, a value of an option it lacks: the larger says it
        lacks = {n for n in lacks if n.kind not in ("option", "value")
                 or (n.name in self.filters
                     and (n.kind == "option" or Need("option", n.name, n.option) not in lacks))}
        return sorted(lacks, key=lambda n: (n.kind, n.name, n.option, n.value))

    def fps_mode_args(self, mode: str) -> list[str]:
        """``-fps_mode MODE`` (5.1+), else ``-vsync MODE`` (older binaries)."""
        if "-fps_mode" in self.cli or "-vsync" not in self.cli:
            return ["-fps_mode", mode]
        return ["-vsync", mode]


NEWEST = Capabilities(path="ffmpeg", version="newest", libavfilter=(99, 0, 0),
                      filters=frozenset(FILTERS), options={},
                      encoders=frozenset(), cli=frozenset({"-fps_mode"}),
                      script_option="-/filter_complex")
"""A binary that has everything (what a pure compile assumes when told nothing)."""


def base_needs() -> list[Need]:
    """What every render asks of ffmpeg (after the adaptations the compile step makes).

    A binary on PATH that lacks any of these is passed over for the bundled one.
    """
    needs = [Need("filter", f) for f in ("xfade", "zoompan", "tpad", "fps", "concat", "scale",
                                           "crop", "pad", "setparams", "loudnorm", "ebur128",
                                           "alimiter", "amix", "apad", "adelay", "atrim")]
    needs += [Need("option", "fps", "round"), Need("value", "fps", "round", "up"),
              Need("option", "fps", "eof_action"), Need("option", "tpad", "stop_mode"),
              Need("option", "apad", "whole_dur"), Need("option", "adelay", "all"),
              Need("option", "scale", "out_range"), Need("option", "setparams", "colorspace"),
              Need("option", "scale", "in_color_matrix"),
              Need("option", "scale", "out_color_matrix"),
              Need("value", "xfade", "transition", "fade"),
              Need("encoder", "libx264"), Need("encoder", "aac")]
    return needs


OPTIONAL = (Need("option", "amix", "normalize"), Need("option", "alimiter", "latency"),
            Need("value", "ebur128", "framelog", "quiet"), Need("cli", "-fps_mode"),
            Need("option", "drawtext", "text_align"), Need("filter", "drawtext"),
            Need("encoder", "libx265"), Need("encoder", "libvpx-vp9"),
            Need("encoder", "libsvtav1"), Need("encoder", "libopus"))
"""Features ``editspec doctor`` reports on (adapted for, or needed by some renders only)."""


# --------------------------------------------------------------------------- probing


def _run(path: str, *args: str, timeout: float = 60) -> str:
    proc = subprocess.run([path, "-hide_banner", *args], capture_output=True, text=True,
                          errors="replace", timeout=timeout, stdin=subprocess.DEVNULL)
    return proc.stdout + proc.stderr


def parse_option_sections(text: str) -> dict[str, dict[str, tuple[str, tuple[str, ...]]]]:
    """Parse the ``NAME AVOptions:`` sections of ``ffmpeg -h full`` (or ``-h filter=NAME``).

    Returns section name → option → (type, named values). Options are the indented
    lines with a ``<type>``; the more indented lines under one are its named values. A
    section shared by two filters, ``(a)split`` or ``(no)format``, is filed under both
    names; 9.x writes list options as ``[<type>]``.
    """
    sections: dict[str, dict[str, tuple[str, list[str]]]] = {}
    options: dict[str, tuple[str, list[str]]] | None = None
    current: str | None = None
    indent = 0
    for line in text.splitlines():
        head = re.match(r"^(\S.*) AVOptions:$", line)
        if head:
            name = head.group(1)
            pm = re.fullmatch(r"\((\w+)\)(\w+)", name)
            names = [pm.group(2), pm.group(1) + pm.group(2)] if pm else [name]
            options = {}
            for n in names:
                options = sections.setdefault(n, options)
            current = None
            continue
        if options is None or not line.strip():
            continue
        if not line.startswith(" "):
            options = None
            continue
        m = re.match(r"^(\s+)(\S+)\s+\[?<([\w ]+)>", line)
        if m:
            current, indent = m.group(2), len(m.group(1))
            options.setdefault(current, (m.group(3), []))
            continue
        c = re.match(r"^(\s+)(\S+)\s", line)
        if c and current is not None and len(c.group(1)) > indent:
            options[current][1].append(c.group(2))
    return {s_: {k: (t, tuple(v)) for k, (t, v) in o.items()} for s_, o in sections.items()}


def _probe(path: str) -> Capabilities:
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        version_f = pool.submit(_run, path, "-version")
        filters_f = pool.submit(_run, path, "-filters")
        encoders_f = pool.submit(_run, path, "-encoders")
        full_f = pool.submit(_run, path, "-h", "full")
        script_f = pool.submit(_script_works, path)
        text = version_f.result()
        m = re.search(r"ffmpeg version (\S+)", text)
        if not m:
            from editspec.errors import MediaError

            said = text.strip().splitlines()[0][:120] if text.strip() else "nothing"
            raise MediaError(f"{path}: not an ffmpeg binary (`{path} -version` says {said!r})")
        version = m.group(1)
        lm = re.search(r"libavfilter\s+(\d+)\.\s*(\d+)\.\s*(\d+)", text)
        libavfilter = (int(lm.group(1)), int(lm.group(2)), int(lm.group(3))) if lm else (0, 0, 0)
        filters = frozenset(re.findall(r"^\s*[T.][S.][C.]?\s+(\w+)\s+\S+->\S+",
                                       filters_f.result(), re.M))
        full = full_f.result()
        sections = parse_option_sections(full)
        options = {f: sections[f] for f in FILTERS if f in filters and f in sections}
        encoders = frozenset(re.findall(r"^\s*[VAS][.A-Z]{5}\s+(\S+)", encoders_f.result(), re.M))
        cli = frozenset(re.findall(r"^(-[\w/]+)", full, re.M))
        script = "-/filter_complex" if script_f.result() else (
            "-filter_complex_script" if "-filter_complex_script" in cli else None)
    caps = Capabilities(path=path, version=version, libavfilter=libavfilter, filters=filters,
                        options=options, encoders=encoders, cli=cli, script_option=script)
    present = tuple(n.describe() for n in OPTIONAL if caps.has(n))
    return Capabilities(path=path, version=version, libavfilter=libavfilter, filters=filters,
                        options=options, encoders=encoders, cli=cli, script_option=script,
                        features=present)


def _script_works(path: str) -> bool:
    """True when ``-/filter_complex FILE`` reads a filtergraph from FILE (7.0+)."""
    fd, script = tempfile.mkstemp(prefix="editspec-probe-", suffix=".txt")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write("[0:v]null[o]")
        proc = subprocess.run([path, "-hide_banner", "-nostdin", "-loglevel", "error", "-f",
                               "lavfi", "-i", "nullsrc=s=16x16:d=0.04", "-/filter_complex",
                               script, "-map", "[o]", "-f", "null", "-"],
                              capture_output=True, timeout=60)
        return proc.returncode == 0
    finally:
        os.unlink(script)


def cache_root() -> str:
    """The editspec cache folder, as :func:`editspec.cache.cache_dir` says it.

    Repeated here so that choosing ffmpeg (``validate`` probes headers) never imports
    the analysis package; a test keeps the two equal.
    """
    explicit = os.environ.get("EDITSPEC_CACHE")
    if explicit:
        return explicit
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = xdg if os.path.isabs(xdg) else os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "editspec")


def _cache_file(path: str) -> str:
    digest = hashlib.blake2b(path.encode(), digest_size=10).hexdigest()
    return os.path.join(cache_root(), "ffmpeg-caps", f"{digest}.json")


def _stamp(path: str) -> list[int]:
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns]


def caps_to_dict(caps: Capabilities) -> dict[str, object]:
    """Return the capabilities as JSON-ready data."""
    return {"path": caps.path, "version": caps.version, "libavfilter": list(caps.libavfilter),
            "filters": sorted(caps.filters),
            "options": {f: {o: [t, list(v)] for o, (t, v) in opts.items()}
                        for f, opts in caps.options.items()},
            "encoders": sorted(caps.encoders), "cli": sorted(caps.cli),
            "script_option": caps.script_option, "features": list(caps.features)}


def caps_from_dict(data: Mapping[str, object]) -> Capabilities:
    """Inverse of :func:`caps_to_dict`."""
    opts = data["options"]
    assert isinstance(opts, dict)
    return Capabilities(
        path=str(data["path"]), version=str(data["version"]),
        libavfilter=tuple(data["libavfilter"]),  # type: ignore[arg-type]
        filters=frozenset(data["filters"]),  # type: ignore[arg-type]
        options={f: {o: (t, tuple(v)) for o, (t, v) in o_.items()} for f, o_ in opts.items()},
        encoders=frozenset(data["encoders"]),  # type: ignore[arg-type]
        cli=frozenset(data["cli"]),  # type: ignore[arg-type]
        script_option=data["script_option"],  # type: ignore[arg-type]
        features=tuple(data.get("features", ())))  # type: ignore[arg-type]


def probe_binary(path: str) -> Capabilities:
    """Return what the ffmpeg at ``path`` can do, from the cache when the binary is unchanged.

    Parameters
    ----------
    path : str
        An ffmpeg binary (absolute path).

    Returns
    -------
    Capabilities

    Raises
    ------
    MediaError
        When ``path`` does not run as ffmpeg.
    """
    stamp = _stamp(path)
    cache = _cache_file(path)
    try:
        with open(cache, encoding="utf-8") as fh:
            data = json.load(fh)
        if data.get("caps_version") == CAPS_VERSION and data.get("stamp") == stamp \
                and data.get("path") == path:
            return caps_from_dict(data)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    caps = _probe(path)
    log.debug("probed %s: ffmpeg %s", path, caps.version)
    try:
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(cache), prefix=".caps-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"caps_version": CAPS_VERSION, "stamp": stamp, **caps_to_dict(caps)}, fh)
        os.replace(tmp, cache)
    except OSError as exc:
        log.warning("could not cache what %s can do: %s", path, exc)
    return caps


# --------------------------------------------------------------------------- needs


def _split_unescaped(text: str, seps: str) -> list[str]:
    """Split at ``seps`` outside single quotes and not after a backslash (text kept raw)."""
    parts, cur, quoted, i = [], [], False, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            cur.append(text[i:i + 2])
            i += 2
            continue
        if ch == "'":
            quoted = not quoted
        elif ch in seps and not quoted:
            parts.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return parts


def _unescape(text: str) -> str:
    """Undo one level of ffmpeg escaping (backslashes and single quotes)."""
    out, quoted, i = [], False, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and not quoted:
            out.append(text[i + 1])
            i += 2
            continue
        if ch == "'":
            quoted = not quoted
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def parse_filtergraph(graph: str) -> list[tuple[str, dict[str, str]]]:
    """Return (filter name, {option: value}) of every filter of a filtergraph text.

    Positional arguments are left out (they name no option). Escaping is undone as
    libavfilter does: the graph level, then the option level.
    """
    out = []
    for chain in _split_unescaped(graph, ";"):
        for spec in _split_unescaped(chain, ","):
            spec = spec.strip()
            spec = re.sub(r"^(\s*\[[^\]]*\])+", "", spec)
            spec = re.sub(r"(\[[^\]]*\]\s*)+$", "", spec).strip()
            if not spec:
                continue
            name, _, args = spec.partition("=")
            name = name.strip().split("@")[0]
            opts: dict[str, str] = {}
            if args:
                for item in _split_unescaped(_unescape(args), ":"):
                    key, eq, value = item.partition("=")
                    if eq and re.fullmatch(r"[A-Za-z_][\w]*", key):
                        opts[key] = _unescape(value)
            out.append((name, opts))
    return out


def command_needs(argv: Sequence[str], graph: str = "",
                  caps: Capabilities | None = None) -> set[Need]:
    """What a compiled command asks of a binary: filters, options, values, encoders, CLI.

    Parameters
    ----------
    argv : sequence of str
        The arguments after the binary.
    graph : str
        The filtergraph text of the command (``-filter_complex``).
    caps : Capabilities, optional
        When given, named values are checked only for options whose type takes them.
    """
    needs: set[Need] = set()
    for name, opts in parse_filtergraph(graph):
        needs.add(Need("filter", name))
        for key, value in opts.items():
            if key in _GENERIC_OPTIONS:
                continue
            needs.add(Need("option", name, key))
            if re.fullmatch(r"[A-Za-z_][\w]*(?:\+[A-Za-z_]\w*)*", value):
                for v in value.split("+"):
                    needs.add(Need("value", name, key, v))
    for i, a in enumerate(argv[:-1]):
        if re.fullmatch(r"-(c|codec)(:[av](:\d+)?)?", a) and argv[i + 1] != "copy":
            needs.add(Need("encoder", argv[i + 1]))
        elif a in ("-fps_mode", "-vsync", "-filter_complex_script"):
            needs.add(Need("cli", a))
    return needs
