"""How well does the digitizer's quality score rank images by their true error? (issue 16, chapter 1)

    python tools/quality_vs_error.py [DEVELOPMENT_SET] [--renderings N]

Scores every image of the development set (default ``../shared/data/ecg-image-kit-dev``) and N
synthetic ECGs drawn by ecgkeras's own renderer (default 24) with
``ecgkeras.data.digitize_score``, and prints Spearman's rho between each image's quality score
(``DigitizedReport.quality.score``) and its true mean Challenge SNR: over the development set,
over the renderings, and over both together.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scipy.stats import spearmanr

from ecgkeras.data.digitize_score import score_development_set, score_renderings

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", default=str(REPO.parent / "shared" / "data" / "ecg-image-kit-dev"))
    parser.add_argument("--renderings", type=int, default=24)
    args = parser.parse_args()
    development = score_development_set(args.folder)
    renderings = score_renderings(args.renderings)
    for name, scores in (("development set", development), ("own renderings", renderings),
                         ("both", development + renderings)):
        rho = spearmanr([s.quality for s in scores], [s.snr for s in scores]).statistic
        lowest = min(s.quality for s in scores)
        print(f"{name}: {len(scores)} images, Spearman rho(quality, Challenge SNR) = {rho:.2f}, "
              f"lowest quality {lowest:.1f} dB")


if __name__ == "__main__":
    main()
