"""The ``ecgkeras`` command line.

    ecgkeras digitize PATH... --out signals.npz   report images -> signals (chapter 1)
    ecgkeras duplicates PATH                      files, distinct images, duplicates (chapter 3)
    ecgkeras bench views                          scalograms per second vs a naive pywt loop
    ecgkeras bench digitize [PATH...]             report images digitized per second
    ecgkeras bench digitize [PATH...] --against REV  this code vs another version: speed, same signals?
    ecgkeras bench train [--against REV]          one fold of training, this code vs another version
    ecgkeras score-digitizer [FOLDER]             the digitizer's Challenge scores (chapter 1)
    ecgkeras reproduce --data synthetic --out DIR every model, fold and seed (chapters 4-8, 12)
    ecgkeras analyze DIR                          complementarity and significance (chapters 9-10)
    ecgkeras score FILE.py[:CLASS] | DIR          score assignment submissions (assignments/)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np


def _sizes() -> str:
    """The synthetic data's default sizes for the help texts, from ``config.SYNTHETIC_SIZE``."""
    from ecgkeras.config import SYNTHETIC_SIZE

    return ", ".join(f"{n} {mode}" for mode, n in SYNTHETIC_SIZE.items())


def _digitize(args) -> int:
    from ecgkeras.data.digitize import digitize_paths

    missing = [str(p) for p in args.paths if not Path(p).exists()]
    if missing:
        raise SystemExit(f"ecgkeras digitize: no such file or folder: {', '.join(missing)}")
    out = _writable_npz(args.out)  # checked before the work, not after it
    result = digitize_paths(args.paths, progress=True, keep_poor=args.keep_poor)
    if result.skipped:
        print(f"skipped {len(result.skipped)} file(s):")
        for file, reason in result.skipped:
            print(f"  {file}: {reason}")
    if not result.files:
        raise SystemExit(f"ecgkeras digitize: no image could be digitized ({len(result.skipped)} skipped, "
                         f"reasons above); nothing written to {out}")
    result.save(out)
    print(f"wrote {len(result.files)} signals to {out}, with each image's quality score (median "
          f"{np.median(result.quality):.1f} dB, lowest {np.min(result.quality):.1f} dB: the SNR estimated from the "
          "leads' agreement with each other)")
    return 0


def _score_digitizer(args) -> int:
    from ecgkeras.data.digitize_score import (
        development_group,
        development_samples,
        score_development_set,
        score_renderings,
        score_table,
    )

    folder = args.folder or development_samples()
    if not Path(folder).is_dir():
        raise SystemExit(f"ecgkeras score-digitizer: {folder}: no such folder")
    if args.folder is None:
        shipped = len(list(Path(folder).glob("*/*.png")))
        print(f"no folder given: the {shipped} development images shipped with ecgkeras")
    print(score_table(score_development_set(folder), split=development_group))
    if args.renderings:
        print(f"\necgkeras's own renderings ({args.renderings} synthetic ECGs, 2213 x 1572):")
        print(score_table(score_renderings(args.renderings)))
    return 0


def _writable_npz(out) -> Path:
    """``--out`` as the file numpy will write (``.npz`` added when missing), after checking that its
    folder exists and is writable, so that a bad ``--out`` fails before the work, not after it."""
    out = Path(out)
    if out.suffix != ".npz":
        out = out.with_name(out.name + ".npz")  # what np.savez would write anyway
    if not out.parent.is_dir():
        raise SystemExit(f"ecgkeras digitize: --out {out}: the folder {out.parent} does not exist; create it first")
    try:
        with tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", suffix=".check"):
            pass
    except OSError as error:
        raise SystemExit(f"ecgkeras digitize: --out {out}: cannot write in {out.parent} ({error.strerror}); "
                         "choose a folder you can write to") from error
    return out


def _duplicates(args) -> int:
    from ecgkeras.data.mendeley import index_folder

    print(index_folder(args.path).report())
    return 0


