"""Synthetic 12-lead ECGs for the four classes of the real data set: the book's default data.

Chapter 1 (from a paper ECG to a signal) shows how these signals are made; every later chapter
trains on them when the real images are absent.

The model, in three steps:

1. **Beats.** Each heartbeat is a sum of Gaussian waves P, Q, R, S, T, as in ECGSYN
   (McSharry et al., 2003). Each wave carries a 3-D *heart vector* (a dipole, in mV) in Frank's
   coordinates: x to the patient's left, y to the feet, z to the back.
2. **Leads.** The Dower transform projects the heart vector onto leads I, II and V1-V6. Leads III,
   aVR, aVL and aVF follow from I and II (Einthoven and Goldberger), so the limb leads are always
   consistent: III = II - I, aVR = -(I + II)/2, aVL = I - II/2, aVF = II - I/2.
3. **Patients.** Every patient gets a heart rate, wave amplitudes and widths, an electrical axis
   (a rotation of all wave vectors), electrode placement, noise (white and muscle bursts) and
   baseline wander. Then the class adds its changes:

   - 0 Normal: sinus rhythm.
   - 1 Abnormal heartbeat: premature ventricular beats (wide, bizarre QRS, no P, compensatory
     pause), premature atrial beats (early, odd P, sinus reset) or atrial fibrillation
     (irregular RR, no P, fibrillatory waves).
   - 2 Myocardial infarction (acute, heart rate a little faster on average: 80 vs 72 bpm):
     ST elevation and tall T in a territory of leads (anterior V1-V4, inferior II/III/aVF or
     lateral I/aVL/V5/V6), with reciprocal ST depression in the opposite leads, because the
     injury current is one vector pointing at the territory.
   - 3 History of MI: wide, deep Q waves, a smaller R and inverted T in a territory, no ST
     elevation: the dead muscle no longer pulls the heart vector towards it.

``difficulty`` in [0, 1] sets how much the classes overlap: at 0 every patient is a textbook
case; as it grows, the class changes shrink, benign look-alikes (sinus arrhythmia, flat T waves,
small Q waves, early repolarisation) appear in every class, and the noise grows. In numbers: the
class changes are scaled by (0.7 to 1) x (1 - 0.8 difficulty^2), each look-alike appears with
chance 0.7 difficulty^2, and white noise and baseline wander grow linearly.
``DEFAULT_DIFFICULTY`` (0.5) was chosen so that a small 12-lead 1D-CNN scores about 0.86 accuracy
(0.94 at difficulty 0, 0.45 at 1); on lead II alone it scores less, as a single lead cannot see
every infarct territory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit

from ecgkeras.data.counts import PUBLISHED_RELEASE_COUNTS
from ecgkeras.data.dataset import CLASS_NAMES, ECGDataset, channels_last, report_segments

#: Difficulty used by default, calibrated so that a small 12-lead 1D-CNN (3 Conv1D blocks) trained
#: on ``make_dataset(2000, seed=0)`` scores about 0.86 accuracy on ``make_dataset(1000, seed=1)``.
DEFAULT_DIFFICULTY = 0.5

#: Default class mix: the published release's 284 : 233 : 239 : 172 files, normalised.
CLASS_PROPORTIONS = tuple(count / sum(PUBLISHED_RELEASE_COUNTS) for count in PUBLISHED_RELEASE_COUNTS)

#: Dower transform: rows are leads I, II, V1..V6, columns the heart vector's x, y, z (mV -> mV).
_DOWER = np.array(
    [
        [0.632, -0.235, 0.059],  # I
        [0.235, 1.066, -0.132],  # II
        [-0.515, 0.157, -0.917],  # V1
        [0.044, 0.164, -1.387],  # V2
        [0.882, 0.098, -1.277],  # V3
        [1.213, 0.127, -0.601],  # V4
        [1.125, 0.127, -0.086],  # V5
        [0.831, 0.076, 0.230],  # V6
    ]
)


def _unit(x: float, y: float, z: float) -> np.ndarray:
    vector = np.array([x, y, z], dtype=float)
    return vector / np.linalg.norm(vector)


#: Direction from the heart's centre towards each territory (Frank x left, y feet, z back).
_TERRITORIES = {
    "anterior": _unit(0.25, -0.2, -0.95),
    "inferior": _unit(-0.15, 0.98, 0.1),
    "lateral": _unit(0.8, -0.5, 0.2),
}
#: How often each territory is hit: acute MI, then history of MI.
_MI_TERRITORY_ODDS = {"anterior": 0.45, "inferior": 0.4, "lateral": 0.15}
_OLD_MI_TERRITORY_ODDS = {"anterior": 0.4, "inferior": 0.45, "lateral": 0.15}


@dataclass
class _Wave:
    """One Gaussian wave of a beat: name, peak time from the R peak (s), widths (s), vector (mV)."""

    name: str
    offset: float
    width_before: float
    width_after: float
    vector: np.ndarray


@dataclass
class _Patient:
    """Everything drawn once per patient."""

    rr: float  # mean RR interval, s
    beat_waves: dict[str, list[_Wave]]  # waves per beat kind: "sinus", "pac", "pvc", "af"
    lead_matrix: np.ndarray  # (8, 3): heart vector -> I, II, V1..V6
    j_offset: float  # J point (end of QRS) after the R peak, s
    t_offset: float  # T peak after the R peak, s
    st_vector: np.ndarray = field(default_factory=lambda: np.zeros(3))  # ST shift, mV
    rhythm: str = "sinus"  # "sinus" or "af"
    rr_jitter: float = 0.015  # beat-to-beat RR variation (fraction of RR)
    sinus_arrhythmia: float = 0.0  # breathing modulation of RR (fraction of RR)
    ectopic_kind: str | None = None  # "pvc" or "pac"
    ectopic_count: int = 0
    coupling: float = 1.0  # ectopic beat after this fraction of the RR interval
    fibrillation: float = 0.0  # f-wave amplitude, mV


def simulate_ecg(
    label: int,
    seed_or_rng,
    *,
    difficulty: float = DEFAULT_DIFFICULTY,
    fs: float = 100.0,
    seconds: float = 10.0,
) -> np.ndarray:
    """Simulate one patient's continuous 12-lead ECG.

    Args:
        label: class index 0..3 in ``CLASS_NAMES`` order.
        seed_or_rng: an int, a ``numpy.random.SeedSequence`` or a ``numpy.random.Generator``;
            the same seed gives the same signal.
        difficulty: in [0, 1]; 0 textbook cases, 1 subtle changes, many look-alikes, more noise.
        fs: sampling rate in Hz.
        seconds: length in s.

    Returns:
        float32 (12, round(fs * seconds)) in mV, leads in ``LEAD_NAMES`` order.
    """
    label = _check_label(label)
    difficulty = _check_difficulty(difficulty)
    for name, value in (("fs", fs), ("seconds", seconds)):
        if not np.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be a positive number, got {value!r}")
    rng = np.random.default_rng(seed_or_rng)
    patient = _draw_patient(label, difficulty, rng)
    t = np.arange(round(fs * seconds)) / fs
    times, kinds = _beat_schedule(patient, seconds, rng)
    heart = _heart_vector(t, fs, times, kinds, patient)
    if patient.fibrillation > 0:
        heart += _fibrillation_waves(t, patient.fibrillation, rng)
    independent = heart @ patient.lead_matrix.T + _noise(t, difficulty, rng)
    return _twelve_leads(independent.T).astype(np.float32)


def make_signals(
    n: int = 2000,
    seed: int = 0,
    *,
    difficulty: float = DEFAULT_DIFFICULTY,
    class_proportions=CLASS_PROPORTIONS,
    fs: float = 100.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate ``n`` patients' continuous 10 s ECGs: what the report renderer draws (chapter 1).

    Class counts follow ``class_proportions`` exactly (largest remainder), in an order shuffled
    by ``seed``. Patient ``i`` is simulated from its own random stream, derived from ``seed`` and
    ``i`` only, so it does not depend on ``n``.

    Returns:
        ``(signals, labels)``: float32 (n, 12, round(10 * fs)) in mV, leads in ``LEAD_NAMES``
        order, and int64 (n,) class indices.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise ValueError(f"n must be a positive integer (number of patients), got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    counts = _class_counts(int(n), _check_proportions(class_proportions))
    difficulty = _check_difficulty(difficulty)
    label_stream, patient_stream = np.random.SeedSequence(int(seed)).spawn(2)
    labels = np.repeat(np.arange(len(CLASS_NAMES)), counts)
    np.random.default_rng(label_stream).shuffle(labels)
    signals = np.stack(
        [
            simulate_ecg(label, patient, difficulty=difficulty, fs=fs)
            for label, patient in zip(labels, patient_stream.spawn(int(n)))
        ]
    )
    return signals, labels.astype(np.int64)


def make_dataset(
    n: int = 2000,
    seed: int = 0,
    *,
    difficulty: float = DEFAULT_DIFFICULTY,
    class_proportions=CLASS_PROPORTIONS,
    fs: float = 100.0,
) -> ECGDataset:
    """Simulate ``n`` patients and cut each ECG as a paper report shows it (chapters 2-3).

    Returns:
        An ``ECGDataset`` with signals float32 (n, 2.5 * fs, 12) in mV (each lead's 2.5 s report
        window), rhythm float32 (n, 10 * fs) (lead II), labels (n,), groups ``arange(n)`` (one
        ECG per patient), and ``info = {"source": "synthetic", "difficulty": ..., "seed": ...}``.
    """
    signals, labels = make_signals(
        n, seed, difficulty=difficulty, class_proportions=class_proportions, fs=fs
    )
    windows, rhythms = zip(*(report_segments(signal, fs) for signal in signals))
    return ECGDataset(
        signals=channels_last(np.stack(windows)),
        labels=labels,
        groups=np.arange(len(labels)),
        rhythm=np.stack(rhythms),
        fs=fs,
        info={"source": "synthetic", "difficulty": float(difficulty), "seed": int(seed)},
    )


def _check_label(label) -> int:
    is_integer = isinstance(label, (int, np.integer)) and not isinstance(label, bool)
    if not is_integer or not 0 <= label < len(CLASS_NAMES):
        choices = ", ".join(f"{i} {name}" for i, name in enumerate(CLASS_NAMES))
        raise ValueError(f"label must be one of {choices}; got {label!r}")
    return int(label)


def _check_difficulty(difficulty) -> float:
    if not isinstance(difficulty, (int, float, np.number)) or not 0.0 <= difficulty <= 1.0:
        raise ValueError(f"difficulty must be a number in [0, 1], got {difficulty!r}")
    return float(difficulty)


def _check_proportions(proportions) -> np.ndarray:
    values = np.asarray(proportions, dtype=float)
    if values.shape != (len(CLASS_NAMES),):
        raise ValueError(
            f"class_proportions must hold {len(CLASS_NAMES)} numbers, one per class "
            f"{CLASS_NAMES}; got {proportions!r}"
        )
    if not np.isfinite(values).all() or (values < 0).any() or abs(values.sum() - 1) > 1e-6:
        raise ValueError(
            f"class_proportions must be non-negative and sum to 1, got {proportions!r} "
            f"(sum {values.sum():.6g}); divide by their sum"
        )
    return values


def _class_counts(n: int, proportions: np.ndarray) -> np.ndarray:
    """Split ``n`` into per-class counts by the largest-remainder method."""
    exact = n * proportions
    counts = np.floor(exact).astype(int)
    by_remainder = np.argsort(-(exact - counts), kind="stable")
    counts[by_remainder[: n - counts.sum()]] += 1
    return counts


def _rotation(rng: np.random.Generator) -> np.ndarray:
    """A random 3x3 rotation: the electrical axis varies most in the frontal (x-y) plane."""
    frontal, horizontal, sagittal = np.radians(rng.normal(0, (15, 12, 8)))

    def about(axis_a: int, axis_b: int, angle: float) -> np.ndarray:
        matrix = np.eye(3)
        matrix[[axis_a, axis_b], [axis_a, axis_b]] = np.cos(angle)
        matrix[axis_a, axis_b], matrix[axis_b, axis_a] = -np.sin(angle), np.sin(angle)
        return matrix

    return about(0, 1, frontal) @ about(0, 2, horizontal) @ about(1, 2, sagittal)


def _normal_waves(rng: np.random.Generator, rr: float) -> tuple[list[_Wave], float, float]:
    """One patient's normal sinus beat, with its J-point and T-peak offsets (s)."""
    amplitude = rng.lognormal(0, 0.2)  # body build: the whole ECG bigger or smaller
    qrs_width = rng.uniform(0.85, 1.15)
    pr = rng.uniform(0.12, 0.2)  # s
    qt = rng.normal(0.41, 0.02) * np.sqrt(rr)  # s, Bazett
    t_offset = qt - 0.11
    rotate = _rotation(rng)

    def wave(name, offset, before, after, x, y, z, spread=0.15):
        vector = rotate @ np.array([x, y, z]) * amplitude * rng.lognormal(0, spread)
        return _Wave(name, offset, before, after, vector)

    q, r, s = -0.035 * qrs_width, 0.012 * qrs_width, 0.035 * qrs_width  # peak times and R width
    q_width, s_width = 0.01 * qrs_width, 0.011 * qrs_width
    waves = [
        wave("P", -pr - 0.005, 0.02, 0.02, 0.05, 0.12, -0.04),  # right atrium: down, forward
        wave("P", -pr + 0.025, 0.02, 0.02, 0.1, 0.05, 0.06),  # left atrium: left, backward
        wave("Q", q, q_width, q_width, -0.12, 0.02, -0.15),  # septum: right, forward
        wave("R", 0.0, r, r, 1.2, 0.85, 0.5),  # free walls: left, down, backward
        wave("S", s, s_width, s_width, -0.25, -0.35, 0.55),  # base: up, backward
        wave("T", t_offset, 0.06, 0.035, 0.3, 0.2, -0.15, spread=0.25),
    ]
    return waves, 0.05 * qrs_width, t_offset


