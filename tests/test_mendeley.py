"""ecgkeras.data.mendeley: indexing, duplicates, rebuilding the release, safe downloads, loading."""

import csv
import hashlib
import io
import re
import shutil
import stat
import time
import zipfile
from pathlib import Path

import numpy as np
import pooch
import pytest
from PIL import Image, ImageDraw

from ecgkeras.data import counts, mendeley
from ecgkeras.data.dataset import CLASS_NAMES, class_from_folder
from ecgkeras.data.mendeley import (
    NEAR_DUPLICATE_BITS,
    download_mendeley,
    extract_zip,
    find_mendeley,
    fingerprint,
    hamming_distances,
    index_folder,
    load_mendeley,
    rebuild_release,
    verify_images,
)


def report_like(seed: int, size=(1100, 780)) -> Image.Image:
    """A pink grid with four rows of random black traces, like a report (not a real ECG)."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", size, (250, 220, 225))
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 20):
        draw.line([(x, 0), (x, size[1])], fill=(240, 170, 180))
    for y in range(0, size[1], 20):
        draw.line([(0, y), (size[0], y)], fill=(240, 170, 180))
    for row in range(4):
        xs = np.arange(20, size[0] - 20, 4)
        ys = 120 + 170 * row + np.cumsum(rng.normal(0, 6, len(xs))).clip(-70, 70)
        draw.line(list(zip(xs.tolist(), ys.tolist())), fill=(20, 20, 20), width=2)
    return image


def save(image: Image.Image, path, quality=90):
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=quality)
    return path


def small_release(root):
    """Normal: a, b, an exact copy of a, a re-encoded copy of a; Myocardial_Infarction: c."""
    a = save(report_like(0), root / "Normal" / "a.jpg")
    save(report_like(1), root / "Normal" / "b.jpg")
    shutil.copyfile(a, root / "Normal" / "a_copy.jpg")
    reencoded = Image.open(a).resize((990, 702))
    save(reencoded, root / "Normal" / "a_reencoded.jpg", quality=60)
    save(report_like(2), root / "Myocardial_Infarction" / "c.jpg")
    return root


def by_name(index):
    return {name.split("/")[-1]: i for i, name in enumerate(index.files)}


# --- fingerprints and grouping -------------------------------------------------------------


def test_fingerprint_known_answers():
    white = fingerprint(Image.new("L", (900, 600), 255))
    black = fingerprint(Image.new("L", (900, 600), 0))
    assert white.shape == (4800,) and white.dtype == np.uint8
    assert white.sum() == 0 and black.sum() == 4800
    assert hamming_distances(np.stack([white, black, white])).tolist() == [[0, 4800, 0], [4800, 0, 4800], [0, 4800, 0]]


def test_index_finds_exact_and_reencoded_copies(tmp_path):
    index = index_folder(small_release(tmp_path))
    at = by_name(index)
    assert len(index) == 5 and index.skipped == []
    assert index.md5[at["a.jpg"]] == index.md5[at["a_copy.jpg"]] != index.md5[at["a_reencoded.jpg"]]
    assert index.groups[at["a.jpg"]] == index.groups[at["a_copy.jpg"]] == index.groups[at["a_reencoded.jpg"]]
    assert len({index.groups[at["a.jpg"]], index.groups[at["b.jpg"]], index.groups[at["c.jpg"]]}) == 3
    assert sorted(np.unique(index.groups).tolist()) == [0, 1, 2]
    assert index.labels[at["c.jpg"]] == 2 and index.labels[at["b.jpg"]] == 0
    assert index.fingerprints.shape == (5, 4800)
    normal_line = next(line for line in index.report().splitlines() if line.startswith("Normal"))
    assert normal_line.split() == ["Normal", "4", "2", "1", "1"]


def test_threshold_zero_keeps_reencoded_copy_apart(tmp_path):
    index = index_folder(small_release(tmp_path), near_duplicate_bits=0)
    at = by_name(index)
    assert index.groups[at["a.jpg"]] == index.groups[at["a_copy.jpg"]] != index.groups[at["a_reencoded.jpg"]]


def test_long_nested_class_folder_names(tmp_path):
    top = tmp_path / "ECG Images dataset of Cardiac Patients"
    names = {
        "Normal Person ECG Images (284x12=3408)": 0,
        "ECG Images of Patient that have abnormal heartbeat (233x12=2796)": 1,
        "ECG Images of Myocardial Infarction Patients (240x12=2880)": 2,
        "ECG Images of Patient that have History of MI (172x12=2064)": 3,
    }
    for seed, folder in enumerate(names):
        save(report_like(seed), top / folder / f"img{seed}.jpg")
    index = index_folder(tmp_path)
    assert [index.labels[i] for i in range(4)] == [names[f.split("/")[-2]] for f in index.files]
    assert sorted(index.labels.tolist()) == [0, 1, 2, 3]


def test_copy_in_two_classes_is_a_labelling_conflict(tmp_path):
    a = save(report_like(0), tmp_path / "Normal" / "a.jpg")
    save(report_like(1), tmp_path / "Normal" / "b.jpg")
    (tmp_path / "History_of_MI").mkdir()
    shutil.copyfile(a, tmp_path / "History_of_MI" / "same.jpg")
    index = index_folder(tmp_path)
    conflicts = index.conflicts()
    assert len(conflicts) == 1
    assert sorted(f.split("/")[-1] for f in next(iter(conflicts.values()))) == ["a.jpg", "same.jpg"]
    assert "labelling conflicts (one ECG in several classes): 1" in index.report()


# --- bad input -----------------------------------------------------------------------------


def test_unreadable_files_are_skipped_with_reasons(tmp_path):
    small_release(tmp_path)
    good = (tmp_path / "Normal" / "b.jpg").read_bytes()
    (tmp_path / "Normal" / "truncated.jpg").write_bytes(good[: len(good) // 3])
    (tmp_path / "Normal" / "text.jpg").write_text("this is not a JPEG")
    (tmp_path / "Normal" / "notes.txt").write_text("a note")
    save(report_like(5), tmp_path / "Misc" / "stray.jpg")
    (tmp_path / "__MACOSX" / "Normal").mkdir(parents=True)
    (tmp_path / "__MACOSX" / "Normal" / "._a.jpg").write_bytes(b"\x00\x05")
    index = index_folder(tmp_path)
    reasons = {path.split("/")[-1]: reason for path, reason in index.skipped}
    assert len(index) == 5
    assert "truncated" in reasons["truncated.jpg"]
    assert "not an image" in reasons["text.jpg"]
    assert "not an image file" in reasons["notes.txt"]
    assert "not a class folder" in reasons["Misc"] and "1 image files" in reasons["Misc"]
    assert "macOS" in reasons["__MACOSX"]
    report = index.report()
    assert "skipped: 5" in report and "truncated.jpg" in report


def test_empty_class_folder_is_an_error(tmp_path):
    small_release(tmp_path)
    (tmp_path / "History_of_MI").mkdir()
    with pytest.raises(ValueError, match="History_of_MI.*empty"):
        index_folder(tmp_path)


def test_folder_without_class_folders_is_an_error(tmp_path):
    save(report_like(0), tmp_path / "images" / "a.jpg")
    with pytest.raises(ValueError, match="no class folders.*Normal"):
        index_folder(tmp_path)


def test_missing_root_and_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.*no such folder"):
        index_folder(tmp_path / "nowhere")
    (tmp_path / "file.jpg").write_text("x")
    with pytest.raises(NotADirectoryError, match="file.jpg"):
        index_folder(tmp_path / "file.jpg")
    with pytest.raises(ValueError, match="near_duplicate_bits"):
        index_folder(tmp_path, near_duplicate_bits=-1)


def test_only_unreadable_images_is_an_error(tmp_path):
    (tmp_path / "Normal").mkdir()
    (tmp_path / "Normal" / "broken.jpg").write_text("no image")
    with pytest.raises(ValueError, match="no readable image"):
        index_folder(tmp_path)


# --- the real images -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def distinct_index(mendeley_distinct_dir):
    return index_folder(mendeley_distinct_dir)


@pytest.fixture(scope="module")
def release_dir(mendeley_distinct_dir, tmp_path_factory):
    return rebuild_release(mendeley_distinct_dir, tmp_path_factory.mktemp("release"), link="symlink")


def test_distinct_images_have_no_near_duplicates(distinct_index):
    assert len(distinct_index) == 486 == sum(counts.DISTINCT_IMAGE_COUNTS)
    assert len(np.unique(distinct_index.groups)) == 486
    assert tuple(np.bincount(distinct_index.labels)) == counts.DISTINCT_IMAGE_COUNTS == (142, 228, 30, 86)
    assert [len(np.unique(distinct_index.groups[distinct_index.labels == c])) for c in range(4)] == list(
        counts.DISTINCT_IMAGE_COUNTS)
    assert distinct_index.skipped == [] and distinct_index.conflicts() == {}
    distances = hamming_distances(distinct_index.fingerprints)
    np.fill_diagonal(distances, 4800)
    assert distances.min() > NEAR_DUPLICATE_BITS


def test_rebuilt_release_has_927_files_of_481_ecgs(release_dir, mendeley_distinct_dir):
    """``ecgkeras.data.counts``' rebuilt-release counts are what rebuild_release and index_folder give."""
    index = index_folder(release_dir)
    assert len(index) == 927 == sum(counts.REBUILT_RELEASE_COUNTS)
    assert len(np.unique(index.groups)) == 481 == len(set(index.md5)) == sum(counts.REBUILT_RELEASE_ECG_COUNTS)
    assert tuple(np.bincount(index.labels)) == counts.REBUILT_RELEASE_COUNTS == (284, 233, 238, 172)
    assert tuple(len(np.unique(index.groups[index.labels == c])) for c in range(4)) == (
        counts.REBUILT_RELEASE_ECG_COUNTS) == (142, 223, 30, 86)
    used = {Path(file).resolve() for file in index.files}
    distinct = {path.resolve() for path in Path(mendeley_distinct_dir).rglob("*.jpg")}
    assert sorted(str(path.relative_to(Path(mendeley_distinct_dir).resolve())) for path in distinct - used) == list(
        counts.DISTINCT_IMAGES_NOT_IN_REBUILT_RELEASE)
    mi_line = next(line for line in index.report().splitlines() if line.startswith("Myocardial"))
    assert mi_line.split()[2:] == ["238", "30", "208", "0"]