def _bench(args) -> int:
    if args.what == "views":
        from ecgkeras.bench import bench_views, format_bench

        print(format_bench(bench_views(n=args.n or 500)))
    elif args.what == "train":
        from ecgkeras.bench_train import bench_train, format_bench_train

        try:
            result = bench_train(args.against or "HEAD", repeat=args.repeat, n=args.n)
        except ValueError as error:
            raise SystemExit(f"ecgkeras bench train: {error}") from error
        print(format_bench_train(result))
    elif args.against is None:
        from ecgkeras.data.digitize import benchmark_digitize

        result = benchmark_digitize(args.paths or [_sample_images()])
        for key, value in result.items():
            print(f"{key}: {value}")
    else:
        _bench_digitize_against(args)
    return 0


def _bench_digitize_against(args) -> None:
    """``ecgkeras bench digitize --against REV``: both versions' speed and signals (``bench_digitize``)."""
    from ecgkeras.bench_digitize import bench_digitize, format_bench_digitize

    try:
        result = bench_digitize(args.paths or [_sample_images()], args.against, repeat=args.repeat)
    except ValueError as error:
        raise SystemExit(f"ecgkeras bench digitize: {error}") from error
    print(format_bench_digitize(result))


def _reproduce(args) -> int:
    if args.quick:
        os.environ["ECGKERAS_QUICK"] = "1"
    import resource
    import time

    from ecgkeras.experiment import reproduce, summary_markdown
    from ecgkeras.results import FolderInUse

    start = time.perf_counter()
    try:
        results = reproduce(args.data, protocol=args.protocol, folds=args.folds, seeds=args.seeds,
                            leads=args.leads, models=args.models, out=args.out, n_synthetic=args.n)
    except FolderInUse as err:
        raise SystemExit(f"ecgkeras reproduce: error: {err}") from err
    print(summary_markdown(results))
    print(f"tidy results: {Path(args.out) / 'results.csv'}; figure: {Path(args.out) / 'summary.png'}")
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # ru_maxrss is in KiB on Linux
    print(f"wall time {time.perf_counter() - start:.0f} s (runs skipped on resume not counted), "
          f"peak memory {peak_gib:.2f} GiB")
    return 0


def _analyze(args) -> int:
    from ecgkeras.analyze import analysis_markdown, analyze

    if not Path(args.folder).is_dir():
        raise FileNotFoundError(f"no folder {args.folder}; give the --out folder of `ecgkeras reproduce`")
    result = analyze(args.folder, out=args.out)
    print(analysis_markdown(result))
    print(f"wrote analysis.json and figures to {args.out or Path(args.folder) / 'analysis'}")
    return 0


def _score(args) -> int:
    """Score one submission file, or every .py of a folder, on one held-out split (SCORE_EXIT_CODES)."""
    from ecgkeras.assignment import (LEADERBOARD_HEADER, SECRET_VARIABLE, held_out_split, leaderboard_row,
                                     submission_files)

    files = submission_files(args.submission)  # a missing file or an empty folder: usage error, 2
    secret = args.secret or os.environ.get(SECRET_VARIABLE) or None
    try:
        split = held_out_split(args.data, n=args.n, seed=args.seed, secret=secret)
    except ValueError as error:  # bad --data or --n: usage error, 2
        if args.data == "synthetic" and args.n:
            raise ValueError(f"{error} (--n {args.n}: use more synthetic ECGs, e.g. --n 80)") from error
        raise
    except FileNotFoundError:
        raise  # no such --data folder: usage error, 2
    except Exception as error:
        _score_failed(args.submission, 5, f"preparing the split failed: {error!r}")
        raise SystemExit(5) from error
    _say_what_is_hidden(args, split, len(files))
    rows, worst = [], 0
    for file in files:
        code, row = _score_one(file, split, args.time_limit)
        worst = max(worst, code)
        if row is not None:
            rows.append(row | ({"name": f"{row['file']}: {row['name']}"} if len(files) > 1 else {}))
    if rows:
        print(LEADERBOARD_HEADER)
        for row in sorted(rows, key=lambda row: (-row["macro_f1"], -row["accuracy"], row["name"])):
            print(leaderboard_row(row))
    if len(files) > 1:
        print(f"scored {len(rows)} of {len(files)} submissions", file=sys.stderr)
    if worst:
        raise SystemExit(worst)
    return 0


#: ``ecgkeras score``'s exit status: what a grading script should check.
SCORE_EXIT_CODES = {0: "scored", 2: "usage error (bad arguments, no such file)",
                    3: "submission error (import failed, fit or predict_proba raised or called sys.exit(), "
                       "bad probabilities, no predictions)",
                    4: "time-out (the submission ran past --time-limit and was stopped)",
                    5: "scorer failure (anything else went wrong in the scorer: please report it)"}


