import pytest

from dlapps.atomic import atomic_path, atomic_write_text


def test_atomic_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "metrics.json"
    atomic_write_text(target, "old")
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]
    assert target.stat().st_mode & 0o777 == 0o644


def test_failed_write_keeps_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "model.keras"
    target.write_text("trained model")
    with pytest.raises(RuntimeError, match="disk full"), atomic_path(target) as tmp:
        assert tmp.suffix == ".keras"
        tmp.write_text("half a mod")
        raise RuntimeError("disk full")
    assert target.read_text() == "trained model"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]
