"""Video analysis: header facts; shots, motion, quality and subject centre from frames.

Input: a video file. Output: :class:`VideoInfo` (header only, never decodes frames:
what the planner reads) and :class:`VideoAnalysis` (shot boundaries with their kind,
motion and shake per shot, and per-frame motion, quality and centre tracks).

The driver is fixed; the pieces are swappable: :mod:`.decode` (ffmpeg → small
yuv420p frames, streamed), :mod:`.features` (numba kernels per chunk, beside the
decoder), :mod:`.shots` (boundaries), :mod:`.tracks` (motion, shake, quality,
centre). Results are cached by content hash (:mod:`editspec.cache`).
See ``docs/video.md``.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from editspec.errors import MediaError

if TYPE_CHECKING:
    from editspec.analysis.video.features import FrameFeatures
    from editspec.analysis.video.moments import Moments
    from editspec.analysis.video.shots import ShotParams
    from editspec.analysis.video.tracks import Tracks

ANALYZER_VERSION = "video-0.7"
TRACK_FPS = 10
"""Rate of the tracks in the JSON form, per second."""

__all__ = ["ANALYZER_VERSION", "VideoAnalysis", "VideoInfo", "analyze_clips", "detect_shots",
           "probe_video"]


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """A clip's header facts."""

    path: str
    """The clip."""
    duration: float
    """Duration in seconds."""
    fps: Fraction
    """Frame rate."""
    width: int
    """Width in pixels (coded, before rotation)."""
    height: int
    """Height in pixels (coded, before rotation)."""
    has_audio: bool
    """Whether it has sound."""
    rotation: int = 0
    """Display rotation in degrees (90 and 270 swap width and height on screen)."""
    sar: Fraction = Fraction(1)
    """Sample (pixel) aspect ratio: the displayed width is ``width * sar``."""


def probe_video(path: str) -> VideoInfo:
    """Read a clip's header; no frames are decoded.

    Parameters
    ----------
    path : str
        The clip.

    Returns
    -------
    VideoInfo

    Raises
    ------
    MediaError
        When the file is missing, not media, truncated beyond reading, or has no
        video stream.
    """
    from editspec.media import probe

    try:
        info = probe(path)
    except MediaError:
        from editspec.analysis.video.decode import explain_unreadable

        why = explain_unreadable(path)
        if why is None:
            raise  # ffmpeg reads it: probe's own reason (a header it cannot use)
        raise MediaError(f"{path}: {why}") from None
    if not info.has_video:
        raise MediaError(f"{path}: has no video stream")
    if info.duration <= 0:
        raise MediaError(f"{path}: the header gives no duration")
    fps = info.fps if info.fps > 0 else Fraction(30)
    return VideoInfo(path, info.duration, fps, info.width, info.height, info.has_audio,
                     info.rotation, info.sar)