def test_full_resolution_originals_group_with_their_half_size_copies(mendeley_sample_dir, mendeley_distinct_dir,
                                                                      tmp_path):
    """The sample holds the originals, the distinct folder re-encoded half-size copies: real re-encodings."""
    manifest = {row["md5"]: row for row in csv.DictReader(open(mendeley_distinct_dir / "manifest.tsv"), delimiter="\t")}
    originals = sorted((mendeley_sample_dir / "Normal").glob("*.jpg"))
    for original in originals:
        row = manifest[hashlib.md5(original.read_bytes()).hexdigest()]
        (tmp_path / "Normal").mkdir(exist_ok=True)
        (tmp_path / "Normal" / f"full_{original.name}").symlink_to(original)
        (tmp_path / "Normal" / f"half_{original.name}").symlink_to(mendeley_distinct_dir / row["class"] / row["file"])
    index = index_folder(tmp_path)
    assert len(index) == 8 and len(set(index.md5)) == 8
    assert len(np.unique(index.groups)) == 4
    at = by_name(index)
    for original in originals:
        assert index.groups[at[f"full_{original.name}"]] == index.groups[at[f"half_{original.name}"]]


def test_verify_images_against_packaged_manifest(mendeley_sample_dir, tmp_path):
    assert verify_images(mendeley_sample_dir) == {
        "files": 16, "matched": 16, "unknown": [], "wrong_class": [], "missing": 486 - 16,
    }
    shutil.copytree(mendeley_sample_dir, tmp_path / "copy")
    first_normal = sorted((tmp_path / "copy" / "Normal").glob("*.jpg"))[0]
    first_normal.write_bytes(first_normal.read_bytes() + b"tampered")
    moved = sorted((tmp_path / "copy" / "History_of_MI").glob("*.jpg"))[0]
    moved.rename(tmp_path / "copy" / "Normal" / moved.name)
    checked = verify_images(tmp_path / "copy")
    assert checked["matched"] == 14
    assert checked["unknown"] == [str(first_normal)]
    assert checked["wrong_class"] == [(str(tmp_path / "copy" / "Normal" / moved.name), "History of MI")]


