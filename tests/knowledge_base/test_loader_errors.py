"""Bad content gets an error that names file, record, field and problem."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from knowledge_base.loader import SEED_DIR, KnowledgeBaseError, load_dir, load_file

GOOD = (SEED_DIR / "dang-ky-khai-sinh.yml").read_text(encoding="utf-8")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "dang-ky-khai-sinh.yml", "id: dang-ky-khai-sinh\ntitle: [khong dong ngoac\n")
    with pytest.raises(KnowledgeBaseError, match=r"dang-ky-khai-sinh.yml: line \d+, column \d+: not valid YAML"):
        load_file(path)


def test_missing_field_is_named(tmp_path: Path) -> None:
    data = yaml.safe_load(GOOD)
    del data["agency"]
    path = write(tmp_path, "dang-ky-khai-sinh.yml", yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(KnowledgeBaseError) as error:
        load_file(path)
    assert "record 'dang-ky-khai-sinh', field agency: required field is missing" in str(error.value)


def test_unknown_field_is_named(tmp_path: Path) -> None:
    data = yaml.safe_load(GOOD)
    data["fee"] = 50000  # a typo of "fees"
    path = write(tmp_path, "dang-ky-khai-sinh.yml", yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(KnowledgeBaseError, match="field fee: unknown field"):
        load_file(path)


def test_wrong_type_deep_in_a_list_is_located(tmp_path: Path) -> None:
    data = yaml.safe_load(GOOD)
    data["fees"] = [{"name": "Lệ phí", "amount": "năm mươi nghìn"}]
    path = write(tmp_path, "dang-ky-khai-sinh.yml", yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(KnowledgeBaseError, match=r"field fees\.0\.amount"):
        load_file(path)


def test_duplicate_procedure_id_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "dang-ky-khai-sinh.yml", GOOD)
    data = yaml.safe_load(GOOD)
    data["faqs"] = []
    copy = tmp_path / "sub"
    copy.mkdir()
    write(tmp_path, "khai-sinh-ban-sao.yml", yaml.safe_dump({**data, "id": "khai-sinh-ban-sao"}, allow_unicode=True))
    procedures = load_dir(tmp_path)
    assert len(procedures) == 2
    from knowledge_base.loader import check_unique

    with pytest.raises(KnowledgeBaseError, match="duplicate procedure id 'dang-ky-khai-sinh'"):
        check_unique([procedures[0], procedures[0]])


def test_duplicate_faq_id_across_files_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "dang-ky-khai-sinh.yml", GOOD)
    data = yaml.safe_load(GOOD)
    write(tmp_path, "khai-sinh-ban-sao.yml", yaml.safe_dump({**data, "id": "khai-sinh-ban-sao"}, allow_unicode=True))
    with pytest.raises(KnowledgeBaseError, match="duplicate FAQ id"):
        load_dir(tmp_path)


def test_file_name_must_match_id(tmp_path: Path) -> None:
    path = write(tmp_path, "khai-sinh.yml", GOOD)
    with pytest.raises(KnowledgeBaseError, match=r"must be named dang-ky-khai-sinh\.yml"):
        load_file(path)


def test_not_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yml", "- a\n- b\n")
    with pytest.raises(KnowledgeBaseError, match="expected a mapping"):
        load_file(path)
