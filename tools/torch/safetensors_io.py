"""The safetensors layout, written and read without the `safetensors` package (Debian has none).

Layout (https://github.com/huggingface/safetensors): an 8-byte little-endian unsigned header
length N, N bytes of UTF-8 JSON ({name: {"dtype", "shape", "data_offsets": [begin, end]}, and an
optional "__metadata__" of string to string}), then the tensors' bytes, row-major little-endian,
contiguous and covering the buffer with no gaps. We pad the header with spaces to a multiple of 8
bytes, as the reference writer does, so that every tensor starts aligned.
"""
import json
import struct

import numpy as np

_DTYPES = {"F32": np.float32, "F16": np.float16, "I8": np.int8, "I32": np.int32, "U8": np.uint8}
_NAMES = {np.dtype(v): k for k, v in _DTYPES.items()}


def write(path, tensors, metadata=None):
    """tensors: name -> numpy array (F32, F16, I8, I32 or U8). Names are written sorted."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        dt = _NAMES.get(a.dtype)
        if dt is None:
            raise ValueError(f"safetensors: tensor '{name}' has dtype {a.dtype}, not one of {sorted(_DTYPES)}")
        raw = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def read(path):
    """Returns (tensors: name -> numpy array, metadata: dict). Checks the layout as strictly as
    the project's reader: header bounds, known dtypes, byte ranges that match the shapes and
    tile the buffer exactly."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: {len(data)} bytes, too short for a safetensors header")
    (n,) = struct.unpack("<Q", data[:8])
    if n > 100_000_000 or 8 + n > len(data):
        raise ValueError(f"{path}: header length {n} does not fit the file of {len(data)} bytes")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = memoryview(data)[8 + n:]
    metadata = header.pop("__metadata__", {}) or {}
    tensors = {}
    spans = []
    for name, t in header.items():
        dt = _DTYPES.get(t.get("dtype"))
        if dt is None:
            raise ValueError(f"{path}: tensor '{name}' has dtype {t.get('dtype')!r}")
        shape = [int(s) for s in t["shape"]]
        b, e = (int(x) for x in t["data_offsets"])
        count = int(np.prod(shape)) if shape else 1
        if e - b != count * np.dtype(dt).itemsize or b < 0 or e > len(body):
            raise ValueError(f"{path}: tensor '{name}' has byte range [{b}, {e}) for shape {shape}")
        tensors[name] = np.frombuffer(body[b:e], dtype=np.dtype(dt).newbyteorder("<")).reshape(shape).astype(dt)
        spans.append((b, e))
    spans.sort()
    pos = 0
    for b, e in spans:
        if b != pos:
            raise ValueError(f"{path}: the tensors' bytes leave a gap or overlap at byte {pos}")
        pos = e
    if pos != len(body):
        raise ValueError(f"{path}: {len(body) - pos} trailing bytes after the last tensor")
    return tensors, metadata