def _draw_patient(label: int, difficulty: float, rng: np.random.Generator) -> _Patient:
    """Draw a patient of class ``label``: normal beat, benign variants, then the class changes."""
    heart_rate = np.clip(rng.normal(80 if label == 2 else 72, 11), 50, 115)  # bpm
    rr = 60.0 / heart_rate
    sinus, j_offset, t_offset = _normal_waves(rng, rr)
    lead_matrix = _DOWER.copy()
    lead_matrix[2:] += rng.normal(0, 0.08, (6, 3))  # precordial electrodes never sit exactly
    lead_matrix *= rng.lognormal(0, 0.08, (8, 1))  # skin contact
    patient = _Patient(
        rr=rr,
        beat_waves={"sinus": sinus},
        lead_matrix=lead_matrix,
        j_offset=j_offset,
        t_offset=t_offset,
    )
    _add_benign_variants(patient, difficulty, rng)
    strength = rng.uniform(0.7, 1.0) * (1 - 0.8 * difficulty**2)
    if label == 1:
        _add_arrhythmia(patient, strength, rng)
    elif label == 2:
        _add_acute_mi(patient, strength, rng)
    elif label == 3:
        _add_old_mi(patient, strength, rng)
    return patient


def _add_benign_variants(patient: _Patient, difficulty: float, rng: np.random.Generator) -> None:
    """Look-alikes every class can have; they grow with difficulty and blur the classes."""
    sinus = patient.beat_waves["sinus"]
    patient.sinus_arrhythmia = rng.uniform(0, 0.02 + 0.12 * difficulty)
    chance = 0.7 * difficulty**2  # rare at low difficulty, common near 1
    if rng.random() < chance:  # non-specific T flattening
        t_wave = _find(sinus, "T")
        t_wave.vector = t_wave.vector * rng.uniform(1 - 0.7 * difficulty, 1)
    if rng.random() < chance:  # early repolarisation: small ST elevation in V2-V4
        patient.st_vector = patient.st_vector + _TERRITORIES["anterior"] * rng.uniform(0.02, 0.12)
    if rng.random() < chance:  # small, narrow Q in III and aVF
        vector = -_TERRITORIES["inferior"] * rng.uniform(0.05, 0.2) * difficulty
        sinus.insert(2, _Wave("Q", -0.03, 0.01, 0.01, vector))


