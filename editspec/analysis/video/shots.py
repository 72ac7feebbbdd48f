"""Shot boundaries from per-frame features: hard cuts, fades through black, dissolves.

Input: :class:`~editspec.analysis.video.features.FrameFeatures`. Output: the frames
where new shots start and the gradual transitions around them.

- **Hard cuts.** A frame's score is its YUV histogram distance to the previous frame
  plus twice its motion-compensated residual (so a pan, which shifts the picture but
  keeps its colours, scores low). A cut is a local maximum above an absolute floor
  and ``hard_ratio`` times the median score of the surrounding ``window_s``
  (an adaptive threshold in the manner of PySceneDetect's AdaptiveDetector). Next to
  heavy motion, where that median is high, a cut also stands when the mini frames show
  a break: a jump several times its neighbours' steps that does not continue their
  motion. A candidate whose picture comes back within ``flash_s``, abruptly or after
  brighter frames (a camera flash), is no cut; one that comes back gradually is a shot
  jumping back in time, a cut.
- **Fades through black.** A short run of black frames between two non-black
  stretches is one transition, cut at the run's middle.
- **Dissolves.** Each frame is fitted as a blend of the frames ``gradual_k_s``
  before and after it (:func:`~editspec.analysis._video_kernels.blend_fit`), and again
  with the shorter ``gradual_short_k_s`` for short dissolves between moving shots. Over a
  dissolve the fit is good while the two ends differ a lot, and the total change
  along the way is no more than the net change; motion fails one of the two. Where
  the shots around move as much as the dissolve changes, the blend weight must fall in
  a straight line through the middle (motion makes it wander), or the blend must fit
  the frame far better than either end alone. The cut is where the weight crosses 0.5.

Twin-comparison (Zhang, Kankanhalli, Smoliar 1993) and the variance/blend models of
gradual transitions (Alattar 1993; Lienhart 2001) are the ancestors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from editspec.analysis.video.features import FrameFeatures


@dataclass(frozen=True, slots=True)
class ShotParams:
    """Thresholds of shot detection (part of the cache key)."""

    hard_min: float = 0.08
    """Smallest hard-cut score (histogram distance + 2 x residual, about 0..1.5)."""
    hard_ratio: float = 3.0
    """A hard cut scores this many times the median around it ..."""
    hard_margin: float = 0.04
    """... plus this."""
    hard_min_jump: float = 3.0
    """... and its picture changes by at least this (mean absolute difference, 0..255)."""
    isolation: float = 2.0
    """... and this many times both its neighbours (or the pair's outer neighbours)."""
    hard_over_dissolve: float = 0.5
    """A hard cut scoring this much inside a dissolve's span wins over the dissolve."""
    break_min_jump: float = 6.0
    """A cut next to heavy motion: its mini-frame jump (0..255) is at least this ..."""
    break_ratio: float = 2.5
    """... this many times the steps just before and after it ..."""
    break_growth: float = 1.3
    """... one frame further on either side is at most this much further away ..."""
    break_min_residual: float = 0.25
    """... and the motion-compensated residual is at least this fraction of the jump."""
    window_s: float = 0.5
    """Half-width of the adaptive window, seconds."""
    flash_s: float = 0.3
    """Longest flash (picture that comes back), seconds."""
    gradual_k_s: float = 0.5
    """Reach of the blend fit on each side, seconds."""
    gradual_short_k_s: float = 0.2
    """A second, shorter reach for short dissolves (6 to 10 frames, common in music videos)
    between moving shots: over 0.5 s the shots' own motion spoils the blend fit."""
    gradual_min_change: float = 12.0
    """Least net change (0..255 mean absolute difference) across a dissolve."""
    gradual_max_residual: float = 0.5
    """Largest blend-fit residual, as a fraction of the net change."""
    gradual_max_variation: float = 4.0
    """Largest total variation along the way, as a multiple of the net change."""
    gradual_peak: float = 1.6
    """The net change across a dissolve is this many times that within the shots around it,
    or the blend weight falls in a straight line with a close fit:"""
    gradual_ramp_span: float = 4.0
    """... falling at least 1 / (this x k) a frame ..."""
    gradual_ramp_r2: float = 0.95
    """... as straight as this (R² of a line over the middle third of 2k) ..."""
    gradual_ramp_residual: float = 0.4
    """... with a blend-fit residual of at most this fraction of the net change, or:"""
    gradual_blend_gain: float = 1.7
    """... the blend fits this many times better than the nearer end alone (residual
    against the distance to the nearer end), with a blend weight between 0.2 and 0.8:
    under motion the two are about equal (95 % of frames below 1.35 on the joined real
    footage of bench/shots.py, seed 0), inside a dissolve the blend explains the frame ...
    """
    gradual_blend_side: float = 1.5
    """... while in the shots on either side (frames ``k`` to ``2 k`` away, median) it
    does not (below this): a steady change (a slow gradient, a zoom) is a blend everywhere."""
    black_mean: float = 26.0
    """A black frame's mean luma is at most this (video black is 16) ..."""
    black_std: float = 10.0
    """... and its luma standard deviation at most this."""
    fade_max_black_s: float = 3.0
    """Longest run of black frames counted as a fade transition, seconds."""
    min_shot_s: float = 0.2
    """Two boundaries closer than this keep only the stronger one."""


@dataclass(frozen=True, slots=True)
class Boundaries:
    """Where shots start, and how."""

    cut_frames: np.ndarray
    """int64 [shape=(n_cuts,)]: the first frame of each new shot."""
    kinds: np.ndarray
    """str [shape=(n_cuts,)]: ``cut``, ``fade`` or ``dissolve``."""
    spans: np.ndarray
    """int64 [shape=(n_cuts, 2)]: first and last frame of each transition (equal for cuts)."""
    score: np.ndarray
    """float32 [shape=(n_frames,)]: the hard-cut score per frame."""


def hard_cut_score(feat: FrameFeatures) -> np.ndarray:
    """Return the per-frame hard-cut score: histogram distance + 2 x residual / 255."""
    return (feat.hist_dist + 2.0 * feat.motion[:, 3] / 255.0).astype(np.float32)


def is_black(feat: FrameFeatures, params: ShotParams = ShotParams()) -> np.ndarray:
    """Return a bool per frame: the picture is (near) black."""
    return (feat.luma[:, 0] <= params.black_mean) & (feat.luma[:, 1] <= params.black_std)


def detect_hard_cuts(feat: FrameFeatures, params: ShotParams = ShotParams(),
                     score: np.ndarray | None = None) -> np.ndarray:
    """Return the first frames of new shots after hard cuts (int64, sorted)."""
    from editspec.analysis._video_kernels import mini_distance

    full = hard_cut_score(feat) if score is None else score
    # a lone frame repeated by the constant-rate resampling carries no change: leave it out
    still = feat.motion[:, 2] <= 0.05
    lone = still & ~np.concatenate([[True], still[:-1]]) & ~np.concatenate([still[1:], [True]])
    keep = np.flatnonzero(~lone)
    s = full[keep]
    n = len(s)
    fps = float(feat.geometry.fps)
    w = max(2, round(params.window_s * fps))
    flash = max(2, round(params.flash_s * fps))
    mini = feat.mini[keep]
    residual = feat.motion[keep, 3]
    out = []
    for i in np.flatnonzero(s >= params.hard_min):
        if i == 0 or s[i] < s[max(0, i - 2):i + 3].max():
            continue
        # a cut stands alone (or, when one frame mixes both shots, as a pair of frames);
        # a burst of fast motion does not
        before = s[i - 1]
        after = s[i + 1] if i + 1 < n else 0.0
        if s[i] < params.isolation * max(before, after):
            pair = (i + 1, after) if after >= before else (i - 1, before)
            lo, hi = min(i, pair[0]), max(i, pair[0])
            outside = max(s[lo - 1] if lo >= 1 else 0.0, s[hi + 1] if hi + 1 < n else 0.0)
            if min(s[i], pair[1]) < params.isolation * 1.5 * outside:
                continue
        around = np.concatenate([s[max(1, i - w):i], s[i + 1:i + w + 1]])
        base = float(np.median(around)) if len(around) else 0.0
        jump = mini_distance(mini[i - 1], mini[i])
        if jump < params.hard_min_jump:  # the same picture, brighter or darker
            continue
        if s[i] < params.hard_ratio * base + params.hard_margin and not _is_discontinuity(
                mini, residual, i, jump, params):
            continue
        if not _is_flash(mini, feat.luma[keep, 0], i, jump, flash):
            out.append(int(keep[i]))
    return np.array(out, dtype=np.int64)


def _is_discontinuity(mini: np.ndarray, residual: np.ndarray, i: int, jump: float,
                      params: ShotParams) -> bool:
    """Whether the change into frame ``i`` is a break, not a step of continuing motion.

    Next to a shot full of motion the median test rejects a cut (the surrounding scores
    are high). A cut still stands out on the mini frames: the jump is large and several
    times each neighbour's own step (AdaptiveDetector's ratio, Castellano 2022), and it does
    not continue the motion around it: motion adds up (frame ``i - 2`` is much further
    from ``i`` than ``i - 1`` is; ``i + 1`` much further from ``i - 1`` than ``i`` is)
    while a cut's two sides are equally far from each other. And the camera moving does
    not explain it (a shaking camera's steps come and go without adding up).
    """
    from editspec.analysis._video_kernels import mini_distance

    n = mini.shape[0]
    if jump < params.break_min_jump or i < 2 or i + 1 >= n:
        return False
    if residual[i] < params.break_min_residual * jump:
        return False
    before = mini_distance(mini[i - 2], mini[i - 1])
    after = mini_distance(mini[i], mini[i + 1])
    if jump < params.break_ratio * max(before, after):
        return False
    grown = max(mini_distance(mini[i - 2], mini[i]), mini_distance(mini[i - 1], mini[i + 1]))
    return grown <= params.break_growth * jump


def _is_flash(mini: np.ndarray, luma: np.ndarray, i: int, jump: float, reach: int) -> bool:
    """Whether the change into frame ``i`` starts or ends a flash, not a cut.

    A flash is an excursion: the picture before it comes back within ``reach`` frames,
    and it comes back abruptly (the frame before the return is far from it) or the
    frames away are brighter (a flash fading out). A shot that jumps back a little in
    time also comes back to a picture seen just before, but gradually, as the shot
    plays on: that is a cut.
    """
    from editspec.analysis._video_kernels import mini_distance

    n = mini.shape[0]
    close = 0.4 * jump

    def excursion(ref: int, first: int, last: int) -> bool:
        # frames first..last differ from ref: abruptly entered and left, or brighter
        bright = float(luma[first:last + 1].min()) >= float(luma[ref]) + 10.0
        return bright or mini_distance(mini[last], mini[ref]) >= jump - close

    for j in range(i + 1, min(n, i + reach + 1)):  # the old picture returns: flash start
        if mini_distance(mini[i - 1], mini[j]) < close and excursion(i - 1, i, j - 1):
            return True
    for j in range(max(0, i - 1 - reach), i - 1):  # the picture before a flash returns
        if mini_distance(mini[j], mini[i]) < close and excursion(i, j + 1, i - 1) and \
                mini_distance(mini[j], mini[j + 1]) >= jump - close:
            return True
    return False


def detect_fades(feat: FrameFeatures, params: ShotParams = ShotParams()
                 ) -> list[tuple[int, int, int]]:
    """Return fades through black as (first frame, cut frame, last frame); the cut is the middle.

    A fade is a short run of black frames inside the clip with the luma ramping down
    into it or up out of it; a black run entered and left by hard cuts is no fade
    (the hard cuts stand).
    """
    black = is_black(feat, params)
    lum = feat.luma[:, 0]
    n = len(black)
    fps = float(feat.geometry.fps)
    out = []
    i = 0
    while i < n:
        if not black[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and black[j + 1]:
            j += 1
        if i > 0 and j < n - 1 and (j - i + 1) <= params.fade_max_black_s * fps:
            a = i
            while a > 0 and lum[a - 1] > lum[a] + 0.5 and not black[a - 1]:
                a -= 1
            b = j
            while b < n - 1 and lum[b + 1] > lum[b] + 0.5:
                b += 1
            if (i - a) + (b - j) >= 3:  # a ramp, not two hard cuts
                out.append((a, (a + b + 1) // 2, b))
        i = j + 1
    return out


def detect_dissolves(feat: FrameFeatures, params: ShotParams = ShotParams(),
                     fit: np.ndarray | None = None, reach_s: float | None = None
                     ) -> list[tuple[int, int, int]]:
    """Return dissolves as (first frame, cut frame, last frame), fitting each frame as a
    blend of the frames ``reach_s`` (default ``params.gradual_k_s``) before and after."""
    from editspec.analysis._video_kernels import blend_fit

    n = feat.n_frames
    fps = float(feat.geometry.fps)
    k = max(2, round((params.gradual_k_s if reach_s is None else reach_s) * fps))
    if n < 2 * k + 1:
        return []
    mini = feat.mini
    fit = blend_fit(mini, k) if fit is None else fit
    step = np.abs(np.diff(mini.astype(np.int16), axis=0)).mean(axis=1)
    tv = np.concatenate([[0.0], np.cumsum(step)])  # tv[b] - tv[a] = variation from a to b
    t = np.arange(n)
    a = np.clip(t - k, 0, n - 1)
    b = np.clip(t + k, 0, n - 1)
    net = fit[:, 0]
    # what the same comparison gives inside the shots on either side (motion alone)
    before = net[np.clip(t - 2 * k, 0, n - 1)]
    after = net[np.clip(t + 2 * k, 0, n - 1)]
    baseline = np.maximum(np.where(t - 2 * k >= 0, before, after),
                          np.where(t + 2 * k <= n - 1, after, before))
    # under heavy motion the shots around change as much as the dissolve; its blend still
    # fits closely, with the weight falling in a straight line through the middle
    ramp = _alpha_ramp(fit[:, 2], max(2, k // 3), k, params)
    strong = ramp & (fit[:, 1] <= params.gradual_ramp_residual * net)
    weight = fit[:, 2]
    gain = fit[:, 3] / np.maximum(fit[:, 1], 1e-3)
    explains = ((gain >= params.gradual_blend_gain) & (weight > 0.2) & (weight < 0.8)
                & (k <= max(2, round(params.gradual_short_k_s * fps))))
    for i in np.flatnonzero(explains):  # ... and not in the shots on either side
        bands = [gain[max(0, i - 2 * k):max(0, i - k)], gain[i + k + 1:i + 2 * k + 1]]
        side = [float(np.median(b)) for b in bands if len(b) >= k // 2]
        explains[i] = bool(side) and max(side) < params.gradual_blend_side
    ok = ((t - k >= 0) & (t + k <= n - 1) & (net >= params.gradual_min_change)
          & ((net >= params.gradual_peak * baseline) | strong | explains)
          & (fit[:, 1] <= params.gradual_max_residual * net)
          & ((tv[b] - tv[a]) <= params.gradual_max_variation * net))
    black = is_black(feat, params)
    ok &= ~black[a] & ~black[b] & ~black
    out = []
    i = 0
    min_run = max(2, k // 2)
    while i < n:
        if not ok[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and (ok[j + 1] or (j + 2 < n and ok[j + 2])):  # bridge 1-frame gaps
            j += 1
        alpha = fit[i:j + 1, 2]
        between = int(((alpha > 0.15) & (alpha < 0.85)).sum())
        # a hard cut fits as a "blend" too, but its weight jumps from 1 to 0 at once
        if j - i + 1 >= min_run and between >= max(2, round(0.12 * fps)):
            # the blend weight of the earlier picture falls through 0.5 at the middle
            alpha = fit[i:j + 1, 2]
            half = np.flatnonzero((alpha[:-1] > 0.5) & (alpha[1:] <= 0.5))
            if len(half):
                c = i + 1 + int(half[np.argmax(net[i + 1 + half])])
            else:
                seg = net[i:j + 1]
                c = round(float((np.flatnonzero(seg >= 0.9 * seg.max()) + i).mean()))
            # a hard cut nearby also fits as a blend: one step then makes most of the change
            if step[max(0, c - k):min(n - 1, c + k)].max() > 0.5 * net[c]:
                i = j + 1
                continue
            # the transition itself: where the frames change, around the centre
            lo, hi = c, c
            thr = 0.25 * float(step[max(0, c - 2):c + 2].mean()) if c > 0 else 0.0
            while lo > max(i - k, 1) and step[lo - 1] > thr:
                lo -= 1
            while hi < min(j + k, n - 2) and step[hi] > thr:
                hi += 1
            out.append((lo, c, hi))
        i = j + 1
    return out


def _alpha_ramp(alpha: np.ndarray, h: int, k: int, params: ShotParams) -> np.ndarray:
    """Where the blend weight falls in a straight line over ``t - h .. t + h``.

    A least-squares line through the weights of the ``2h + 1`` frames: it falls at
    least ``1 / (gradual_ramp_span * k)`` a frame (a dissolve no longer than that), fits
    with R² ≥ ``gradual_ramp_r2``, and the middle frame is between 0.25 and 0.75.
    """
    n = len(alpha)
    out = np.zeros(n, dtype=bool)
    if n < 2 * h + 1:
        return out
    x = np.arange(-h, h + 1, dtype=np.float64)
    win = np.lib.stride_tricks.sliding_window_view(alpha.astype(np.float64), 2 * h + 1)
    mean = win.mean(axis=1)
    slope = (win * x).sum(axis=1) / (x * x).sum()
    pred = mean[:, None] + slope[:, None] * x
    ss_res = ((win - pred) ** 2).sum(axis=1)
    ss_tot = ((win - mean[:, None]) ** 2).sum(axis=1)
    r2 = 1.0 - ss_res / np.maximum(ss_tot, 1e-12)
    mid = win[:, h]
    falls = slope <= -1.0 / (params.gradual_ramp_span * k)
    out[h:n - h] = falls & (r2 >= params.gradual_ramp_r2) & (mid > 0.25) & (mid < 0.75)
    return out


def detect_boundaries(feat: FrameFeatures, params: ShotParams = ShotParams()) -> Boundaries:
    """Find every shot boundary of a clip.

    Parameters
    ----------
    feat : FrameFeatures
        Per-frame features of the clip.
    params : ShotParams
        Thresholds.

    Returns
    -------
    Boundaries
    """
    score = hard_cut_score(feat)
    hard = detect_hard_cuts(feat, params, score)
    fades = detect_fades(feat, params)
    for a, _, b in fades:  # the steps of a fade are no hard cuts
        hard = hard[(hard < a) | (hard > b + 1)]
    found: list[tuple[int, str, int, int, float]] = [(int(i), "cut", int(i), int(i),
                                                     float(score[i])) for i in hard]
    for a, c, b in fades:
        found.append((c, "fade", a, b, 1.0))
    dissolves = detect_dissolves(feat, params)
    for d in detect_dissolves(feat, params, reach_s=params.gradual_short_k_s):
        if not any(a - 2 <= d[1] <= b + 2 for a, _, b in dissolves):
            dissolves.append(d)
    for a, c, b in sorted(dissolves):
        inside = [x for x in found if x[1] == "cut" and a <= x[0] <= b + 1]
        if any(x[4] >= params.hard_over_dissolve for x in inside):
            continue  # a clear hard cut: the "dissolve" is its blend-fit echo
        found = [x for x in found if x not in inside]
        found.append((c, "dissolve", a, b, 0.9))
    found.sort()
    min_gap = max(1, round(params.min_shot_s * float(feat.geometry.fps)))
    kept: list[tuple[int, str, int, int, float]] = []
    for item in found:
        if kept and item[0] - kept[-1][0] < min_gap:
            if item[4] > kept[-1][4]:
                kept[-1] = item
            continue
        kept.append(item)
    kept = [k for k in kept if 0 < k[0] < feat.n_frames]
    return Boundaries(
        cut_frames=np.array([k[0] for k in kept], dtype=np.int64),
        kinds=np.array([k[1] for k in kept], dtype="<U8"),
        spans=np.array([[k[2], k[3]] for k in kept], dtype=np.int64).reshape(-1, 2),
        score=score)
