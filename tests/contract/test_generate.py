"""contract/generate.py: the committed copies are what the YAML gives, a change to the YAML makes
every copy stale, and a malformed row is refused with its path in the file."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("contract_generate", REPO / "contract" / "generate.py")
assert _spec and _spec.loader
generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)


def test_committed_copies_are_current() -> None:
    assert generate.main(["--check"]) == 0


def _stale(c: dict) -> set[str]:
    files = generate.gofmt(generate.outputs(c))
    return {str(p.relative_to(REPO)) for p, text in files.items() if p.read_text(encoding="utf-8") != text}


def test_a_new_scope_name_reaches_every_language() -> None:
    c = generate.load()
    c["scope"]["raw_name"] = "contextforge.mcp_runtime.v2"
    assert {"processor/internal/mapping/zz_generated_contract.go", "emitter/src/keys.rs",
            "configurator/src/mcpparity/contract.py"} <= _stale(c)


def test_a_new_default_redact_field_reaches_go_python_schema_and_docs() -> None:
    c = generate.load()
    c["redact_fields"]["default"].append("x_api_secret")
    assert _stale(c) >= {"processor/internal/redact/zz_generated_contract.go", "configurator/src/mcpparity/contract.py",
                         "processor/mcpparityprocessor/config.schema.yaml",
                         "configurator/src/mcpparity/data/processor-config.schema.yaml", "docs/raw-span-contract.md"}


def test_a_new_op_row_is_data_only() -> None:
    c = generate.load()
    c["facts"].append({"key": "cf.resource.uri", "name": "RESOURCE_URI", "type": "string"})
    c["ops"].append({"op": "resource.read", "raw_name": "resources/read", "kind": "internal", "name": "resource.read",
                     "emitted": True, "facts": [{"key": "cf.resource.uri", "required": True}],
                     "attributes": [{"from": "cf.resource.uri", "to": "resource.uri"}]})
    generate.validate(c)
    go = generate.gen_go_mapping(c)
    assert 'Op: "resource.read", Name: "resource.read"' in go
    assert "{From: KeyResourceURI, To: \"resource.uri\", Type: TypeString, Required: true}" in go
    assert '"resource.read",' in generate.gen_rust(c)


@pytest.mark.parametrize("mutate, where", [
    (lambda c: c["ops"][1]["attributes"].append({"from": "cf.nope", "to": "nope"}), "ops[1] (tool.invoke).attributes.nope"),
    (lambda c: c["facts"].append(dict(c["facts"][0])), "facts[" ),
    (lambda c: c["ops"][1]["attributes"].append({"from": "cf.tool.id", "to": "cf.leak"}), "cf.leak"),
    (lambda c: c["ops"][2].update(kind="server"), "ops[2] (tool.lookup)"),
    (lambda c: c["ops"][1].update(result_flag="cf.upstream.success"), "ops[1] (tool.invoke).result_flag"),
    (lambda c: c.update(version=2), "version"),
])
def test_malformed_contract_is_refused_with_its_path(mutate, where: str) -> None:
    c = copy.deepcopy(generate.load())
    mutate(c)
    with pytest.raises(generate.ContractError, match=__import__("re").escape(where)):
        generate.validate(c)
