"""The public API is explicit, and every error speaks the one error shape."""

from __future__ import annotations

import importlib

import pytest

import phonelist
from phonelist import errors
from phonelist.errors import PhonelistError


def test_exports() -> None:
    assert sorted(phonelist.__all__) == sorted(
        [
            "AuthenticationError",
            "ConfigError",
            "Conflict",
            "NotFound",
            "PermissionDenied",
            "Phonelist",
            "PhonelistError",
            "Settings",
            "StoreError",
            "ValidationError",
            "__version__",
            "load_settings",
        ]
    )
    for name in phonelist.__all__:
        assert hasattr(phonelist, name)


@pytest.mark.parametrize(
    "module",
    [
        "phonelist.contacts",
        "phonelist.numbers",
        "phonelist.store",
        "phonelist.lookup",
        "phonelist.imports",
        "phonelist.files",
        "phonelist.exports",
    ],
)
def test_domain_packages_declare_exports(module: str) -> None:
    loaded = importlib.import_module(module)
    for name in loaded.__all__:
        assert hasattr(loaded, name)


def test_every_error_has_one_root_and_a_distinct_exit_code() -> None:
    classes = [getattr(errors, n) for n in errors.__all__]
    assert all(issubclass(c, PhonelistError) for c in classes)
    codes = {c.exit_code for c in classes}
    assert len(codes) == len(classes)
    shape = errors.NotFound("gone", field="id").to_dict()
    assert shape == {"code": "not_found", "message": "gone", "field": "id", "details": {}}
