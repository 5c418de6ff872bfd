"""The files and exports packages declare their public names, and openpyxl parses safely."""

from __future__ import annotations

import importlib

import openpyxl
import pytest


@pytest.mark.parametrize("module", ["phonelist.files", "phonelist.exports"])
def test_packages_declare_exports(module: str) -> None:
    loaded = importlib.import_module(module)
    assert loaded.__all__
    for name in loaded.__all__:
        assert hasattr(loaded, name), name


def test_workbooks_are_parsed_with_defusedxml() -> None:
    assert openpyxl.DEFUSEDXML is True  # type: ignore[attr-defined]
