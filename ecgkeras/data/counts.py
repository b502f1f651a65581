"""The Mendeley data set in numbers: one definition of every count the book states (chapter 3).

Four collections of files are easy to confuse, so each count has its own name, says what it counts
and where the number comes from. Counts per class are tuples in the label order of
``ecgkeras.data.dataset.CLASS_NAMES`` (Normal, Abnormal heartbeat, Myocardial infarction,
History of MI); ``tests/test_mendeley.py`` checks each one against the code or data that makes it.

1. The **published release** (Mendeley Data V2, doi:10.17632/gwbz3fsgp8.2): 928 files.
2. A **re-upload** found online, the source of the book's real images: 2898 files
   (renamed and padded with extra copies such as "HB(8) - Copy.jpg") of only **486 distinct
   images** (``../shared/data/mendeley-distinct``; one row each in ``mendeley_manifest.tsv``).
   All 486 are distinct ECGs: no two are re-encoded copies of one another (``index_folder``
   puts each in a group of its own; the nearest two fingerprints differ in 101 bits).
3. The **rebuilt release**: what ``ecgkeras.data.mendeley.rebuild_release`` makes from the 486
   distinct images by the release's file names, 927 files (the published release less
   "MI(215).jpg", which the re-upload lacks).
4. The **distinct ECGs of the rebuilt release**: 481, not 486, because five abnormal-heartbeat
   images (``DISTINCT_IMAGES_NOT_IN_REBUILT_RELEASE``) appear in the re-upload only under numbers
   above 233, the class's count in the release, so no file of the release shows them.

How many distinct ECGs the *published* release holds is not measured here (its files are not
available). If the re-upload kept the release's file names, as ``rebuild_release`` assumes, it is
481 as well: the re-upload repeats every myocardial-infarction image every 30 numbers, and MI(215)
falls in the run of MI(5) (5, 35, ..., 185, 245, ...), so it is almost certainly one more copy of
MI(5). (An older estimate, "about 491" = 486 + 5, took the abnormal-heartbeat class's 233 files
for 233 distinct images, 5 of them missing from the re-upload; by their names, files 1-233 show
223 ECGs.)
"""

from __future__ import annotations

from ecgkeras.data.dataset import CLASS_NAMES

#: Files per class of the published release (928). Source: the release's files, numbered 1..count
#: within each class (e.g. Normal(1).jpg ... Normal(284).jpg), as given in
#: ``../shared/data/mendeley-distinct/README.md``; not checkable offline (no list of the release's
#: files ships with ``ecgkeras``). ``rebuild_release`` keeps the re-upload's names up to these
#: numbers.
PUBLISHED_RELEASE_COUNTS = (284, 233, 239, 172)

#: Files per class of the re-upload (2898, 1381 of them without " - Copy" in the name). Source:
#: the names in the ``source_names`` column of ``mendeley_manifest.tsv``.
REUPLOAD_FILE_COUNTS = (852, 814, 716, 516)

#: Distinct images per class (486), which are also distinct ECGs. Source: the rows of
#: ``mendeley_manifest.tsv`` (one per MD5 of the re-upload's files), the images of
#: ``../shared/data/mendeley-distinct``; ``index_folder`` on that folder finds 486 groups.
DISTINCT_IMAGE_COUNTS = (142, 228, 30, 86)

#: Files per class of the rebuilt release (927: myocardial infarction 238, the published release's
#: 239 less MI(215)). Source: ``rebuild_release`` on ``mendeley-distinct`` (files written), or
#: without images ``release_copies()`` (copies summed per class).
REBUILT_RELEASE_COUNTS = (284, 233, 238, 172)

#: Distinct ECGs per class of the rebuilt release (481). Source: the groups ``index_folder`` finds
#: in the output of ``rebuild_release`` (= its distinct MD5s), or ``release_copies()`` (ECGs per
#: class).
REBUILT_RELEASE_ECG_COUNTS = (142, 223, 30, 86)

#: The five distinct images that no file of the release shows: in the re-upload they appear only
#: under numbers above the class's 233 (e.g. "HB(272).jpg;HB(388) - Copy.jpg"). Source: the
#: manifest's rows whose ``source_names`` give ``rebuild_release`` no file.
DISTINCT_IMAGES_NOT_IN_REBUILT_RELEASE = (
    "Abnormal_Heartbeat/HB(272).jpg",
    "Abnormal_Heartbeat/HB(275).jpg",
    "Abnormal_Heartbeat/HB(302).jpg",
    "Abnormal_Heartbeat/HB(309).jpg",
    "Abnormal_Heartbeat/HB(330).jpg",
)

#: The file of the published release that the re-upload lacks, so the rebuilt release has 927.
PUBLISHED_FILES_NOT_IN_REUPLOAD = ("Myocardial_Infarction/MI(215).jpg",)

#: Row label -> (counts per class, source), the rows of :func:`dataset_in_numbers`.
DATASET_IN_NUMBERS = {
    "published release: files": (
        PUBLISHED_RELEASE_COUNTS,
        "Mendeley Data V2 (doi:10.17632/gwbz3fsgp8.2): files numbered 1..count per class",
    ),
    "re-upload found online: files": (
        REUPLOAD_FILE_COUNTS,
        "the names each distinct image had in the re-upload (manifest.tsv, source_names)",
    ),
    "re-upload: distinct images (= distinct ECGs)": (
        DISTINCT_IMAGE_COUNTS,
        "one per MD5 (manifest.tsv); no two are re-encoded copies (index_folder)",
    ),
    "rebuilt release: files": (
        REBUILT_RELEASE_COUNTS,
        "rebuild_release: the release's names found in the re-upload (all but MI(215))",
    ),
    "rebuilt release: distinct ECGs": (
        REBUILT_RELEASE_ECG_COUNTS,
        "index_folder on the rebuilt release (5 abnormal-heartbeat images appear only above 233)",
    ),
}


def dataset_in_numbers():
    """The data set in numbers, as a table a chapter can display (chapter 3).

    Returns:
        pandas DataFrame indexed by what is counted (published release, re-upload, rebuilt
        release), with one column per class of ``CLASS_NAMES``, "total" and "source".
    """
    import pandas as pd

    rows = {label: dict(zip(CLASS_NAMES, counts)) | {"total": sum(counts), "source": source}
            for label, (counts, source) in DATASET_IN_NUMBERS.items()}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "what is counted"
    return table
