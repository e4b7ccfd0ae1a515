"""Checkpoints: round trips, atomic saves that keep the previous file on failure, and refusal of bad files."""

from __future__ import annotations

import io
import os
import zipfile

import numpy as np
import pytest

import nn
from nn import checkpoint
from tinygrad_notes import Tensor


def _model() -> nn.Sequential:
    rng = np.random.default_rng(0)
    return nn.Sequential(nn.Linear(3, 4, generator=rng), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2, generator=rng))


def test_a_model_round_trips_to_bit_identical_outputs(tmp_path) -> None:
    x = Tensor(np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32))
    source = _model()
    source(x)  # move batch norm's running statistics
    source.eval()
    path = tmp_path / "model.npz"
    nn.save(source, path)
    state = nn.load(path)
    assert set(state) == set(source.state_dict())
    assert all(isinstance(v, np.ndarray) for v in state.values())
    assert state["1.num_batches_tracked"].dtype == np.int64
    target = _model()
    target.load_state_dict(state)
    target.eval()
    assert target(x).data.tobytes() == source(x).data.tobytes()


def test_nested_structures_come_back_with_their_types(tmp_path) -> None:
    obj = {
        "model": _model(),  # anything with state_dict() is stored as its state
        "optimizer": {"state": {0: {"m": np.arange(3.0)}, 1: {"m": Tensor(np.ones(2))}}, "lr": 0.1, "steps": 7},
        "history": [1.5, float("nan"), None, True, "adam"],
        "shape": (3, 4),
        "scalar": np.float32(2.5),
    }
    path = tmp_path / "run.ckpt"  # the path is used as given
    nn.save(obj, path)
    assert os.listdir(tmp_path) == ["run.ckpt"]
    back = nn.load(path)
    assert list(back["model"]) == list(obj["model"].state_dict())
    assert list(back["optimizer"]["state"]) == [0, 1]  # int keys stay ints
    np.testing.assert_array_equal(back["optimizer"]["state"][0]["m"], np.arange(3.0))
    np.testing.assert_array_equal(back["optimizer"]["state"][1]["m"], np.ones(2))
    assert back["optimizer"]["lr"] == 0.1 and back["optimizer"]["steps"] == 7
    assert back["history"][0] == 1.5 and np.isnan(back["history"][1]) and back["history"][2:] == [None, True, "adam"]
    assert back["shape"] == (3, 4)
    assert back["scalar"].dtype == np.float32 and back["scalar"] == 2.5


def test_the_file_is_a_plain_npz_with_json_metadata(tmp_path) -> None:
    path = tmp_path / "c.npz"
    nn.save({"w": np.ones(2)}, path)
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["__checkpoint__", "a0"]
        assert '"format": "tinygrad_notes.checkpoint", "version": 1' in str(archive["__checkpoint__"])


