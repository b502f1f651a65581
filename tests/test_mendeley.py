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

from ecgkeras.data import counts, mendeley, mendeley_download, release
from ecgkeras.data.class_folders import SKIP_OUTSIDE_CLASS_FOLDERS
from ecgkeras.data.dataset import CLASS_NAMES, class_from_folder
from ecgkeras.data.duplicates import SKIP_CLASS_CONFLICT, index_class_folders
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


def test_reencoded_copy_in_two_classes_is_a_labelling_conflict(tmp_path):
    a = save(report_like(0), tmp_path / "Normal" / "a.jpg")
    save(report_like(1), tmp_path / "Normal" / "b.jpg")
    save(Image.open(a), tmp_path / "History_of_MI" / "same.jpg", quality=60)  # other bytes, same ECG
    index = index_folder(tmp_path)
    conflicts = index.conflicts()
    assert len(conflicts) == 1
    assert sorted(f.split("/")[-1] for f in next(iter(conflicts.values()))) == ["a.jpg", "same.jpg"]


def test_one_image_in_two_class_folders_is_an_error_naming_both_paths(tmp_path):
    a = save(report_like(0), tmp_path / "Normal" / "a.jpg")
    save(report_like(1), tmp_path / "Normal" / "b.jpg")
    (tmp_path / "History_of_MI").mkdir()
    same = Path(shutil.copyfile(a, tmp_path / "History_of_MI" / "same.jpg"))
    with pytest.raises(ValueError, match="same image is in two class folders") as error:
        index_folder(tmp_path)
    assert str(a) in str(error.value) and str(same) in str(error.value) and "conflicts='skip'" in str(error.value)
    index = index_class_folders(tmp_path, conflicts="skip")
    assert [Path(f).name for f in index.files] == ["b.jpg"]
    assert index.skip_counts[SKIP_CLASS_CONFLICT] == 2 and index.found == 3
    assert sorted(Path(path).name for path, reason in index.skipped if SKIP_CLASS_CONFLICT in reason) == [
        "a.jpg", "same.jpg"]
    with pytest.raises(ValueError, match="conflicts must be one of"):
        index_class_folders(tmp_path, conflicts="first")


def test_class_folders_are_matched_by_their_whole_known_names(tmp_path):
    root = tmp_path / "ecg_history_backup"
    save(report_like(0), root / "Normal" / "a.jpg")
    save(report_like(1), root / "Not_Normal" / "b.jpg")
    save(report_like(2), root / "Paranormal" / "c.jpg")
    save(report_like(3), root / "d.jpg")  # in the root, whose name holds "history"
    index = index_folder(root)
    assert [Path(f).name for f in index.files] == ["a.jpg"] and index.labels.tolist() == [0]
    assert index.unknown_folders == [str(root), str(root / "Not_Normal"), str(root / "Paranormal")]
    assert index.skip_counts[SKIP_OUTSIDE_CLASS_FOLDERS] == 3 and index.found == 4
    for name in ("Not_Normal", "Paranormal", "ecg_history_backup", "HB", "normal_backup"):
        assert class_from_folder(name) is None, name
    assert class_from_folder(" normal ") == 0


def test_a_class_folder_that_is_a_symbolic_link_is_followed(tmp_path):
    save(report_like(0), tmp_path / "elsewhere" / "Myocardial_Infarction" / "MI(1).jpg")
    save(report_like(1), tmp_path / "data" / "Normal" / "Normal(1).jpg")
    (tmp_path / "data" / "Myocardial_Infarction").symlink_to(tmp_path / "elsewhere" / "Myocardial_Infarction")
    index = index_folder(tmp_path / "data")
    assert sorted(index.labels.tolist()) == [0, 2]
    assert any(f.endswith("Myocardial_Infarction/MI(1).jpg") for f in index.files)


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


