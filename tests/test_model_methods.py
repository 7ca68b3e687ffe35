"""The model's classes share one ``__eq__`` and one ``__repr__`` written in ``schema_audit.model``
(``_compared``), where ``dataclass`` compiled a pair per class at every import (28 classes: a
third of the model's import, before the parsing child's fork). The behaviour must be exactly
``dataclass``'s own: each method here is compared with the one ``dataclass`` makes of the same
fields, on values that tell every field apart, a changed field, another class, a self-reference.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from schema_audit import model

CLASSES = [
    c
    for c in vars(model).values()
    if isinstance(c, type) and dataclasses.is_dataclass(c) and c.__module__ == model.__name__
]


def _twin(cls: type) -> type:
    """A dataclass of the same name and fields, with the methods ``dataclass`` makes."""
    specs = [(f.name, Any, dataclasses.field(default=None)) for f in dataclasses.fields(cls)]
    return dataclasses.make_dataclass(cls.__name__, specs, slots=True, namespace={"__doc__": ""})


def _values(cls: type, mark: str = "") -> dict[str, Any]:
    return {f.name: f"{f.name}{mark}" for f in dataclasses.fields(cls)}


def test_the_model_has_its_classes() -> None:
    assert {"Table", "Column", "Provenance", "SchemaModel", "View"} <= {c.__name__ for c in CLASSES}
    assert len(CLASSES) >= 28


def test_one_eq_for_every_class_of_the_model() -> None:
    codes = {c.__eq__.__code__ for c in CLASSES}
    assert len(codes) == 1


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_eq_hash_and_repr_are_dataclasses_own(cls: type) -> None:
    twin = _twin(cls)
    values = _values(cls)
    obj, same, ref, ref_same = cls(**values), cls(**values), twin(**values), twin(**values)
    assert repr(obj) == repr(ref)
    assert (obj == same) is (ref == ref_same) is True
    assert (obj != same) is (ref != ref_same) is False
    assert obj.__eq__(object()) is NotImplemented
    assert obj.__eq__(ref) is NotImplemented  # another class, however alike
    assert (obj == ref) is False
    for name in values:
        other, ref_other = cls(**values), twin(**values)
        setattr(other, name, "changed")
        setattr(ref_other, name, "changed")
        assert (obj == other) is (ref == ref_other) is False
        assert repr(other) == repr(ref_other)
    with pytest.raises(TypeError):
        hash(obj)
    with pytest.raises(TypeError):
        hash(ref)
    first = dataclasses.fields(cls)[0].name
    setattr(obj, first, obj)  # a cycle: "..." where the object recurs, as dataclass prints it
    setattr(ref, first, ref)
    assert repr(obj) == repr(ref)
    assert "..." in repr(obj)


def test_a_model_in_a_model_compares_and_prints_as_before() -> None:
    column = model.Column(name="id", type="integer", nullable=False)
    table = model.Table(schema="public", name="t", columns={"id": column})
    again = model.Table(
        schema="public", name="t", columns={"id": model.Column("id", "integer", False)}
    )
    assert table == again
    again.columns["id"].nullable = True
    assert table != again
    assert repr(column).startswith("Column(name='id', type='integer', nullable=False, ")
