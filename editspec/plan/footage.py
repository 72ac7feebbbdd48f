"""Which footage fills each shot: :func:`usable_segments`, :func:`assign_footage`
(:mod:`editspec.plan.assign`) and :func:`end_clips` (intro and outro clips)."""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Mapping

import numpy as np

from editspec.edl import (
    Event,
    EventAudio,
    Speed,
)
from editspec.errors import MediaError
from editspec.ir import Recipe
from editspec.plan.assign import Assignment, MomentTrack, Segment, Slot
from editspec.plan.common import (
    error,
    section_at,
)
from editspec.plan.state import ClipFacts, PlanState, ShotFootage, replace

log = logging.getLogger(__name__)


def usable_segments(s: PlanState) -> PlanState:
    """Split every clip into usable segments: inside the pool's in/out range, between its
    own shot boundaries, outside black, blurred or badly exposed stretches and outside
    frozen ones (a held first frame, a paused or still stretch: they never fill a shot
    while other footage is usable)."""
    recipe, clips = s.recipe, s.clips

    def split(skip_frozen: bool) -> list[Segment]:
        segments: list[Segment] = []
        for pool in recipe.clips:
            for path in pool.paths:
                info = clips[path]
                lo = pool.in_s or 0.0
                hi = min(info.duration, pool.out_s) if pool.out_s is not None else info.duration
                spans = list(info.usable) if info.usable is not None else [(0.0, info.duration)]
                if skip_frozen:
                    spans = _minus_frozen(spans, info)
                cuts = list(info.cuts)
                shot_motion = list(info.motion) or [0.5]
                bounds = [0.0, *cuts, info.duration]
                for a, b in spans:
                    for s0, s1, m in zip(bounds[:-1], bounds[1:], shot_motion, strict=False):
                        x0, x1 = max(a, s0, lo), min(b, s1, hi)
                        if x1 - x0 > 0.05:
                            segments.append(Segment(path, x0, x1, float(m), hero=pool.hero,
                                                    must=pool.must_include, weight=pool.weight))
        return segments

    segments = split(True) or split(False)  # all of it frozen: a still is better than nothing
    if not segments:
        raise MediaError("the recipe's clips have no usable footage")
    segments = _within_upscale(recipe, clips, segments)
    # motion relative to the pool: 0..1 by rank is done in the assignment
    return replace(s, segments=tuple(segments))


def _within_upscale(recipe: Recipe, clips: Mapping[str, ClipFacts],
                    segments: list[Segment]) -> list[Segment]:
    """``segments`` less those of clips enlarged beyond ``output.max_upscale``, when the
    other clips' footage is at least as long as the output (else all of them)."""
    from editspec.analysis.video.reframe import upscale

    out_size = (recipe.output.width, recipe.output.height)
    mode = "cover" if recipe.output.reframe != "fit" else "fit-blur"
    limit = recipe.output.max_upscale * (1 + 1e-6)

    def sharp(path: str) -> bool:
        size = clips[path].display_size
        return size is None or upscale(mode, size, out_size) <= limit

    keep = [s for s in segments if s.must or s.hero or sharp(s.clip)]
    if len(keep) == len(segments) or not keep:
        return segments
    need = recipe.output.duration_s or 0.0
    if sum(s.end - s.start for s in keep) < need:
        return segments
    dropped = sorted({os.path.basename(s.clip) for s in segments} -
                     {os.path.basename(s.clip) for s in keep})
    log.info("left out (enlarged beyond output.max_upscale %g): %s",
             recipe.output.max_upscale, ", ".join(dropped))
    return keep


def _minus_frozen(spans: list[tuple[float, float]],
                  info: ClipFacts) -> list[tuple[float, float]]:
    """``spans`` less the clip's frozen runs (from its moment analysis, if any)."""
    mom = info.moments
    if mom is None or not len(mom.frozen) or not mom.frozen.any():
        return spans
    from editspec.analysis.video.tracks import runs

    fps = float(info.fps)
    out = []
    for a, b in spans:
        cur = a
        for f0, f1 in runs(np.asarray(mom.frozen, dtype=bool)):
            t0, t1 = f0 / fps, f1 / fps
            if t1 <= cur or t0 >= b:
                continue
            if t0 > cur:
                out.append((cur, t0))
            cur = max(cur, t1)
        if b > cur:
            out.append((cur, b))
    return out


def _moment_tracks(clips: Mapping[str, ClipFacts]) -> dict[str, MomentTrack]:
    """The clips' moment tracks as the assignment reads them."""
    from editspec.analysis.video.moments import LOOK_RATE

    out = {}
    for path, info in clips.items():
        mom = info.moments
        if mom is not None and len(mom.score):
            out[path] = MomentTrack(float(info.fps), mom.score, mom.activity, mom.look,
                                    float(LOOK_RATE))
    return out