@dataclass(frozen=True, slots=True)
class VideoAnalysis:
    """Shots, motion, quality and subject centre of a clip."""

    path: str
    """The clip."""
    duration: float
    """Duration in seconds (from the header)."""
    fps: Fraction
    """Frame rate of the analysis (the clip's nominal rate); frame ``i`` is at ``i / fps`` s."""
    cuts: np.ndarray
    """float64 [shape=(n_cuts,)]: times in seconds at which a new shot starts."""
    motion: np.ndarray
    """float64 [shape=(n_cuts + 1,)]: mean frame difference per shot, 0..1."""
    frame_motion: np.ndarray
    """float32 [shape=(n_frames,)]: mean absolute difference to the previous frame, 0..1."""
    cut_frames: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    """int64 [shape=(n_cuts,)]: first frame of each new shot."""
    cut_kinds: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, "<U8"))
    """str [shape=(n_cuts,)]: ``cut``, ``fade`` or ``dissolve``."""
    transitions: np.ndarray = dataclasses.field(
        default_factory=lambda: np.zeros((0, 2), np.int64))
    """int64 [shape=(n_cuts, 2)]: first and last frame of each boundary's transition."""
    shot_camera: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    """float64 [shape=(n_cuts + 1,)]: mean camera speed per shot, frame widths per second."""
    shot_shake: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    """float64 [shape=(n_cuts + 1,)]: mean camera jitter per shot, frame widths per second."""
    shot_local: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    """float64 [shape=(n_cuts + 1,)]: mean motion apart from the camera per shot, 0..1."""
    usable: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 2)))
    """float64 [shape=(k, 2)]: [start, end) seconds not black, blurred or badly exposed."""
    tracks: Tracks | None = None
    """Per-frame tracks at ``fps`` (see :class:`~editspec.analysis.video.tracks.Tracks`)."""
    truncated: bool = False
    """True when the file broke off and was analyzed up to the break."""
    moments: Moments | None = None
    """Per-frame moment scores at ``fps`` (:class:`~editspec.analysis.video.moments.Moments`)."""
    size: tuple[int, int] = (0, 0)
    """Displayed width and height in pixels (rotation applied; 0 when unknown)."""

    @property
    def n_frames(self) -> int:
        """Frames analyzed."""
        return len(self.frame_motion)

    def to_dict(self, track_fps: int = TRACK_FPS) -> dict[str, Any]:
        """Return the JSON form of ``editspec shots --json``.

        Parameters
        ----------
        track_fps : int
            Rate of the ``tracks`` lists, per second (values averaged over each step).
        """
        from editspec.timecode import fps_to_json

        fps = float(self.fps)
        bounds = [0, *[int(c) for c in self.cut_frames], self.n_frames]
        shots = []
        for k in range(len(bounds) - 1):
            shots.append({
                "start": round(bounds[k] / fps, 4), "end": round(bounds[k + 1] / fps, 4),
                "motion": round(float(self.motion[k]), 5),
                "camera": round(float(self.shot_camera[k]), 4) if len(self.shot_camera) else 0.0,
                "shake": round(float(self.shot_shake[k]), 4) if len(self.shot_shake) else 0.0,
                "local_motion": (round(float(self.shot_local[k]), 5)
                                 if len(self.shot_local) else 0.0)})
        out: dict[str, Any] = {
            "version": 1, "analyzer": ANALYZER_VERSION, "path": self.path,
            "duration": round(self.duration, 6), "fps": fps_to_json(self.fps),
            "frames": self.n_frames, "truncated": self.truncated,
            "cuts": [round(float(c), 4) for c in self.cuts],
            "motion": [round(float(m), 5) for m in self.motion],
            "shots": shots,
            "transitions": [{"kind": str(kd), "cut": round(int(c) / fps, 4),
                             "start": round(int(s[0]) / fps, 4),
                             "end": round((int(s[1]) + 1) / fps, 4)}
                            for c, kd, s in zip(self.cut_frames, self.cut_kinds, self.transitions,
                                                strict=True)],
            "usable": [[round(float(a), 4), round(float(b), 4)] for a, b in self.usable]}
        if self.tracks is not None:
            out["tracks"] = _tracks_to_json(self.tracks, self.fps, track_fps)
        return out


def _tracks_to_json(tracks: Tracks, fps: Fraction, rate: int) -> dict[str, Any]:
    n = len(tracks.motion)
    step = float(fps) / rate
    edges = np.minimum(np.round(np.arange(0, n / step + 1) * step).astype(np.int64), n)
    edges = np.unique(edges)

    def binned(x: np.ndarray, nd: int = 4) -> list[float]:
        x = np.asarray(x, dtype=np.float64)
        return [round(float(x[a:b].mean()), nd) for a, b in itertools.pairwise(edges)
                if b > a]

    speed = np.hypot(tracks.camera[:, 0], tracks.camera[:, 1])
    return {"fps": rate, "motion": binned(tracks.motion, 5),
            "local_motion": binned(tracks.local, 5),
            "camera": binned(speed), "shake": binned(tracks.shake),
            "black": [v >= 0.5 for v in binned(tracks.black.astype(np.float64))],
            "sharpness": binned(tracks.sharpness), "exposure": binned(tracks.exposure),
            "centre_x": binned(tracks.centre[:, 0]), "centre_y": binned(tracks.centre[:, 1])}