def _score_one(file: str, split, time_limit: float) -> tuple[int, dict | None]:
    """``(exit status, leaderboard row or None)`` of one submission file; failures are said on stderr."""
    import traceback

    from ecgkeras.assignment import SubmissionError, SubmissionTimeout, score_file

    print(f"scoring {file}: fit on the training split, scored on the held-out test split", file=sys.stderr,
          flush=True)
    try:
        return 0, score_file(file, split, time_limit=time_limit)
    except SubmissionTimeout as error:
        code, message = 4, str(error)
    except SubmissionError as error:
        code, message = 3, str(error)
    except Exception as error:  # ours, not the submission's: the traceback helps a bug report
        traceback.print_exc()
        code, message = 5, f"{type(error).__name__}: {error}"
    _score_failed(file, code, message)
    return code, None


def _score_failed(file: str, code: int, message: str) -> None:
    print(f"ecgkeras score: {file}: {SCORE_EXIT_CODES[code].split(' (')[0]} (exit {code}): {message}",
          file=sys.stderr, flush=True)


def _say_what_is_hidden(args, split, n_files: int) -> None:
    """Tell the teacher whether this split is fit for grading (on stderr: stdout is the leaderboard)."""
    sizes = f"{len(split.train)} training (oversampled), {len(split.val)} validation, {len(split.test)} test ECGs"
    print(f"{n_files} submission(s) on {split.data}, seed {split.seed}: {sizes}; time limit "
          f"{args.time_limit:g} s each", file=sys.stderr)
    if not split.secret:
        print("practice mode: no secret, so anyone who knows --data, --n and --seed can rebuild this split and "
              "its test labels; to grade, set ECGKERAS_SCORE_SECRET (assignments/README.md)", file=sys.stderr)
    elif args.secret:
        print("note: --secret on the command line is visible to every process on this machine, the submission "
              "included (ps, /proc); prefer the ECGKERAS_SCORE_SECRET variable", file=sys.stderr)
    if str(split.data).startswith("mendeley:"):
        print("note: the labels of the Mendeley images are public (class folders): a submission that reads the "
              "images can look its test ECGs up; review the code", file=sys.stderr)


def _sample_images() -> str:
    """Render a few synthetic reports to a temporary folder when no images are given."""
    from ecgkeras.data.render import render_dataset_images
    from ecgkeras.data.synthetic import make_signals

    folder = Path(tempfile.mkdtemp(prefix="ecgkeras-bench-"))
    signals, labels = make_signals(8, seed=0)
    render_dataset_images(signals, labels, folder, width=2213, height=1572)
    print(f"no images given: digitizing 8 synthetic reports (2213 x 1572) in {folder}")
    return str(folder)