def test_a_failed_save_leaves_the_previous_checkpoint_and_no_temporary_file(tmp_path, monkeypatch) -> None:
    path = tmp_path / "model.npz"
    nn.save({"w": np.arange(4.0)}, path)
    before = path.read_bytes()

    def write_half_then_crash(file, arrays):
        file.write(b"PK\x03\x04 half of an archive")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint, "_write_npz", write_half_then_crash)
    with pytest.raises(OSError, match="disk full"):
        nn.save({"w": np.zeros(4)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]
    np.testing.assert_array_equal(nn.load(path)["w"], np.arange(4.0))


def test_an_unstorable_leaf_fails_before_touching_the_disk(tmp_path) -> None:
    path = tmp_path / "model.npz"
    nn.save({"w": np.arange(4.0)}, path)
    before = path.read_bytes()
    with pytest.raises(nn.CheckpointError, match=r"obj\['layers'\]\[1\] is a set"):
        nn.save({"layers": [np.zeros(2), {1, 2}]}, path)
    with pytest.raises(nn.CheckpointError, match=r"obj\['o'\] is an array of dtype object"):
        nn.save({"o": np.array([{}, []], dtype=object)}, path)
    with pytest.raises(nn.CheckpointError, match="keys must be str or int"):
        nn.save({(1, 2): 3}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.npz"]


def test_overwriting_keeps_the_file_mode(tmp_path) -> None:
    path = tmp_path / "m.npz"
    nn.save({"a": 1}, path)
    os.chmod(path, 0o640)
    nn.save({"a": 2}, path)
    assert os.stat(path).st_mode & 0o777 == 0o640 and nn.load(path) == {"a": 2}


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(nn.CheckpointError, match=r"is not a checkpoint: it is not an \.npz \(zip\) archive"):
        nn.load(text)
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(nn.CheckpointError, match="not an .npz"):
        nn.load(empty)
    plain = tmp_path / "plain.npz"
    np.savez(plain, w=np.ones(3))
    with pytest.raises(nn.CheckpointError, match=r"not a checkpoint written by nn.save \(no '__checkpoint__' entry"):
        nn.load(plain)


def test_a_truncated_checkpoint_is_refused(tmp_path) -> None:
    path = tmp_path / "model.npz"
    nn.save(_model(), path)
    data = path.read_bytes()
    for keep in (len(data) // 2, len(data) - 10):
        path.write_bytes(data[:keep])
        with pytest.raises(nn.CheckpointError, match="truncated or corrupted"):
            nn.load(path)


def test_a_corrupted_checkpoint_is_refused(tmp_path) -> None:
    path = tmp_path / "model.npz"
    nn.save({"w": np.arange(1000.0)}, path)
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0xFF  # flip a byte inside the array's data: the zip CRC catches it
    path.write_bytes(bytes(data))
    with pytest.raises(nn.CheckpointError, match="truncated or corrupted"):
        nn.load(path)


def test_a_checkpoint_carrying_pickled_arrays_is_refused(tmp_path) -> None:
    path = tmp_path / "evil.npz"
    np.savez(path, __checkpoint__=np.array('{"format": "tinygrad_notes.checkpoint", "version": 1, '
                                            '"root": {"array": "a0"}}'),
             a0=np.array([{"payload": 1}], dtype=object))
    with pytest.raises(nn.CheckpointError, match=r"carries pickled \(object\) arrays; refusing to unpickle"):
        nn.load(path)


def test_tampered_metadata_is_refused(tmp_path) -> None:
    cases = {
        "not json {": "not valid JSON",
        '{"format": "other", "root": {"value": 1}}': "format marker missing",
        '{"format": "tinygrad_notes.checkpoint", "version": 99, "root": {"value": 1}}': "version 99",
        '{"format": "tinygrad_notes.checkpoint", "version": 1, "root": {"array": "a7"}}': "'a7' named in its metadata",
        '{"format": "tinygrad_notes.checkpoint", "version": 1, "root": {"code": "x"}}': "unexpected metadata node",
    }
    for i, (meta, message) in enumerate(cases.items()):
        path = tmp_path / f"t{i}.npz"
        np.savez(path, __checkpoint__=np.array(meta), a0=np.ones(1))
        with pytest.raises(nn.CheckpointError, match=message):
            nn.load(path)


def test_a_non_array_member_is_refused(tmp_path) -> None:
    path = tmp_path / "odd.npz"
    nn.save({"w": np.ones(2)}, path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("extra.bin", b"\x80\x04not an npy file")
    with pytest.raises(nn.CheckpointError, match="member 'extra.bin' is not a .npy array"):
        nn.load(path)


def _forged_member(tmp_path, shape, data: bytes):
    """A checkpoint whose one array member has a .npy header declaring `shape` (float64) over `data`."""
    npy = io.BytesIO()
    np.lib.format.write_array_header_1_0(npy, {"descr": "<f8", "fortran_order": False, "shape": shape})
    path = tmp_path / "forged.npz"
    meta = '{"format": "tinygrad_notes.checkpoint", "version": 1, "root": {"array": "a0"}}'
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a0.npy", npy.getvalue() + data)
        buf = io.BytesIO()
        np.save(buf, np.array(meta))
        archive.writestr("__checkpoint__.npy", buf.getvalue())
    return path


def test_a_header_declaring_a_huge_array_is_refused_before_allocating(tmp_path, monkeypatch) -> None:
    path = _forged_member(tmp_path, (10**12,), np.arange(100.0).tobytes())

    def no_read(*args, **kwargs):
        raise AssertionError("an array was read (and allocated) before its sizes were checked")

    monkeypatch.setattr(np.lib.format, "read_array", no_read)
    with pytest.raises(nn.CheckpointError, match=r"forged.npz is corrupted: member 'a0.npy' declares shape "
                                                 r"\(1000000000000,\) of float64 \(7.28 TiB\) but stores 800 bytes; "
                                                 r"refusing to allocate it"):
        nn.load(path)


def test_a_header_declaring_fewer_elements_than_stored_is_refused_too(tmp_path) -> None:
    with pytest.raises(nn.CheckpointError, match=r"declares shape \(3,\) of float64 \(24 bytes\) but stores 800"):
        nn.load(_forged_member(tmp_path, (3,), np.arange(100.0).tobytes()))
    assert nn.load(_forged_member(tmp_path, (100,), np.arange(100.0).tobytes())).tolist() == list(range(100))


def test_a_zip_entry_claiming_more_bytes_than_the_file_holds_is_refused(tmp_path) -> None:
    path = tmp_path / "model.npz"
    nn.save({"w": np.arange(10.0)}, path)
    data = bytearray(path.read_bytes())
    central = data.index(b"PK\x01\x02")  # the first member's entry in the zip's central directory
    data[central + 24:central + 28] = (2**32 - 1).to_bytes(4, "little")  # its uncompressed size: 4 GiB
    path.write_bytes(bytes(data))
    with pytest.raises(nn.CheckpointError, match=r"is corrupted: member '.*' claims 4,294,967,295 bytes from"):
        nn.load(path)


def test_saving_into_a_missing_folder_names_the_target_and_the_missing_folder(tmp_path) -> None:
    target = tmp_path / "runs" / "day1" / "model.npz"
    with pytest.raises(FileNotFoundError, match=rf"^save: cannot write {target}: the folder {tmp_path / 'runs'} "
                                                r"does not exist; create it first"):
        nn.save({"w": np.ones(2)}, target)
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match=rf"save: cannot write .*: {tmp_path / 'file'} is not a folder"):
        nn.save({"w": np.ones(2)}, tmp_path / "file" / "model.npz")
    assert sorted(os.listdir(tmp_path)) == ["file"]  # nothing was written anywhere