def _analysis_from_features(path: str, info: VideoInfo, feat: FrameFeatures,
                            params: ShotParams) -> VideoAnalysis:
    from editspec.analysis.video.moments import compute_moments
    from editspec.analysis.video.shots import detect_boundaries, is_black
    from editspec.analysis.video.tracks import compute_tracks, per_shot_mean, runs, usable_frames

    fps = feat.geometry.fps
    b = detect_boundaries(feat, params)
    tr = compute_tracks(feat, b.cut_frames, is_black(feat, params))
    cf = b.cut_frames
    speed = np.hypot(tr.camera[:, 0], tr.camera[:, 1])
    good = runs(usable_frames(tr), max(1, round(0.5 * float(fps))))
    return VideoAnalysis(
        path=path, duration=info.duration, fps=fps, cuts=cf.astype(np.float64) / float(fps),
        motion=per_shot_mean(tr.motion, cf, skip_first=True), frame_motion=tr.motion,
        cut_frames=cf, cut_kinds=b.kinds, transitions=b.spans,
        shot_camera=per_shot_mean(speed, cf, skip_first=True),
        shot_shake=per_shot_mean(tr.shake, cf, skip_first=True),
        shot_local=per_shot_mean(tr.local, cf, skip_first=True),
        usable=good.astype(np.float64) / float(fps), tracks=tr, truncated=feat.truncated,
        moments=compute_moments(feat, tr, b.spans, cf), size=display_size(info))


def display_size(info: VideoInfo) -> tuple[int, int]:
    """Displayed (width, height): pixel aspect and rotation applied."""
    w = max(1, round(info.width * info.sar)) if info.width > 0 else 0
    if info.rotation % 180 == 90:
        return info.height, w
    return w, info.height


_ARRAY_FIELDS = ("cuts", "motion", "frame_motion", "cut_frames", "cut_kinds", "transitions",
                 "shot_camera", "shot_shake", "shot_local", "usable")


def _to_arrays(a: VideoAnalysis) -> dict[str, np.ndarray]:
    out = {k: np.asarray(getattr(a, k)) for k in _ARRAY_FIELDS}
    out["fps"] = np.array([a.fps.numerator, a.fps.denominator], dtype=np.int64)
    out["truncated"] = np.array(a.truncated)
    if a.tracks is not None:
        for f in dataclasses.fields(a.tracks):
            out["tracks." + f.name] = np.asarray(getattr(a.tracks, f.name))
    if a.moments is not None:
        for f in dataclasses.fields(a.moments):
            out["moments." + f.name] = np.asarray(getattr(a.moments, f.name))
    return out


def _from_arrays(path: str, info: VideoInfo, d: dict[str, np.ndarray]) -> VideoAnalysis:
    from editspec.analysis.video.moments import Moments
    from editspec.analysis.video.tracks import Tracks

    tracks = Tracks(**{f.name: d["tracks." + f.name] for f in dataclasses.fields(Tracks)})
    moments = Moments(**{f.name: d["moments." + f.name] for f in dataclasses.fields(Moments)})
    fps = Fraction(int(d["fps"][0]), int(d["fps"][1]))
    return VideoAnalysis(path=path, duration=info.duration, fps=fps, tracks=tracks,
                         moments=moments, size=display_size(info),
                         truncated=bool(d["truncated"]), **{k: d[k] for k in _ARRAY_FIELDS})