def _find(waves: list[_Wave], name: str) -> _Wave:
    return next(wave for wave in waves if wave.name == name)


def _territory(odds: dict[str, float], rng: np.random.Generator) -> np.ndarray:
    name = rng.choice(list(odds), p=list(odds.values()))
    return _TERRITORIES[str(name)] + rng.normal(0, 0.1, 3)


def _add_acute_mi(patient: _Patient, strength: float, rng: np.random.Generator) -> None:
    """Injury current towards the territory: ST elevation there, reciprocal depression opposite."""
    towards = _territory(_MI_TERRITORY_ODDS, rng)
    patient.st_vector = patient.st_vector + towards * rng.uniform(0.25, 0.5) * strength
    t_wave = _find(patient.beat_waves["sinus"], "T")
    hyperacute = rng.uniform(0.1, 0.3) if rng.random() < 0.7 else -rng.uniform(0.1, 0.25)
    t_wave.vector = t_wave.vector + towards * hyperacute * strength


def _add_old_mi(patient: _Patient, strength: float, rng: np.random.Generator) -> None:
    """Scar: Q waves and a smaller R in the territory's leads, T inverted there, no ST elevation."""
    towards = _territory(_OLD_MI_TERRITORY_ODDS, rng)
    sinus = patient.beat_waves["sinus"]
    r_wave = _find(sinus, "R")
    lost = max(r_wave.vector @ towards, 0) * rng.uniform(0.5, 0.9) * strength
    r_wave.vector = r_wave.vector - lost * towards
    q_vector = -towards * rng.uniform(0.4, 0.8) * strength
    sinus.insert(2, _Wave("Q", -0.03, 0.018, 0.016, q_vector))
    t_wave = _find(sinus, "T")
    t_wave.vector = t_wave.vector - towards * rng.uniform(0.2, 0.4) * strength


