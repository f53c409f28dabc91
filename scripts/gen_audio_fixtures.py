# Writes fixtures/audio.json: spectrograms by torch.stft (|X|^power, onesided) for several framings,
# mel filter banks by a numpy transcription of torchaudio's melscale_fbanks (torchaudio is not in
# Debian), and the log-mel spectrogram as torch's power spectrogram times that bank.
# Run with Debian's torch and numpy: /usr/bin/python3 scripts/gen_audio_fixtures.py

import json
import math
import os

import numpy as np
import torch

SEED = 1515
rng = np.random.default_rng(SEED)


def f32list(a):
    return [float('%.9g' % v) for v in np.asarray(a, dtype=np.float64).ravel()]


def full(a):
    return [float('%.10g' % v) for v in np.asarray(a, dtype=np.float64).ravel()]


def signal(n, sr):
    t = np.arange(n) / sr
    chirp = 0.5 * np.sin(2 * np.pi * (200 * t + 1500 * t * t))
    return (chirp + 0.1 * rng.standard_normal(n)).astype(np.float32)


WINDOWS = {'hann': torch.hann_window, 'hamming': torch.hamming_window, 'rectangular': lambda n, **k: torch.ones(n, **k)}


def stft_case(name, x, n_fft, hop, win, window, center, pad_mode, power):
    xt = torch.from_numpy(x.astype(np.float64))
    w = WINDOWS[window](win, dtype=torch.float64)  # periodic=True, as torch's default
    X = torch.stft(xt, n_fft, hop_length=hop, win_length=win, window=w, center=center, pad_mode=pad_mode,
                   return_complex=True, onesided=True)
    S = X.abs() ** power
    return {'name': name, 'signal': f32list(x), 'opts': {'nFft': n_fft, 'hopLength': hop, 'winLength': win, 'window': window,
            'center': center, 'padMode': pad_mode, 'power': power}, 'shape': list(S.shape), 'out': full(S.numpy())}


# ---- torchaudio.functional.melscale_fbanks, transcribed ----
def hz_to_mel(f, scale):
    if scale == 'htk':
        return 2595.0 * math.log10(1.0 + f / 700.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, math.log(6.4) / 27.0
    return min_log_mel + math.log(f / min_log_hz) / logstep if f >= min_log_hz else f / f_sp


def mel_to_hz(m, scale):
    m = np.asarray(m, dtype=np.float64)
    if scale == 'htk':
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, math.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def fbanks(n_freqs, f_min, f_max, n_mels, sr, norm, scale):
    all_freqs = np.linspace(0, sr // 2, n_freqs)
    m_pts = np.linspace(hz_to_mel(f_min, scale), hz_to_mel(f_max, scale), n_mels + 2)
    f_pts = mel_to_hz(m_pts, scale)
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts[None, :] - all_freqs[:, None]
    down = (-1.0 * slopes[:, :-2]) / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    fb = np.maximum(0.0, np.minimum(down, up))
    if norm == 'slaney':
        fb *= (2.0 / (f_pts[2:n_mels + 2] - f_pts[:n_mels]))[None, :]
    return fb


stfts = [
    stft_case('speech framing: nFft 512, hop 160, win 400, hann, reflect', signal(3000, 16000), 512, 160, 400, 'hann', True, 'reflect', 2),
    stft_case('hamming, constant padding, magnitude', signal(1000, 16000), 256, 64, 256, 'hamming', True, 'constant', 1),
    stft_case('no centring, rectangular, hop not dividing', signal(700, 8000), 64, 50, 64, 'rectangular', False, 'reflect', 2),
    stft_case('signal shorter than a frame, centred', signal(100, 16000), 128, 32, 100, 'hann', True, 'reflect', 2),
]

banks = []
for (n_fft, sr, n_mels, f_min, f_max, scale, norm) in [
    (512, 16000, 40, 20.0, 7600.0, 'htk', None),
    (512, 16000, 64, 0.0, 8000.0, 'slaney', 'slaney'),
    (1024, 22050, 128, 0.0, 11025.0, 'htk', 'slaney'),
    (256, 8000, 20, 100.0, 3800.0, 'slaney', None),
]:
    fb = fbanks(n_fft // 2 + 1, f_min, f_max, n_mels, sr, norm, scale)
    banks.append({'nFreqs': n_fft // 2 + 1, 'opts': {'sampleRate': sr, 'nMels': n_mels, 'fMin': f_min, 'fMax': f_max,
                  'melScale': scale, 'norm': norm}, 'shape': list(fb.shape), 'out': full(fb)})

# the features the speech task uses: log(mel(power spectrogram) + 1e-6)
x = signal(4000, 16000)
X = torch.stft(torch.from_numpy(x.astype(np.float64)), 512, hop_length=160, win_length=400,
               window=torch.hann_window(400, dtype=torch.float64), center=True, pad_mode='reflect', return_complex=True)
P = (X.abs() ** 2).numpy()
fb = fbanks(257, 20.0, 7600.0, 40, 16000, None, 'htk')
logmel = np.log(fb.T @ P + 1e-6)
mel = {'signal': f32list(x), 'opts': {'sampleRate': 16000, 'nFft': 512, 'hopLength': 160, 'winLength': 400, 'nMels': 40,
       'fMin': 20.0, 'fMax': 7600.0, 'log': True}, 'shape': list(logmel.shape), 'out': full(logmel)}

out = {'torch': torch.__version__, 'numpy': np.__version__, 'seed': SEED, 'stft': stfts, 'melFilterBank': banks, 'logMel': mel}
path = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'audio.json')
with open(path, 'w') as f:
    json.dump(out, f)
print(f'wrote {len(stfts)} stft cases, {len(banks)} filter banks and a log-mel spectrogram to {os.path.normpath(path)}')
