"""Every YAML example in the docs loads, and the cookbook's expectations hold against B0.3."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from b03 import FIXTURE

from schema_audit.api import audit_model
from schema_audit.sources.alembic import load_alembic
from schema_audit.spec.load import SpecError, load_spec

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"```yaml\n(.*?)```", re.S)
EXAMPLES = [
    (doc.name, n, text)
    for doc in sorted((ROOT / "docs").glob("*.md"))
    for n, text in enumerate(BLOCK.findall(doc.read_text()))
]


@pytest.fixture(scope="module")
def b03_model():  # type: ignore[no-untyped-def]
    return load_alembic(FIXTURE)


@pytest.mark.parametrize(
    ("doc", "index", "text"), EXAMPLES, ids=[f"{d}#{i}" for d, i, _ in EXAMPLES]
)
def test_doc_example(doc: str, index: int, text: str, tmp_path: Path, b03_model) -> None:  # type: ignore[no-untyped-def]
    if text.startswith("extends:"):
        (tmp_path / "baseline.yaml").write_text("name: baseline\n")
    if not re.search(r"^name:", text, re.M):
        text = "name: example\n" + text  # a fragment: give it the one required key
    path = tmp_path / "example.yaml"
    path.write_text(text)
    try:
        spec = load_spec(path, {"APP_ROLE": "app_rw"})
    except SpecError as exc:
        pytest.fail(f"{doc} example {index} does not load:\n" + "\n".join(exc.problems))
    expectations = re.findall(r"^# expect: (\S+) (\w+)$", text, re.M)
    if expectations:
        result = audit_model(spec, b03_model, "alembic", rules="none")
        for requirement, status in expectations:
            finding = result.finding(requirement)
            assert finding is not None, f"{doc} example {index}: no requirement {requirement}"
            assert finding.status == status, (
                f"{doc} example {index}: {requirement} is {finding.status}: {finding.message}"
            )


def test_the_docs_have_examples() -> None:
    assert sum(1 for d, _, _ in EXAMPLES if d == "cookbook.md") >= 5
    assert sum(1 for d, _, _ in EXAMPLES if d == "spec-format.md") >= 5