def _add_arrhythmia(patient: _Patient, strength: float, rng: np.random.Generator) -> None:
    """Ectopic beats (ventricular or atrial) or atrial fibrillation."""
    kind = rng.choice(["pvc", "pac", "af"], p=[0.55, 0.15, 0.3])
    if kind == "af":
        patient.rhythm = "af"
        patient.rr = patient.rr * rng.uniform(0.75, 1.0)
        patient.rr_jitter = 0.06 + 0.2 * strength * rng.uniform(0.7, 1.0)
        patient.fibrillation = (0.06 + 0.1 * strength) * rng.uniform(0.7, 1.0)
        patient.beat_waves["af"] = [w for w in patient.beat_waves["sinus"] if w.name != "P"]
        return
    patient.ectopic_kind = str(kind)
    patient.ectopic_count = 1 + int(rng.binomial(5, strength))
    patient.coupling = 1 - rng.uniform(0.3, 0.5) * strength
    if kind == "pvc":
        patient.beat_waves["pvc"] = _pvc_waves(patient, strength, rng)
    else:
        patient.beat_waves["pac"] = _with_ectopic_p(patient.beat_waves["sinus"], strength, rng)


def _pvc_waves(patient: _Patient, strength: float, rng: np.random.Generator) -> list[_Wave]:
    """A premature ventricular beat: no P, wide QRS pointing elsewhere, T opposite to it."""
    normal_r = _find(patient.beat_waves["sinus"], "R").vector
    like_normal = (1 - strength) * normal_r / np.linalg.norm(normal_r)
    direction = like_normal + strength * rng.normal(0, 1, 3)
    main = direction / np.linalg.norm(direction) * rng.uniform(1.0, 2.0)
    second = rng.normal(0, 1, 3)
    second = second / np.linalg.norm(second) * rng.uniform(0.4, 1.0) * strength
    width = 0.012 + 0.022 * strength  # s
    return [
        _Wave("R", -width, width, width, main),
        _Wave("S", width, width, width, second),
        _Wave("T", patient.t_offset + 0.03, 0.07, 0.05, -0.35 * main),
    ]


