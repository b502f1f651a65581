"""ecgkeras.environment: what the cell after each chapter's title prints."""

from __future__ import annotations

import sys
import types

from ecgkeras import environment


def test_colab_without_gpu_says_how_to_get_one_and_that_the_cpu_works(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(environment, "gpu_names", lambda: [])
    text = environment.describe_environment()
    assert "Runtime > Change runtime type > T4 GPU" in text
    assert "Runtime > Run all" in text and "install cell runs again" in text
    assert "runs on this CPU" in text
    assert all(len(line) <= 77 for line in text.splitlines())


def test_local_machine_without_gpu(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr(environment, "gpu_names", lambda: [])
    text = environment.describe_environment()
    assert "every chapter runs on a CPU" in text and "Runtime" not in text
    assert text.splitlines()[0].startswith("Python ")


def test_a_gpu_is_named(monkeypatch):
    monkeypatch.setattr(environment, "gpu_names", lambda: ["/physical_device:GPU:0"])
    assert "GPU: /physical_device:GPU:0" in environment.describe_environment()