def assign_footage(s: PlanState) -> PlanState:
    """Fill every slot with a piece of a usable segment (no source frame twice unless the
    pool is too small, which is logged): the clips' best moments, the strongest on the
    most energetic music (:mod:`editspec.plan.assign`; ties broken by a generator seeded
    with the recipe's seed). ``footage`` says, per slot, why."""
    from editspec.plan.assign import assign_segments

    recipe, audio, clips, cuts = s.recipe, s.audio, s.clips, s.cuts
    fps, start_s, duration_frames = s.win.fps, s.win.start_s, s.win.duration_frames
    segments = list(s.segments)
    rng = np.random.default_rng(recipe.seed)

    bounds = [0] + [c.frame for c in cuts] + [duration_frames]
    slots = []
    speeds = []
    em = recipe.energy
    for k, (a, b) in enumerate(itertools.pairwise(bounds)):
        t = start_s + np.arange(a, b) / float(fps)
        energy = float(np.mean(audio.energy_at(t)))
        # speed ramps: slow motion when quiet, fast when loud (a constant speed per shot)
        speed = round(em.speed_min + (em.speed_max - em.speed_min) * energy, 3) \
            if em.speed_ramps else 1.0
        speeds.append(speed)
        slots.append(Slot(int(np.ceil((b - a) * speed)), energy,
                          chorus=section_at(audio, float(t[len(t) // 2])) == "chorus",
                          first=k == 0))
    try:
        chosen, reused = assign_segments(slots, segments, float(fps),
                                         match_motion=1.0 if recipe.energy.motion else 0.15,
                                         rng=rng, moments=_moment_tracks(clips))
    except ValueError as exc:
        raise MediaError(f"{exc}; add longer clips or cut more often") from None
    if reused:
        log.warning("the clips are too few for %d shots without reuse: %d shots reuse footage",
                    len(slots), reused)
    whys = ["start"] + [c.event for c in cuts]
    audio_clips = {p for pool in recipe.clips if pool.audio for p in pool.paths}
    events = []
    for k, (a, b) in enumerate(itertools.pairwise(bounds)):
        seg = segments[chosen[k].segment]
        src_in = chosen[k].src_in
        length = (b - a) * speeds[k] / float(fps)
        events.append(Event(clip=seg.clip, src_in=round(src_in, 6),
                            src_out=round(src_in + length, 6), rec_in=a, rec_out=b,
                            why=whys[k], speed=Speed(((0, speeds[k]),)),
                            audio=EventAudio(use=seg.clip in audio_clips)))
    footage = {a: ShotFootage(ev.clip, ev.src_in, _footage_why(chosen[k], slots[k]))
               for k, (a, ev) in enumerate(zip(bounds[:-1], events, strict=True))}
    return replace(s, events=tuple(events), slots=tuple(slots), reused=reused, footage=footage)


def _footage_why(a: Assignment, slot: Slot) -> str:
    """Why a slot shows its footage: the moment's score, its rank in its clip, its
    activity against the music's energy."""
    if a.reused:
        return "reused footage (too few clips for the shots)"
    if a.score is None:
        return "no moment analysis: the clip's pieces in order"
    rank = "the clip's best moment" if a.rank == 0 else f"its #{a.rank + 1} moment"
    pace = "strong movement" if a.activity >= 0.6 else \
        "some movement" if a.activity >= 0.3 else "steady"
    return (f"moment {a.score:.2f}, {rank} of {a.of}; {pace} ({a.activity:.2f}) "
            f"on energy {slot.energy:.2f}")


def end_clips(s: PlanState) -> PlanState:
    """Play the intro and outro clips as they are: the intro from frame 0 to the planned
    cut nearest its length, the outro from the planned cut nearest its length before the
    end; the music plays on under both, and both end on a musical cut."""
    recipe, clips = s.recipe, s.clips
    fps, duration_frames = s.win.fps, s.win.duration_frames
    evs = list(s.events)
    for which in ("intro", "outro"):
        clip = getattr(recipe, which)
        if clip is None:
            continue
        info = clips.get(clip.path)
        if info is None:
            raise MediaError(f"{clip.path}: the {which} clip was not analyzed")
        want = clip.duration_s or info.duration
        cuts = [e.rec_in for e in evs[1:]]
        if which == "intro":
            fits = [c for c in cuts if c / float(fps) <= info.duration + 1e-6]
            if not fits:
                raise error(clip.span, f"the {which} clip ({info.duration:.2f}s) is shorter than "
                                        "the first shot")
            end = min(fits, key=lambda c: (abs(c / float(fps) - want), c))
            evs = [Event(clip.path, 0.0, round(end / float(fps), 6), 0, end, why="intro")] + \
                [e for e in evs if e.rec_in >= end]
        else:
            fits = [c for c in cuts if (duration_frames - c) / float(fps) <= info.duration + 1e-6]
            if not fits:
                raise error(clip.span, f"the {which} clip ({info.duration:.2f}s) is shorter than "
                                        "the last shot")
            start = min(fits, key=lambda c: (abs((duration_frames - c) / float(fps) - want), -c))
            evs = [e for e in evs if e.rec_out <= start] + \
                [Event(clip.path, 0.0, round((duration_frames - start) / float(fps), 6), start,
                       duration_frames, why="outro")]
    return replace(s, events=tuple(evs))
