"""Every problem the API can emit has one registered, documented, stable type."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fluxforge.errors import PROBLEM_BASE, PROBLEM_KINDS, ProblemError, all_problem_classes, errors_markdown
from fluxforge.runtime.cli import offline_app
from fluxforge.web.problems import _HTTP_KINDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"
SERVICE = Path(__file__).resolve().parents[2] / "service" / "fluxforge"


def test_committed_doc_equals_the_registry() -> None:
    assert DOC.read_text() == errors_markdown(), "docs/errors.md is stale: run `make openapi` and commit it"


def test_every_problem_class_is_registered_with_its_title_and_status() -> None:
    offline_app()  # imports every domain, so every ProblemError subclass exists
    classes: list[type[ProblemError]] = [ProblemError, *all_problem_classes()]
    assert len(classes) > 20
    for cls in classes:
        kind = PROBLEM_KINDS[cls.kind]
        assert (kind.title, kind.status) == (cls.title, cls.status), cls


def test_every_kind_the_code_names_is_registered() -> None:
    """Kinds named in source, also those built without a class (handlers of Litestar's errors)."""
    named = set()
    for path in SERVICE.rglob("*.py"):
        named |= set(re.findall(r'^ +kind(?:, title, status)? = "([a-z-]+)"', path.read_text(), re.M))
    named |= {slug for slug, _ in _HTTP_KINDS.values()} | {"http-error", ProblemError.kind}
    assert named == set(PROBLEM_KINDS), "registered kinds no code uses, or used kinds not registered"


def test_kinds_are_stable_slugs_with_documentation() -> None:
    for slug, kind in PROBLEM_KINDS.items():
        assert re.fullmatch(r"[a-z]+(?:-[a-z]+)*", slug), slug
        assert kind.type_uri == PROBLEM_BASE + slug
        assert 400 <= kind.status <= 599
        assert len(kind.description) > 40, slug
        assert f"## {slug}\n\n`{kind.type_uri}`" in errors_markdown()


def test_an_unregistered_kind_cannot_be_defined() -> None:
    with pytest.raises(TypeError, match="register 'made-up'"):

        class MadeUp(ProblemError):
            kind, title, status = "made-up", "Made up", 418

    with pytest.raises(TypeError, match="register 'conflict'"):

        class WrongStatus(ProblemError):
            kind, title, status = "conflict", "Conflict", 400
