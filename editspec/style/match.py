"""Which song a video's soundtrack is, and where in it the video starts.

Onset envelopes of frequency bands, cross-correlated over every lag
(:func:`find_music_offset`), accepted by how far the best lag stands out from the
others (:func:`matches`); :func:`find_song` picks the song among music files. Used by
:mod:`editspec.style.data` to analyze the whole song beside an edited video.
"""

from __future__ import annotations

import functools
import logging
import os

import numpy as np

from editspec.errors import MediaError

log = logging.getLogger(__name__)

MATCH_MIN_Z = 10.0
"""A video's soundtrack matches a music file when the correlation of their onset
envelopes at the best lag stands out from its values at all other lags by at least this
many robust standard deviations (median and MAD over the lags) ..."""
MATCH_MIN_Z_PLAIN = 7.0
"""... and by at least this many plain ones (mean and standard deviation: chance
alignments of a wrong song of sparse hits make heavy tails that the MAD ignores).
An absolute correlation does not generalize: voice, another mix or a dense song lower
the true peak (0.06-0.3 on the bench's real rock songs) while another song at the same
tempo correlates at every beat; how far the peak stands out does. The bench's 92 real
videos against its four songs: the right song from 11.8 robust / 11.5 plain, another up
to 9.1 / 8.2; generated: a perfectly periodic synthesized song under a voice (its
bars repeat, so many lags score high) 8.8 plain, a wrong song of sparse hits 11.5
robust but 6.1 plain."""
ENVELOPE_HZ = 100.0
"""Rate of the onset envelopes that :func:`find_music_offset` correlates."""


def _onset_envelopes(y: np.ndarray, sr: int) -> np.ndarray:
    """Log-energy flux of 10 ms frames in bands of 4 FFT bins (rough onset envelopes),
    each band zero mean and unit norm [shape=(n_frames, n_bands)]."""
    hop = int(sr / ENVELOPE_HZ)
    n = len(y) // hop
    if n < 4:
        return np.zeros((0, 1))
    frames = y[: n * hop].reshape(n, hop)
    spec = np.abs(np.fft.rfft(frames * np.hanning(hop), axis=1))
    usable = 4 * ((spec.shape[1] - 1) // 4)
    bands = np.log1p(100.0 * spec[:, 1:1 + usable].reshape(n, -1, 4).sum(axis=2))
    flux = np.maximum(np.diff(bands, axis=0, prepend=bands[:1]), 0.0)
    flux = flux - flux.mean(axis=0)
    norm = np.linalg.norm(flux, axis=0)
    return flux / np.where(norm > 0, norm, 1.0)


def find_music_offset(soundtrack: np.ndarray, music: np.ndarray,
                      sr: int) -> tuple[float, float, float]:
    """Where in ``music`` a video's soundtrack starts: the lag where the onset envelopes
    of their frequency bands correlate best (normalized, averaged over the bands; voice or
    other sound over the music lowers the peak, it rarely moves it), and how far that peak
    stands out from the other lags (:func:`matches`).

    Parameters
    ----------
    soundtrack, music : np.ndarray [shape=(n,)], float
        Mono samples at ``sr``.
    sr : int
        Sample rate, Hz.

    Returns
    -------
    offset_s : float
        Music time of the soundtrack's first sample, seconds (>= 0; the video may also
        start before the music: then negative).
    z, z_plain : float
        The peak's robust (median, MAD) and plain (mean, standard deviation) z-scores
        among the correlations at all lags where at least half the soundtrack overlaps
        the music (0 when either is too short); :func:`matches` accepts it.
    """
    return _match_envelopes(_onset_envelopes(soundtrack, sr), _onset_envelopes(music, sr), sr)


def _match_envelopes(a: np.ndarray, b: np.ndarray, sr: int) -> tuple[float, float, float]:
    """:func:`find_music_offset` of the soundtrack's and the music's onset envelopes."""
    if len(a) < 8 or len(b) < 8:
        return 0.0, 0.0, 0.0
    n = len(a) + len(b)
    size = 1 << int(np.ceil(np.log2(n)))
    # lag L: soundtrack frame i is music frame i + L; L in -(len(a)-1) .. len(b)-1
    lags = np.concatenate([np.arange(0, len(b)), np.arange(-(len(a) - 1), 0)])
    lo = np.clip(lags, 0, len(b))
    hi = np.clip(lags + len(a), 0, len(b))
    usable = (hi - lo) / max(len(a), 1) >= 0.5
    if not usable.any():
        return 0.0, 0.0, 0.0
    xc = np.fft.irfft(np.fft.rfft(b, size, axis=0) * np.conj(np.fft.rfft(a, size, axis=0)),
                      size, axis=0)
    vals = np.concatenate([xc[: len(b)], xc[size - (len(a) - 1):]])
    # normalize by the overlap's energy in the music (a short overlap must not win)
    cb = np.concatenate([np.zeros((1, b.shape[1])), np.cumsum(b * b, axis=0)])
    energy = np.sqrt(np.maximum(cb[hi] - cb[lo], 1e-12))
    score = (vals / energy).mean(axis=1)[usable]
    k = int(np.argmax(score))
    med = float(np.median(score))
    mad = 1.4826 * float(np.median(np.abs(score - med)))
    sd = float(np.std(score))
    z = (float(score[k]) - med) / mad if mad > 0 else 0.0
    z_plain = (float(score[k]) - float(np.mean(score))) / sd if sd > 0 else 0.0
    hop = int(sr / ENVELOPE_HZ)  # the envelopes' true rate is sr / hop, not ENVELOPE_HZ
    return float(lags[usable][k] * hop / sr), z, z_plain


def matches(z: float, z_plain: float) -> bool:
    """Whether :func:`find_music_offset`'s peak stands out enough to be the music."""
    return z >= MATCH_MIN_Z and z_plain >= MATCH_MIN_Z_PLAIN


MATCH_SR = 11025
"""Sample rate at which soundtracks are matched to music files."""


@functools.lru_cache(maxsize=64)
def _song_envelopes(path: str, stamp: tuple[int, int]) -> np.ndarray:
    from editspec.analysis.audio import decode_audio

    return _onset_envelopes(decode_audio(path, MATCH_SR), MATCH_SR)


def find_song(soundtrack: np.ndarray, songs: list[str]) -> tuple[str, float, float] | None:
    """The song a soundtrack uses, among music files: the one whose match
    (:func:`find_music_offset`) stands out most (robust z), if it :func:`matches`.

    Parameters
    ----------
    soundtrack : np.ndarray [shape=(n,)], float
        Mono samples at :data:`MATCH_SR`.
    songs : list of str
        Music files.

    Returns
    -------
    (song, offset_s, robust z), or None when no song matches.
    """
    a = _onset_envelopes(soundtrack, MATCH_SR)
    best: tuple[str, float, float] | None = None
    for song in songs:
        try:
            st = os.stat(song)
            env = _song_envelopes(os.path.abspath(song), (st.st_size, st.st_mtime_ns))
        except (OSError, MediaError) as exc:
            log.warning("cannot read %s: %s", song, exc)
            continue
        off, z, z_plain = _match_envelopes(a, env, MATCH_SR)
        if matches(z, z_plain) and (best is None or z > best[2]):
            best = (song, off, z)
    return best