def detect_shots(path: str, *, params: ShotParams | None = None, use_cache: bool = True,
                 progress: bool | None = None, threads: int = 0,
                 features: FrameFeatures | None = None) -> VideoAnalysis:
    """Find a clip's shots (hard cuts, fades, dissolves) and measure motion, quality, centre.

    Parameters
    ----------
    path : str
        Video file (any container and codec ffmpeg reads).
    params : ShotParams, optional
        Detection thresholds (defaults suit most footage).
    use_cache : bool
        Read and write the content-hash cache.
    progress : bool or None
        Progress bar on stderr; None shows one for clips over a minute on a terminal.
    threads : int
        Decoder threads (0: ffmpeg's choice).
    features : FrameFeatures, optional
        Per-frame features already extracted (skips decoding and the cache).

    Returns
    -------
    VideoAnalysis

    Raises
    ------
    MediaError
        When the file is missing, not video, has no video stream or decodes no frame.

    Examples
    --------
    >>> a = detect_shots("clip.mp4")  # doctest: +SKIP
    >>> a.cuts, a.motion  # doctest: +SKIP
    """
    from editspec import cache
    from editspec.analysis.video.decode import FrameGeometry, analysis_rate, analysis_size
    from editspec.analysis.video.features import extract_features
    from editspec.analysis.video.shots import ShotParams

    params = params or ShotParams()
    info = probe_video(path)
    if features is not None:
        return _analysis_from_features(path, info, features, params)
    w, h = analysis_size(info.width, info.height, info.rotation)
    fps = analysis_rate(path, info.fps)
    key = None
    if use_cache:
        key = cache.cache_key("video", path, ANALYZER_VERSION,
                              {"size": [w, h], "fps": str(fps), **dataclasses.asdict(params)})
        hit = cache.load(key)
        if hit is not None:
            try:
                return _from_arrays(path, info, hit)
            except (KeyError, ValueError, TypeError):
                pass
    geometry = FrameGeometry(w, h, fps)
    expected = round(info.duration * float(fps))
    feat = extract_features(path, geometry, expected_frames=expected, threads=threads,
                            progress=progress)
    result = _analysis_from_features(path, info, feat, params)
    if key is not None:
        cache.save(key, _to_arrays(result))
    return result


def analyze_clips(paths: Sequence[str], *, workers: int | None = None, use_cache: bool = True,
                  progress: bool | None = None,
                  params: ShotParams | None = None) -> list[VideoAnalysis]:
    """Analyze a pool of clips in parallel, results in the order of ``paths``.

    Each clip runs its own ffmpeg decoder; the numba kernels release the GIL, so a
    thread pool keeps ``workers`` clips going at once, and each decoder gets its share
    of the CPU cores as threads.

    Parameters
    ----------
    paths : sequence of str
        The clips.
    workers : int, optional
        Clips analyzed at once (default: the number of CPU cores, at most ``len(paths)``).
    use_cache : bool
        Read and write the content-hash cache.
    progress : bool or None
        One progress bar over the clips on stderr; None shows it on a terminal for
        more than one clip.
    params : ShotParams, optional
        Detection thresholds.

    Returns
    -------
    list of VideoAnalysis

    Raises
    ------
    MediaError
        For the first clip (in ``paths`` order) that cannot be analyzed.
    """
    import sys
    from concurrent.futures import ThreadPoolExecutor

    paths = list(paths)
    if not paths:
        return []
    cores = os.cpu_count() or 1
    workers = max(1, min(workers or cores, len(paths)))
    threads = max(1, cores // workers)
    if progress is None:
        progress = sys.stderr.isatty() and len(paths) > 1
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(paths), unit="clip", file=sys.stderr, leave=False)

    def one(p: str) -> VideoAnalysis | MediaError:
        try:
            return detect_shots(p, params=params, use_cache=use_cache, progress=False,
                                threads=threads)
        except MediaError as exc:
            return exc
        finally:
            if bar is not None:
                bar.update(1)

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(one, paths))
    finally:
        if bar is not None:
            bar.close()
    for r in results:
        if isinstance(r, MediaError):
            raise r
    return [r for r in results if isinstance(r, VideoAnalysis)]
