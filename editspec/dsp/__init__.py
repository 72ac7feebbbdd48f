"""Signal processing below both the analyzer and the beat network: the power spectrogram
(:mod:`.spectrum`) and librosa's filter banks kept in the cache folder (:mod:`.filters`).
"""