@pytest.mark.slow
def test_load_mendeley_sample_with_cache(mendeley_sample_dir, tmp_path, monkeypatch):
    pytest.importorskip("ecgkeras.data.digitize", reason="the digitizer is not written yet")
    monkeypatch.setenv("ECGKERAS_CACHE_DIR", str(tmp_path / "cache"))
    started = time.perf_counter()
    data = load_mendeley(mendeley_sample_dir, progress=False)
    first = time.perf_counter() - started
    assert data.signals.shape == (16, 250, 12) and data.rhythm.shape == (16, 1000)
    assert np.bincount(data.labels).tolist() == [4, 4, 4, 4]
    assert len(np.unique(data.groups)) == 16
    assert data.info["source"] == "mendeley" and data.info["skipped"] == []
    assert np.isfinite(data.signals).all() and np.abs(data.signals).max() < 10  # mV
    assert len(list((tmp_path / "cache" / "digitized").rglob("*.npz"))) == 16
    started = time.perf_counter()
    again = load_mendeley(mendeley_sample_dir, progress=False)
    assert time.perf_counter() - started < first / 2
    np.testing.assert_array_equal(again.signals, data.signals)
    np.testing.assert_array_equal(again.rhythm, data.rhythm)


def test_load_mendeley_reports_images_it_cannot_digitize(mendeley_sample_dir, tmp_path, monkeypatch):
    pytest.importorskip("ecgkeras.data.digitize", reason="the digitizer is not written yet")
    monkeypatch.setenv("ECGKERAS_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "data" / "Normal").mkdir(parents=True)
    shutil.copy(sorted((mendeley_sample_dir / "Normal").glob("*.jpg"))[0], tmp_path / "data" / "Normal")
    save(Image.new("RGB", (1100, 780), "white"), tmp_path / "data" / "Normal" / "blank.jpg")
    data = load_mendeley(tmp_path / "data", progress=False)
    assert len(data) == 1 and data.files[0].endswith(".jpg") and "blank" not in data.files[0]
    assert [path.split("/")[-1] for path, _ in data.info["skipped"]] == ["blank.jpg"]
    assert "could not be digitized" in data.info["skipped"][0][1]


# --- rebuilding the release ----------------------------------------------------------------


def tiny_distinct(root):
    save(report_like(0), root / "Normal" / "Normal(1).jpg")
    save(report_like(1), root / "History_of_MI" / "PMI(3).jpg")
    with open(root / "manifest.tsv", "w") as handle:
        handle.write("class\tfile\tmd5\tbytes\tsource_names\n")
        handle.write("Normal\tNormal(1).jpg\tx\t1\t"
                     "Normal(1).jpg;Normal(284).jpg;Normal(285).jpg;Normal(7) - Copy.jpg\n")
        handle.write("History_of_MI\tPMI(3).jpg\tx\t1\tPMI(3).jpg;PMI(173).jpg\n")
    return root


@pytest.mark.parametrize("link", ["hardlink", "symlink", "copy"])
def test_rebuild_release_follows_the_readme_rule(tmp_path, link):
    distinct = tiny_distinct(tmp_path / "distinct")
    out = rebuild_release(distinct, tmp_path / "out", link=link)
    assert out == tmp_path / "out"
    made = sorted(str(p.relative_to(out)) for p in out.rglob("*.jpg"))
    assert made == ["History_of_MI/PMI(3).jpg", "Normal/Normal(1).jpg", "Normal/Normal(284).jpg"]
    copy = out / "Normal" / "Normal(284).jpg"
    assert copy.read_bytes() == (distinct / "Normal" / "Normal(1).jpg").read_bytes()
    assert copy.is_symlink() == (link == "symlink")
    assert copy.samefile(distinct / "Normal" / "Normal(1).jpg") == (link != "copy")
    rebuild_release(distinct, out, link=link)  # a second run replaces the files
    assert len(list(out.rglob("*.jpg"))) == 3


def test_rebuild_release_bad_input(tmp_path):
    distinct = tiny_distinct(tmp_path / "distinct")
    with pytest.raises(ValueError, match="link must be"):
        rebuild_release(distinct, tmp_path / "out", link="move")
    with pytest.raises(FileNotFoundError, match="manifest.tsv"):
        rebuild_release(tmp_path / "nowhere", tmp_path / "out")
    (distinct / "Normal" / "Normal(1).jpg").unlink()
    with pytest.raises(FileNotFoundError, match=r"Normal\(1\).jpg is listed"):
        rebuild_release(distinct, tmp_path / "out")


# --- downloads (never the network: archives built here, fetched through file:// URLs) ------


def make_zip(path, members):
    """members: name -> bytes; a bytes value None makes a symbolic link to '/etc/passwd'."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            if data is None:
                info = zipfile.ZipInfo(name)
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                archive.writestr(info, "/etc/passwd")
            else:
                archive.writestr(name, data)
    return path


def jpeg_bytes(seed):
    buffer = io.BytesIO()
    report_like(seed).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


@pytest.fixture
def good_zip(tmp_path):
    return make_zip(tmp_path / "good.zip", {
        "ECG Images dataset of Cardiac Patients/Normal Person ECG Images (284x12=3408)/Normal(1).jpg": jpeg_bytes(0),
        "ECG Images dataset of Cardiac Patients/ECG Images of Myocardial Infarction Patients (240x12=2880)/MI(1).jpg": jpeg_bytes(1),  # noqa: E501
        "ECG Images dataset of Cardiac Patients/ECG Images of Myocardial Infarction Patients (240x12=2880)/MI(2).jpg": jpeg_bytes(1),  # noqa: E501
    })


def test_download_extracts_and_caches(good_zip, tmp_path):
    sha = "sha256:" + pooch.file_hash(str(good_zip))
    root = download_mendeley(tmp_path / "dest", url=good_zip.as_uri(), known_hash=sha, progress=False)
    assert root == tmp_path / "dest" / "images" / "ECG Images dataset of Cardiac Patients"
    index = index_folder(root)
    assert len(index) == 3 and sorted(index.labels.tolist()) == [0, 2, 2]
    assert len(np.unique(index.groups)) == 2
    good_zip.unlink()  # a second call must not fetch again
    assert download_mendeley(tmp_path / "dest", url=good_zip.as_uri(), known_hash=sha, progress=False) == root


def test_download_rejects_a_tampered_archive(good_zip, tmp_path):
    sha = "sha256:" + pooch.file_hash(str(good_zip))
    with zipfile.ZipFile(good_zip, "a") as archive:
        archive.writestr("extra.txt", "tampered")
    with pytest.raises(ValueError, match="(?i)hash.*data.mendeley.com"):
        download_mendeley(tmp_path / "dest", url=good_zip.as_uri(), known_hash=sha, progress=False)
    assert not (tmp_path / "dest" / "images").exists()


@pytest.mark.parametrize("evil", ["../evil.jpg", "Normal/../../evil.jpg", "ABSOLUTE", "Normal/link.jpg"])
def test_download_refuses_members_that_escape(tmp_path, evil):
    target = tmp_path / "outside" / "evil.jpg"
    name = str(target) if evil == "ABSOLUTE" else evil
    archive = make_zip(tmp_path / "evil.zip", {
        "Normal/Normal(1).jpg": jpeg_bytes(0),
        name: None if evil.endswith("link.jpg") else b"evil",
    })
    dest = tmp_path / "deep" / "dest"
    with pytest.raises(ValueError, match="refusing to extract.*Nothing was extracted"):
        download_mendeley(dest, url=archive.as_uri(), known_hash=None, progress=False)
    assert not target.exists() and not (tmp_path / "evil.jpg").exists()
    assert not (tmp_path / "deep" / "evil.jpg").exists()
    assert not (dest / "images").exists()
    assert [p.name for p in dest.iterdir()] == ["gwbz3fsgp8-v2.zip"]


def test_extract_zip_rejects_non_zip(tmp_path):
    (tmp_path / "fake.zip").write_text("not a zip")
    with pytest.raises(ValueError, match="not a valid zip"):
        extract_zip(tmp_path / "fake.zip", tmp_path / "out")


def test_failed_download_explains_the_manual_route(tmp_path):
    with pytest.raises(ConnectionError, match="ECGKERAS_MENDELEY_DIR"):
        download_mendeley(tmp_path / "dest", url=(tmp_path / "missing.zip").as_uri(), known_hash=None, progress=False)


def test_unpinned_hash_warns_and_checks_images(good_zip, tmp_path, capsys):
    assert mendeley.MENDELEY_SHA256 is None
    with pytest.warns(UserWarning, match="not pinned"):
        download_mendeley(tmp_path / "dest", url=good_zip.as_uri(), progress=False)
    assert "3 unknown" in capsys.readouterr().out


def test_find_mendeley_order(good_zip, tmp_path, monkeypatch):
    monkeypatch.setenv("ECGKERAS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ECGKERAS_MENDELEY_DIR", raising=False)
    assert find_mendeley() is None
    root = download_mendeley(url=good_zip.as_uri(), known_hash=None, progress=False)
    assert root.is_relative_to(tmp_path / "cache") and find_mendeley() == root
    monkeypatch.setenv("ECGKERAS_MENDELEY_DIR", str(tmp_path))
    assert find_mendeley() == tmp_path
    monkeypatch.setenv("ECGKERAS_MENDELEY_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="ECGKERAS_MENDELEY_DIR=.*nowhere"):
        find_mendeley()


def test_release_copies_match_the_published_release():
    from ecgkeras.data.mendeley import release_copies

    labels, copies = release_copies()
    assert len(labels) == 481 and copies.sum() == 927
    assert np.bincount(labels, weights=copies).tolist() == [284, 233, 238, 172]
    assert np.bincount(labels).tolist() == [142, 223, 30, 86]
    assert tuple(np.bincount(labels, weights=copies).astype(int)) == counts.REBUILT_RELEASE_COUNTS
    assert tuple(np.bincount(labels)) == counts.REBUILT_RELEASE_ECG_COUNTS


# --- the data set in numbers (ecgkeras.data.counts), against the packaged manifest ---------


def _manifest_by_class():
    by_class = {label: [] for label in range(len(CLASS_NAMES))}
    for row in mendeley._packaged_manifest():
        by_class[class_from_folder(row["class"])].append(row)
    return by_class


def _number(name):
    return int(re.search(r"\((\d+)\)", name).group(1))


def test_counts_have_their_totals_and_the_old_name():
    assert [sum(c) for c in (counts.PUBLISHED_RELEASE_COUNTS, counts.REUPLOAD_FILE_COUNTS,
                             counts.DISTINCT_IMAGE_COUNTS, counts.REBUILT_RELEASE_COUNTS,
                             counts.REBUILT_RELEASE_ECG_COUNTS)] == [928, 2898, 486, 927, 481]
    assert mendeley.RELEASE_COUNTS == mendeley.PUBLISHED_RELEASE_COUNTS == (284, 233, 239, 172)
    assert mendeley.REBUILT_RELEASE_COUNTS != mendeley.PUBLISHED_RELEASE_COUNTS


def test_counts_match_the_packaged_manifest():
    by_class = _manifest_by_class()
    assert tuple(len(rows) for rows in by_class.values()) == counts.DISTINCT_IMAGE_COUNTS
    assert tuple(sum(len(row["source_names"].split(";")) for row in rows)
                 for rows in by_class.values()) == counts.REUPLOAD_FILE_COUNTS
    unused, missing = [], []
    for label, rows in by_class.items():
        names = {name for row in rows for name in mendeley._release_names(row, label, "manifest")}
        unused += [f"{row['class']}/{row['file']}" for row in rows if not mendeley._release_names(row, label, "m")]
        numbers = {_number(name) for name in names}
        missing += [(label, n) for n in range(1, counts.PUBLISHED_RELEASE_COUNTS[label] + 1) if n not in numbers]
        assert len(names) == counts.REBUILT_RELEASE_COUNTS[label]
    assert sorted(unused) == list(counts.DISTINCT_IMAGES_NOT_IN_REBUILT_RELEASE)
    assert [f"Myocardial_Infarction/MI({n}).jpg" for label, n in missing] == list(
        counts.PUBLISHED_FILES_NOT_IN_REUPLOAD)
    assert np.subtract(counts.PUBLISHED_RELEASE_COUNTS, counts.REBUILT_RELEASE_COUNTS).tolist() == [0, 0, 1, 0]
    assert np.subtract(counts.DISTINCT_IMAGE_COUNTS, counts.REBUILT_RELEASE_ECG_COUNTS).tolist() == [0, 5, 0, 0]


def test_the_missing_release_file_falls_in_the_run_of_one_mi_image():
    """Each MI image recurs every 30 numbers; MI(215) is the gap in MI(5)'s run (counts' docstring)."""
    mi = _manifest_by_class()[CLASS_NAMES.index("Myocardial infarction")]
    runs = {row["file"]: sorted(_number(n) for n in row["source_names"].split(";") if " - Copy" not in n)
            for row in mi}
    assert all(len({n % 30 for n in numbers}) == 1 for numbers in runs.values())
    gaps = {file: sorted(set(range(numbers[0], numbers[-1] + 1, 30)) - set(numbers)) for file, numbers in runs.items()}
    assert {file: gap for file, gap in gaps.items() if gap} == {"MI(5).jpg": [215]}


def test_dataset_in_numbers_table():
    table = mendeley.dataset_in_numbers()
    assert list(table.columns) == [*CLASS_NAMES, "total", "source"]
    assert table["total"].tolist() == [928, 2898, 486, 927, 481]
    assert tuple(table.loc["published release: files", list(CLASS_NAMES)]) == counts.PUBLISHED_RELEASE_COUNTS
    assert tuple(table.loc["rebuilt release: files", list(CLASS_NAMES)]) == counts.REBUILT_RELEASE_COUNTS
    assert tuple(table.loc["rebuilt release: distinct ECGs", list(CLASS_NAMES)]) == counts.REBUILT_RELEASE_ECG_COUNTS
    assert table["source"].str.len().min() > 10


def test_readme_states_the_data_set_in_numbers():
    """README.md's table "The data set in numbers" is ``dataset_in_numbers()`` without its sources."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("### The data set in numbers", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("| ")]
    stated = {cells[0].strip(): [int(cell) for cell in cells[1:]] for cells in rows[1:]}
    table = mendeley.dataset_in_numbers()
    assert rows[0][1:] == [f" {name} " for name in [*CLASS_NAMES, "total"]]
    assert stated == {label: [int(v) for v in row[[*CLASS_NAMES, "total"]]] for label, row in table.iterrows()}