def _with_ectopic_p(sinus: list[_Wave], strength: float, rng: np.random.Generator) -> list[_Wave]:
    """The sinus beat with its P replaced by an ectopic atrial P (low atrium: inverted in II)."""
    ectopic = np.array([0.03, -0.16, 0.04]) * rng.uniform(0.8, 1.2)
    waves = []
    for wave in sinus:
        if wave.name == "P":
            vector = (1 - strength) * wave.vector + strength * ectopic
            offset = wave.offset + 0.02 * strength  # shorter PR: the focus sits near the AV node
            wave = _Wave("P", offset, wave.width_before, wave.width_after, vector)
        waves.append(wave)
    return waves


def _beat_schedule(patient: _Patient, seconds: float, rng: np.random.Generator):
    """R-peak times (s) and beat kinds, starting before the window so no beat is cut short."""
    breathing = rng.uniform(0.15, 0.35)  # Hz
    phase = rng.uniform(0, 2 * np.pi)
    times = [-rng.uniform(0, patient.rr) - 1.0]
    while times[-1] < seconds + 3.0:  # room for premature atrial beats to pull beats earlier
        t = times[-1]
        if patient.rhythm == "af":
            step = patient.rr * rng.lognormal(0, patient.rr_jitter)
        else:
            modulation = patient.sinus_arrhythmia * np.sin(2 * np.pi * breathing * t + phase)
            step = patient.rr * (1 + modulation + rng.normal(0, patient.rr_jitter))
        times.append(t + max(step, 0.3))
    times = np.array(times)
    kinds = np.full(len(times), patient.rhythm if patient.rhythm == "af" else "sinus", dtype=object)
    if patient.ectopic_kind is not None:
        candidates = np.flatnonzero((times > 0.3) & (times < seconds - 0.3))
        count = min(patient.ectopic_count, len(candidates))
        for k in np.sort(rng.choice(candidates, size=count, replace=False)):
            early = times[k - 1] + patient.coupling * (times[k] - times[k - 1])
            if patient.ectopic_kind == "pac":  # the sinus node resets: later beats move earlier
                times[k + 1 :] -= times[k] - early
            times[k], kinds[k] = early, patient.ectopic_kind
    seen = (times > -1.0) & (times < seconds + 0.5)  # beats whose waves reach into the window
    return times[seen], kinds[seen]


