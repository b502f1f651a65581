"""Does a digitized report make sense? A quality measure from the ECG's own redundancy (chapter 1).

Nothing on a report tells a digitizer the true signal, but a 12-lead ECG repeats itself:

- the limb leads are recorded at the same instants, so in the first column of the standard
  layout lead II equals I + III (Einthoven's law), and in the second aVR + aVL + aVF = 0
  (Goldberger's leads);
- the rhythm strip repeats one lead for 10 s, so over each 2.5 s window it equals that lead
  where it is printed above (lead II in the first column on most reports; which lead it is,
  is found, not assumed);
- a calibration pulse is 10 mm tall on a 10 mm/mV report.

What an identity leaves over is the sum of the digitizing errors of its leads (three for the
limb-lead laws, two for the strip), so it estimates one lead's error power, offsets included;
the image's ``score`` is the SNR (dB, as the Challenge measures it) that error power would give
the leads read: an estimate of the true score made without the true signal. A digitizer that
read the page right scores well above ``MIN_QUALITY``; one that took a header for a trace, mixed
leads or read an upside-down page does not. What no identity can see is an error shared by all
leads alike, such as the pen's smoothing (a linear filter of every lead satisfies the same
laws). Chapter 1 checks the score against the true error (``ecgkeras.data.digitize_score``) on
images drawn by two renderers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecgkeras.data.dataset import LEAD_NAMES, LEAD_SECONDS, REPORT_LAYOUT
from ecgkeras.data.digitize_trace import resample

#: ``digitize_report`` refuses an image whose quality ``score`` is below this (dB).
MIN_QUALITY = 3.0
#: A calibration pulse whose height is further than this fraction from 10 mm is reported.
PULSE_HEIGHT_TOLERANCE = 0.15
#: Estimated SNRs are clipped to this range (dB).
AGREEMENT_RANGE = (-20.0, 30.0)


@dataclass(frozen=True)
class DigitizeQuality:
    """How well a digitized report agrees with itself: estimated SNRs (dB, higher is better).

    Attributes:
        score: the SNR estimated from the three identities' error together: the measure an
            image is refused by (``MIN_QUALITY``).
        einthoven: the SNR estimated from II - (I + III) over the first column alone.
        goldberger: ... from aVR + aVL + aVF over the second column alone.
        rhythm: ... from the rhythm strip against the lead it repeats, where that lead is printed.
        rhythm_lead: the lead the rhythm strip repeats best.
        pulse_height: measured height of the calibration pulses over 10 mm (1.0 is right); NaN
            where none was found.
        turned: True when the page was read turned by 180 degrees.
    """

    score: float
    einthoven: float
    goldberger: float
    rhythm: float
    rhythm_lead: str
    pulse_height: float = float("nan")
    turned: bool = False

    def problems(self) -> list[str]:
        """What is wrong, in words (empty when nothing is)."""
        found = []
        if self.score < MIN_QUALITY:
            found.append(
                f"the leads disagree with each other (quality {self.score:.1f} dB, need {MIN_QUALITY:.0f}; "
                f"Einthoven {self.einthoven:.1f} dB, Goldberger {self.goldberger:.1f} dB, rhythm strip vs "
                f"lead {self.rhythm_lead} {self.rhythm:.1f} dB)"
            )
        if abs(self.pulse_height - 1) > PULSE_HEIGHT_TOLERANCE:
            found.append(f"the calibration pulse is {self.pulse_height * 10:.1f} mm tall, not 10 mm")
        return found

    def __str__(self) -> str:
        pulse = "" if np.isnan(self.pulse_height) else f", pulse {self.pulse_height * 10:.1f} mm"
        return (
            f"quality {self.score:.1f} dB (Einthoven {self.einthoven:.1f}, Goldberger {self.goldberger:.1f}, "
            f"rhythm vs {self.rhythm_lead} {self.rhythm:.1f}{pulse}{', page turned' if self.turned else ''})"
        )


def estimated_snr(leads: np.ndarray, error_power: float) -> float:
    """The SNR (dB) a digitizer would score if its error had ``error_power`` (mV²) in every lead:
    the mean over leads of 10 log10(lead power / error power), clipped to ``AGREEMENT_RANGE``."""
    low, high = AGREEMENT_RANGE
    if error_power <= 0:
        return high
    power = np.mean(np.asarray(leads, np.float64) ** 2, axis=-1)
    with np.errstate(divide="ignore"):
        return float(np.clip(np.mean(10 * np.log10(power / error_power)), low, high))


def _column_of(name: str) -> int:
    return next(c for row in REPORT_LAYOUT for c, lead in enumerate(row) if lead == name)


def rhythm_residual(leads: np.ndarray, rhythm: np.ndarray) -> tuple[float, str]:
    """What the rhythm strip leaves over against the lead it repeats best, and that lead.

    Each lead is printed for 2.5 s in its column; the rhythm strip's stretch of the same
    2.5 s (resampled to the lead's samples) is compared with it.

    Args:
        leads: float (12, samples_per_lead) mV; rhythm: float (rhythm_samples,) mV over 10 s.

    Returns:
        ``(mean squared difference in mV², lead name)``.
    """
    per_column = len(rhythm) * LEAD_SECONDS / 10.0
    best = (np.inf, LEAD_NAMES[1])
    for index, name in enumerate(LEAD_NAMES):
        column = _column_of(name)
        stretch = rhythm[int(round(column * per_column)) : int(round((column + 1) * per_column))]
        lead = leads[index]
        stretch = resample(stretch, len(lead))
        residual = float(np.mean((lead - stretch) ** 2))
        if residual < best[0]:
            best = (residual, name)
    return best


def measure_quality(leads, rhythm, pulse_height: float = float("nan"), turned: bool = False) -> DigitizeQuality:
    """The quality of one digitized report from its own redundancy.

    Args:
        leads: float (12, samples_per_lead) mV in ``LEAD_NAMES`` order (``DigitizedReport.leads``).
        rhythm: float (rhythm_samples,) mV over 10 s.
        pulse_height: the calibration pulses' median height over 10 mm, NaN where none was found.
        turned: whether the page was read turned by 180 degrees.

    Returns:
        a ``DigitizeQuality``.
    """
    leads = np.asarray(leads, np.float64)
    lead = {name: leads[i] for i, name in enumerate(LEAD_NAMES)}
    # Each identity's residual sums the errors of its leads: 3 for the limb-lead laws, 2 for
    # the strip against its lead; divided by that count, it estimates one lead's error power.
    errors = (
        np.mean((lead["II"] - lead["I"] - lead["III"]) ** 2) / 3,
        np.mean((lead["aVR"] + lead["aVL"] + lead["aVF"]) ** 2) / 3,
    )
    strip_error, rhythm_lead = rhythm_residual(leads, np.asarray(rhythm, np.float64))
    errors = errors + (strip_error / 2,)
    einthoven, goldberger, rhythm_score = (estimated_snr(leads, error) for error in errors)
    score = estimated_snr(leads, float(np.mean(errors)))
    return DigitizeQuality(score, einthoven, goldberger, rhythm_score, rhythm_lead, pulse_height, turned)
