"""Round trip: render synthetic reports, digitize them, correlate each lead with what was drawn.

Usage: .venv/bin/python tools/roundtrip_stats.py [seeds=3] [difficulty=0.5]
Prints, per image size, the distribution of per-lead correlations (the numbers in README.md).
"""

import sys
import time

import numpy as np
from ecgkeras.data.synthetic import make_signals
from ecgkeras.data.render import render_report
from ecgkeras.data import digitize as d
from ecgkeras.data.dataset import report_segments

nseeds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
diff = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5
res = {1106: [], 2213: []}
img_med = {1106: [], 2213: []}
rh = {1106: [], 2213: []}
pitch = {1106: [], 2213: []}
t0 = time.time()
for seed in range(nseeds):
    sig, lab = make_signals(4, seed, difficulty=diff, class_proportions=(0.25,) * 4)
    for s, label in zip(sig, lab):
        truth, rhythm = report_segments(s)
        for w, h in [(1106, 786), (2213, 1572)]:
            r = d.digitize_report(render_report(s, seed=seed * 10 + int(label), width=w, height=h))
            c = [np.corrcoef(truth[i], r.leads[i])[0, 1] for i in range(12)]
            res[w] += c
            img_med[w].append(np.median(c))
            rh[w].append(np.corrcoef(rhythm, r.rhythm)[0, 1])
            pitch[w].append(r.px_per_mm)
for w in res:
    a = np.array(res[w])
    print(
        w,
        "leads: median %.3f p5 %.3f p1 %.3f min %.3f, share >= 0.95: %.3f; per-image median min %.3f; "
        "rhythm min %.3f; pitch %.3f-%.3f"
        % (
            np.median(a),
            np.percentile(a, 5),
            np.percentile(a, 1),
            a.min(),
            (a >= 0.95).mean(),
            min(img_med[w]),
            min(rh[w]),
            min(pitch[w]),
            max(pitch[w]),
        ),
    )
print("time", time.time() - t0)