def gaussian_waves(samples: int, fs: float, centres, before, after, amplitudes, *,
                   reach: float = 5.0) -> np.ndarray:
    """Sum of asymmetric Gaussian waves sampled at ``fs`` Hz from t = 0: the book's one beat simulator.

    Every simulated beat of the package is built here: the synthetic data set's heart vectors,
    the ST-elevation case of ``ecgkeras.explain.simulate_st_elevation`` (through
    :func:`beat_waves`) and the benchmark signals of ``ecgkeras bench``.

    Args:
        samples: length of the output.
        fs: sampling rate in Hz.
        centres, before, after: (waves,) peak times in s (may lie outside the signal) and
            widths (standard deviations) in s before and after the peak.
        amplitudes: (waves, k) value of each wave at its peak in mV, one column per output channel.
        reach: each wave is evaluated within ``reach`` widths of its peak only (5: the rest is
            below 4e-6 of its peak).

    Returns:
        float64 (samples, k) in mV.
    """
    centres, before, after = (np.asarray(x, dtype=float) for x in (centres, before, after))
    amplitudes = np.asarray(amplitudes, dtype=float)
    half = int(np.ceil(reach * max(before.max(), after.max()) * fs))
    index = np.round(centres * fs).astype(int)[:, None] + np.arange(-half, half + 1)
    delta = index / fs - centres[:, None]
    width = np.where(delta < 0, before[:, None], after[:, None])
    shape = np.exp(-0.5 * (delta / width) ** 2)
    inside = (index >= 0) & (index < samples)
    out = np.empty((samples, amplitudes.shape[1]))
    for channel in range(amplitudes.shape[1]):
        weights = (shape * amplitudes[:, [channel]])[inside]
        out[:, channel] = np.bincount(index[inside], weights=weights, minlength=samples)
    return out


def beat_waves(samples: int, fs: float, r_peaks, waves) -> np.ndarray:
    """Symmetric Gaussian waves repeated at every R peak, one output column per wave.

    ``ecgkeras.explain.simulate_st_elevation`` and ``ecgkeras.bench.ecg_like_signals`` build
    their beats from it.

    Args:
        samples: length of the output; fs: sampling rate in Hz.
        r_peaks: (beats,) R-peak times in s (may lie outside the signal).
        waves: sequence of ``(offset from the R peak in s, width in s, amplitude in mV)``.

    Returns:
        float64 (samples, len(waves)) in mV: column j is wave j at every beat.
    """
    waves = np.asarray(list(waves), dtype=float)
    r_peaks = np.asarray(r_peaks, dtype=float)
    centres = (r_peaks[None, :] + waves[:, [0]]).ravel()  # (waves * beats,), wave-major
    widths = np.repeat(waves[:, 1], len(r_peaks))
    amplitudes = np.repeat(np.diag(waves[:, 2]), len(r_peaks), axis=0)  # (waves * beats, waves)
    return gaussian_waves(samples, fs, centres, widths, widths, amplitudes, reach=10.0)