def test_an_image_over_the_pixel_limit_is_skipped_by_the_index(tmp_path, monkeypatch):
    small_release(tmp_path)
    Image.new("RGB", (2000, 1000), "white").save(tmp_path / "Normal" / "huge.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1100 * 780)
    index = index_folder(tmp_path)
    assert len(index) == 5 and index.found == 6
    reasons = {path.split("/")[-1]: reason for path, reason in index.skipped}
    assert "decompression-bomb limit" in reasons["huge.png"]


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
    checked = verify_images(mendeley_sample_dir)
    assert {key: checked[key] for key in ("files", "matched", "unknown", "unlisted", "wrong_class", "missing")} == {
        "files": 16, "matched": 16, "unknown": [], "unlisted": [], "wrong_class": [], "missing": 486 - 16,
    }
    # 16 of the release's images are not all of it: every other listed image is missing, but the five
    # that no release file shows may be.
    assert len(checked["missing_unexpected"]) == 486 - 16 - 5 and not checked["complete"]
    assert not set(checked["missing_unexpected"]) & set(counts.DISTINCT_IMAGES_NOT_IN_REBUILT_RELEASE)
    shutil.copytree(mendeley_sample_dir, tmp_path / "copy")
    first_normal = sorted((tmp_path / "copy" / "Normal").glob("*.jpg"))[0]
    first_normal.write_bytes(first_normal.read_bytes() + b"tampered")
    moved = sorted((tmp_path / "copy" / "History_of_MI").glob("*.jpg"))[0]
    moved.rename(tmp_path / "copy" / "Normal" / moved.name)
    checked = verify_images(tmp_path / "copy")
    assert checked["matched"] == 14
    assert checked["unknown"] == [str(first_normal)] and checked["unlisted"] == []
    assert checked["wrong_class"] == [(str(tmp_path / "copy" / "Normal" / moved.name), "History of MI")]
    assert any("1 Normal images that the manifest does not list" in p for p in checked["problems"])
    assert any("another class" in p and moved.name in p for p in checked["problems"])


@pytest.fixture
def tiny_manifest(monkeypatch):
    """A packaged manifest of four images (one per class; the second HB image appears in no release file)."""
    images = {("Normal", "Normal(1).jpg"): jpeg_bytes(10), ("Abnormal_Heartbeat", "HB(1).jpg"): jpeg_bytes(11),
              ("Abnormal_Heartbeat", "HB(300).jpg"): jpeg_bytes(12),
              ("Myocardial_Infarction", "MI(1).jpg"): jpeg_bytes(13), ("History_of_MI", "PMI(1).jpg"): jpeg_bytes(14)}
    rows = [{"class": folder, "file": name, "md5": hashlib.md5(data).hexdigest(), "source_names": name}
            for (folder, name), data in images.items()]
    monkeypatch.setattr(mendeley_download, "packaged_manifest", lambda: rows)
    return images


def test_a_whole_download_passes_and_what_the_manifest_cannot_list_is_allowed_and_named(tiny_manifest, tmp_path):
    members = {f"top/{folder}/{name}": data for (folder, name), data in tiny_manifest.items() if name != "HB(300).jpg"}
    members["top/Myocardial_Infarction/MI(215).jpg"] = jpeg_bytes(20)  # the file the re-upload lacks
    members["top/Abnormal_Heartbeat/HB(230).jpg"] = jpeg_bytes(21)
    archive = make_zip(tmp_path / "whole.zip", members)
    with pytest.warns(UserWarning, match="not pinned"):
        root = download_mendeley(tmp_path / "dest", url=archive.as_uri(), progress=False)
    assert (tmp_path / "dest" / "images" / ".complete").exists() and root.name == "top"
    checked = verify_images(root)
    assert checked["complete"] and sorted(Path(p).name for p in checked["unlisted"]) == ["HB(230).jpg", "MI(215).jpg"]
    assert checked["missing"] == 1 and checked["missing_unexpected"] == []  # HB(300) is in no release file


@pytest.mark.parametrize("change", ["two unknown MI files", "a listed image missing", "an altered image",
                                    "an image in the wrong class"])
def test_an_incomplete_or_altered_download_fails_and_is_not_marked_complete(tiny_manifest, tmp_path, change):
    members = {f"top/{folder}/{name}": data for (folder, name), data in tiny_manifest.items() if name != "HB(300).jpg"}
    if change == "two unknown MI files":
        members["top/Myocardial_Infarction/MI(215).jpg"] = jpeg_bytes(20)
        members["top/Myocardial_Infarction/MI(216).jpg"] = jpeg_bytes(21)
        expected = "2 Myocardial infarction images that the manifest does not list"
    elif change == "a listed image missing":
        del members["top/History_of_MI/PMI(1).jpg"]
        expected = "1 manifest images missing or altered: History_of_MI/PMI[(]1[)].jpg"
    elif change == "an altered image":
        members["top/History_of_MI/PMI(1).jpg"] += b"x"
        expected = "1 History of MI images that the manifest does not list"
    else:
        members["top/Normal/PMI(1).jpg"] = members.pop("top/History_of_MI/PMI(1).jpg")
        expected = "in another class than the manifest's.*PMI[(]1[)].jpg"
    archive = make_zip(tmp_path / "changed.zip", members)
    with pytest.warns(UserWarning, match="not pinned"), pytest.raises(ValueError, match=expected):
        download_mendeley(tmp_path / "dest", url=archive.as_uri(), progress=False)
    assert not (tmp_path / "dest" / "images").exists()
    assert [p.name for p in (tmp_path / "dest").iterdir()] == ["gwbz3fsgp8-v2.zip"]


def test_extract_zip_refuses_too_many_files_or_bytes_before_extracting(tmp_path, monkeypatch):
    archive = make_zip(tmp_path / "many.zip", {f"Normal/{i}.jpg": b"x" * 100 for i in range(5)})
    monkeypatch.setattr(mendeley_download, "MAX_ARCHIVE_FILES", 4)
    with pytest.raises(ValueError, match="refusing to extract 5 files of 500 bytes.*more than 4 files"):
        extract_zip(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    monkeypatch.setattr(mendeley_download, "MAX_ARCHIVE_FILES", 5000)
    monkeypatch.setattr(mendeley_download, "MAX_EXTRACTED_BYTES", 499)
    with pytest.raises(ValueError, match="more than 5000 files or 499 bytes"):
        extract_zip(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    monkeypatch.setattr(mendeley_download, "MAX_EXTRACTED_BYTES", 500)
    assert len(list(extract_zip(archive, tmp_path / "out").rglob("*.jpg"))) == 5


def test_extract_zip_counts_the_bytes_it_writes_when_the_sizes_lie(tmp_path, monkeypatch):
    archive = make_zip(tmp_path / "liar.zip", {f"Normal/{i}.jpg": b"x" * 100 for i in range(3)})
    real_infolist = zipfile.ZipFile.infolist

    def declaring_less(self):
        members = real_infolist(self)
        for member in members:
            member.file_size = 1  # what a crafted archive may declare
        return members

    monkeypatch.setattr(zipfile.ZipFile, "infolist", declaring_less)
    monkeypatch.setattr(mendeley_download, "MAX_EXTRACTED_BYTES", 250)
    with pytest.raises((ValueError, zipfile.BadZipFile)) as error:
        extract_zip(archive, tmp_path / "out")
    assert not list((tmp_path / "out").rglob("*.jpg")), "the files written before the limit are removed"
    if error.type is ValueError:
        assert "more than 250 bytes" in str(error.value) or "not a valid zip" in str(error.value)


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


def test_load_mendeley_reports_images_it_cannot_digitize(mendeley_sample_dir, tmp_path, monkeypatch, capsys):
    pytest.importorskip("ecgkeras.data.digitize", reason="the digitizer is not written yet")
    monkeypatch.setenv("ECGKERAS_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "data" / "Normal").mkdir(parents=True)
    shutil.copy(sorted((mendeley_sample_dir / "Normal").glob("*.jpg"))[0], tmp_path / "data" / "Normal")
    save(Image.new("RGB", (1100, 780), "white"), tmp_path / "data" / "Normal" / "blank.jpg")
    (tmp_path / "data" / "Normal" / "broken.jpg").write_text("not an image")
    save(report_like(0), tmp_path / "data" / "Not_Normal" / "stray.jpg")
    (tmp_path / "data" / "README.txt").write_text("notes")
    data = load_mendeley(tmp_path / "data", progress=False)
    assert len(data) == 1 and data.files[0].endswith(".jpg") and "blank" not in data.files[0]
    skipped = {path.split("/")[-1]: reason for path, reason in data.info["skipped"]}
    assert sorted(skipped) == ["Not_Normal", "blank.jpg", "broken.jpg"]
    assert "no dark trace pixels" in skipped["blank.jpg"] and "not an image" in skipped["broken.jpg"]
    loading = data.info["loading"]
    assert {key: loading[key] for key in ("found", "used", "skipped")} == {"found": 4, "used": 1, "skipped": 3}
    assert loading["skipped_by_reason"] == {"image file outside the class folders": 1,
                                            "not a readable image (damaged, wrong format or too many pixels)": 1,
                                            "not digitizable as a 12-lead report": 1}
    assert loading["unknown_folders"] == [str(tmp_path / "data" / "Not_Normal")]
    assert sum(loading["skipped_by_reason"].values()) == loading["skipped"]
    printed = capsys.readouterr().out
    assert "4 image files found, 1 used, 3 skipped" in printed and loading["summary"] in printed
    assert str(tmp_path) not in loading["summary"]  # the folder's name, not a path of this machine


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


def test_unpinned_hash_warns_and_checks_images(good_zip, tmp_path):
    assert mendeley.MENDELEY_SHA256 is None
    with pytest.warns(UserWarning, match="not pinned"), pytest.raises(ValueError, match="does not list"):
        download_mendeley(tmp_path / "dest", url=good_zip.as_uri(), progress=False)
    assert not (tmp_path / "dest" / "images").exists()


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
    assert tuple(np.bincount(labels, weights=copies).astype(int)) == counts.REBUILT_RELEASE_COUNTS
    assert np.bincount(labels).tolist() == [142, 223, 30, 86]
    assert tuple(np.bincount(labels, weights=copies).astype(int)) == counts.REBUILT_RELEASE_COUNTS
    assert tuple(np.bincount(labels)) == counts.REBUILT_RELEASE_ECG_COUNTS


# --- the data set in numbers (ecgkeras.data.counts), against the packaged manifest ---------


def _manifest_by_class():
    by_class = {label: [] for label in range(len(CLASS_NAMES))}
    for row in release.packaged_manifest():
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
        names = {name for row in rows for name in release.release_names(row, "manifest")}
        unused += [f"{row['class']}/{row['file']}" for row in rows if not release.release_names(row, "m")]
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