def _positive_seconds(text: str) -> float:
    """``--time-limit``: a positive number of seconds."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, e.g. 600; got {text!r}")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecgkeras", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    digitize = commands.add_parser("digitize", help="report images -> signals (.npz)")
    digitize.add_argument("paths", nargs="+", help="images or folders (class = folder name)")
    digitize.add_argument("--out", required=True, help="output .npz file")
    digitize.add_argument("--keep-poor", action="store_true",
                          help="keep images that read too poorly to trust (a warning each) instead of skipping them")
    digitize.set_defaults(run=_digitize)

    score_digitizer = commands.add_parser(
        "score-digitizer", help="the digitizer's PhysioNet Challenge scores on images with known signals",
        description="Digitize every image of a development set (a folder with truth.npz and one subfolder of "
                    "<id>.png + <id>.json per setting, as ecg-image-kit-dev) and print per setting and group "
                    "the mean Challenge SNR, offset-free SNR, median r and the images refused (chapter 1).")
    score_digitizer.add_argument("folder", nargs="?", help="the development set (default: the two images shipped "
                                                          "with ecgkeras)")
    score_digitizer.add_argument("--renderings", type=int, default=0, metavar="N",
                                 help="also score N synthetic ECGs drawn by ecgkeras's own renderer")
    score_digitizer.set_defaults(run=_score_digitizer)

    duplicates = commands.add_parser("duplicates", help="report exact and re-encoded duplicates")
    duplicates.add_argument("path", help="folder with class folders (Mendeley layout)")
    duplicates.set_defaults(run=_duplicates)

    bench = commands.add_parser("bench", help="print speed figures")
    bench.add_argument("what", choices=("views", "digitize", "train"))
    bench.add_argument("paths", nargs="*", help="images for `bench digitize`")
    bench.add_argument("--n", type=int, help="signals for `bench views` (default 500), synthetic ECGs for "
                       f"`bench train` (default {_sizes()})")
    bench.add_argument("--against", metavar="REV|DIR", help="a git revision (HEAD: the last commit, HEAD~1: the "
                       "one before) or a folder holding an ecgkeras package, to compare this code with: "
                       "`bench train` (default HEAD); `bench digitize` compares only when it is given")
    bench.add_argument("--repeat", type=int, default=3, metavar="N", help="`bench train`, `bench digitize "
                       "--against`: runs per version, alternating, the best counts (default 3)")
    bench.set_defaults(run=_bench)

    reproduce = commands.add_parser("reproduce", help="train and test every model on every fold and seed")
    reproduce.add_argument("--data", default="synthetic",
                           help="'synthetic' or 'mendeley:PATH' (folder of report images)")
    reproduce.add_argument("--protocol", choices=("leak-free", "naive"), default="leak-free")
    reproduce.add_argument("--folds", type=int, default=5, help="k of k-fold cross-validation")
    reproduce.add_argument("--seeds", type=int, default=1, help="repetitions with seeds 0..N-1")
    reproduce.add_argument("--leads", default="all", help="'all' (12 leads) or one lead, e.g. II")
    reproduce.add_argument("--models", nargs="+", metavar="MODEL",
                           help="a subset, e.g. '1D-CNN' 'Hybrid 1' (default: all seven)")
    reproduce.add_argument("--n", type=int, help=f"synthetic ECGs (default {_sizes()})")
    reproduce.add_argument("--quick", action="store_true", help="quick mode: small data, 3 epochs")
    reproduce.add_argument("--out", required=True, help="output folder (a rerun resumes)")
    reproduce.set_defaults(run=_reproduce)

    analyze = commands.add_parser("analyze", help="complementarity and significance of a reproduce folder")
    analyze.add_argument("folder", help="the --out folder of `ecgkeras reproduce`")
    analyze.add_argument("--out", help="where to write (default FOLDER/analysis)")
    analyze.set_defaults(run=_analyze)

    score = commands.add_parser(
        "score", help="score an assignment submission (or a folder of them) on a held-out split",
        description="Fit a submission on a training split and score it on held-out test ECGs. Each submission "
                    "runs in a Python process of its own, with a time limit, and never gets the test labels. "
                    "Prints a markdown leaderboard on stdout; progress and the submission's own output go "
                    "to stderr. See assignments/README.md.",
        epilog="exit status: " + "; ".join(f"{code} {meaning}" for code, meaning in SCORE_EXIT_CODES.items())
               + ". A folder exits with the highest status of its submissions.")
    score.add_argument("submission", help="the submission's file, e.g. my_model.py or my_model.py:MyModel, or a "
                                          "folder: every .py in it is one submission, one leaderboard")
    score.add_argument("--data", default="synthetic",
                       help="'synthetic' or 'mendeley:PATH' (folder of report images)")
    score.add_argument("--n", type=int, help=f"synthetic ECGs (default {_sizes()})")
    score.add_argument("--seed", type=int, default=0, help="seed of the data, the split and the model")
    score.add_argument("--secret", metavar="TEXT",
                       help="the teacher's secret, mixed into the seeds of the data and the split so that "
                            "nobody can rebuild them from --data/--n/--seed (default: $ECGKERAS_SCORE_SECRET; "
                            "prefer the variable: a command line is visible to other processes). Without "
                            "one, practice mode: the split is reproducible by anyone")
    score.add_argument("--time-limit", type=_positive_seconds, default=1800.0, metavar="SECONDS",
                       help="seconds each submission may run, import, fit and predict together (default "
                            "1800); then it is stopped, exit status 4")
    score.set_defaults(run=_score)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError) as err:
        parser.exit(2, f"ecgkeras {args.command}: error: {err}\n")


if __name__ == "__main__":
    sys.exit(main())