def _heart_vector(t: np.ndarray, fs: float, times, kinds, patient: _Patient) -> np.ndarray:
    """Heart vector (samples, 3) in mV: every beat's waves, plus the ST shift of conducted beats."""
    breathing = 1 + 0.05 * np.sin(2 * np.pi * 0.25 * times)  # amplitude swings with breathing
    centres, before, after, vectors = [], [], [], []
    for kind in np.unique(kinds):  # sorted, so the sum is the same in every run
        beats = kinds == kind
        waves = patient.beat_waves[kind]
        centres.append((times[beats, None] + [wave.offset for wave in waves]).ravel())
        before.append(np.tile([wave.width_before for wave in waves], beats.sum()))
        after.append(np.tile([wave.width_after for wave in waves], beats.sum()))
        shape = np.stack([wave.vector for wave in waves])
        vectors.append((breathing[beats, None, None] * shape).reshape(-1, 3))
    heart = gaussian_waves(
        len(t), fs, *(np.concatenate(part) for part in (centres, before, after, vectors))
    )
    if np.any(patient.st_vector):
        conducted = times[kinds != "pvc"]
        j_point = (t[:, None] - conducted - patient.j_offset) / 0.006
        t_peak = (conducted + patient.t_offset - t[:, None]) / 0.03
        plateau = expit(j_point) * expit(t_peak)  # rises at the J point, ends with the T wave
        heart += plateau.sum(axis=1)[:, None] * patient.st_vector
    return heart


def _fibrillation_waves(t: np.ndarray, amplitude: float, rng: np.random.Generator) -> np.ndarray:
    """Atrial fibrillatory waves (samples, 3): 4-8 Hz, drifting, strongest in V1 and II."""
    frequencies = rng.uniform(4, 8, 3)
    phases = rng.uniform(0, 2 * np.pi, 3)
    wobble = np.sin(2 * np.pi * rng.uniform(0.1, 0.4) * t)[:, None]
    waves = np.sin(2 * np.pi * frequencies * t[:, None] + phases + 2 * wobble).sum(axis=1) / 3
    return amplitude * waves[:, None] * _unit(-0.3, 0.5, -0.8)


def _noise(t: np.ndarray, difficulty: float, rng: np.random.Generator) -> np.ndarray:
    """Noise (samples, 8) in mV on leads I, II, V1..V6: white, muscle bursts, baseline wander."""
    white = rng.uniform(0.005, 0.015) + 0.02 * difficulty  # mV
    burst_centre, burst_width = rng.uniform(0, t[-1] + 1e-9), rng.uniform(0.5, 2.0)  # s
    muscle = rng.uniform(0, 0.01 + 0.04 * difficulty) * np.exp(
        -0.5 * ((t - burst_centre) / burst_width) ** 2
    )
    spread = np.sqrt(white**2 + muscle**2)[:, None]  # muscle bursts add to the white noise
    hiss = rng.normal(0, 1, (len(t), 8)) * spread
    frequencies = rng.uniform(0.05, 0.5, (2, 1, 8))
    phases = rng.uniform(0, 2 * np.pi, (2, 1, 8))
    wander_size = rng.uniform(0.02, 0.06 + 0.1 * difficulty)
    sines = np.sin(2 * np.pi * frequencies * t[None, :, None] + phases)
    wander = wander_size * sines.sum(axis=0) / 2
    return hiss + wander


def _twelve_leads(independent: np.ndarray) -> np.ndarray:
    """(8, samples) leads I, II, V1..V6 -> (12, samples) in ``LEAD_NAMES`` order."""
    lead_i, lead_ii, precordial = independent[0], independent[1], independent[2:]
    limb = [
        lead_i,
        lead_ii,
        lead_ii - lead_i,  # III
        -(lead_i + lead_ii) / 2,  # aVR
        lead_i - lead_ii / 2,  # aVL
        lead_ii - lead_i / 2,  # aVF
    ]
    return np.concatenate([np.stack(limb), precordial])
