"""Benchmark the audio kernels against the librosa functions they replace.

Prints, for a synthesized 4-minute song (or a file given with --audio):
- equality: max abs difference of editspec's power spectrogram, log-mel and onset
  envelope to librosa's (``stft``, ``power_to_db(melspectrogram)``,
  ``onset.onset_strength(S=..., center=False)``);
- speed: median of N runs of each, and the ratio librosa / editspec;
- the whole analysis (warm process, same decoded audio) against
  ``librosa.beat.beat_track`` alone, with the dp and the gru tracker;
- a cold ``editspec analyze SONG --json --no-cache`` process per tracker (numba and
  filter-bank caches warm on disk), median of 3 (target under 3 s).

Run: ``.venv/bin/python bench/kernels.py [--audio FILE] [--runs 5]``
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import median_time


def main() -> None:
    import librosa

    from editspec.analysis import audio as A
    from editspec.analysis import features as ft
    from editspec.demo import synth_song

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--audio", help="audio file (default: a synthesized 4-minute song)")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if args.audio:
        y = A.decode_audio(args.audio)
    else:
        y, _ = synth_song(None, tempo=124.0, bars=124, sr=ft.SR,
                          form=(("intro", 0, 8), ("verse", 8, 32), ("chorus", 40, 32),
                                ("verse", 72, 24), ("chorus", 96, 20), ("outro", 116, 8)))
    print(f"audio: {len(y) / ft.SR:.1f} s at {ft.SR} Hz; median of {args.runs} runs\n")

    n_fft, hop = ft.ONSET_N_FFT, ft.HOP
    P = ft.power_spectrogram(y, n_fft=n_fft)
    P_ref = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop, center=True,
                                pad_mode="constant")) ** 2
    mel_db = ft.log_mel(P, n_mels=ft.ONSET_N_MELS)
    mel_ref = librosa.power_to_db(
        librosa.feature.melspectrogram(S=P_ref, sr=ft.SR, n_mels=ft.ONSET_N_MELS),
        ref=np.max, top_db=80.0)
    onset = ft.onset_strength(mel_db)
    onset_ref = librosa.onset.onset_strength(S=mel_db, lag=1, max_size=1, center=False)
    rel = lambda a, b: float(np.max(np.abs(a - b)) / (np.max(np.abs(b)) + 1e-12))  # noqa: E731
    print("equality (max abs difference / max value):")
    print(f"  power spectrogram  {rel(P, P_ref):.2e}")
    print(f"  log-mel (dB)       {float(np.max(np.abs(mel_db - mel_ref))):.2e} dB")
    print(f"  onset envelope     {rel(onset, onset_ref.astype(np.float32)):.2e}\n")

    rows = [
        ("power spectrogram", lambda: ft.power_spectrogram(y, n_fft=n_fft),
         lambda: np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop, pad_mode="constant")) ** 2),
        ("log-mel from power (mel kernel)", lambda: ft.log_mel(P, n_mels=ft.ONSET_N_MELS),
         lambda: librosa.power_to_db(librosa.feature.melspectrogram(
             S=P_ref, sr=ft.SR, n_mels=ft.ONSET_N_MELS), ref=np.max, top_db=80.0)),
        ("onset envelope (from log-mel)", lambda: ft.onset_strength(mel_db),
         lambda: librosa.onset.onset_strength(S=mel_db, lag=1, max_size=1, center=False)),
        ("onset envelope (from audio)",
         lambda: ft.onset_strength(ft.log_mel(ft.power_spectrogram(y, n_fft=n_fft),
                                              n_mels=ft.ONSET_N_MELS)),
         lambda: librosa.onset.onset_strength(y=y, sr=ft.SR, hop_length=hop, n_fft=n_fft,
                                              n_mels=ft.ONSET_N_MELS)),
    ]
    print(f"{'stage':34s} {'editspec':>10s} {'librosa':>10s} {'ratio':>7s}")
    for name, ours, theirs in rows:
        a, b = median_time(ours, args.runs), median_time(theirs, args.runs)
        print(f"{name:34s} {a * 1000:8.1f}ms {b * 1000:8.1f}ms {b / a:6.1f}x")
    whole = median_time(lambda: A.analyze_audio("bench", y=y, tracker="dp"), args.runs)
    beat_track = median_time(lambda: librosa.beat.beat_track(y=y, sr=ft.SR), args.runs)
    print(f"\nwhole analysis, dp tracker (beats, downbeats, metre, sections, energy, onsets): "
          f"{whole:.3f}s")
    print(f"librosa.beat.beat_track alone:                                                 "
          f"{beat_track:.3f}s")
    print(f"ratio beat_track / whole analysis: {beat_track / whole:.2f}x "
          f"({'faster' if whole < beat_track else 'slower'} than librosa's beat tracker alone)")
    from editspec.model.infer import ensemble_path, weights_shipped

    for tracker, shipped in (("gru", weights_shipped()),
                             ("gru-ensemble", weights_shipped(ensemble_path()))):
        if not shipped:
            continue
        A.analyze_audio("warm", y=y[: ft.SR * 5], tracker=tracker, use_cache=False)
        gru = median_time(lambda t=tracker: A.analyze_audio("bench", y=y, tracker=t,
                                                            use_cache=False), args.runs)
        print(f"whole analysis, {tracker} tracker (the same, GRU activations included):"
              f"{' ' * max(1, 11 - len(tracker))}{gru:.3f}s")
        print(f"ratio beat_track / whole {tracker} analysis: {beat_track / gru:.2f}x "
              f"({'faster' if gru < beat_track else 'slower'} than librosa's beat tracker alone)")
    cold_process(args.audio, y, weights_shipped())


def cold_process(audio: str | None, y: np.ndarray, gru: bool) -> None:
    """Time fresh ``editspec analyze`` processes on the song (written to FLAC if synthesized)."""
    import os
    import subprocess
    import sys
    import tempfile
    import time

    import soundfile

    from editspec.analysis import features as ft

    with tempfile.TemporaryDirectory(prefix="editspec-bench-") as td:
        path = audio
        if path is None:
            path = os.path.join(td, "song.flac")
            soundfile.write(path, y, ft.SR)
        for tracker in ("dp", "gru") if gru else ("dp",):
            argv = [sys.executable, "-m", "editspec", "analyze", path, "--json", "--no-cache",
                    "--tracker", tracker]
            subprocess.run(argv, check=True, capture_output=True)  # numba, filter caches
            times = []
            for _ in range(3):
                t = time.perf_counter()
                subprocess.run(argv, check=True, capture_output=True)
                times.append(time.perf_counter() - t)
            print(f"cold `editspec analyze --tracker {tracker}` process: "
                  f"{sorted(times)[1]:.2f}s (median of 3; target < 3 s)")


if __name__ == "__main__":
    main()
