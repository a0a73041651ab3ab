"""planner.charts.png: PNG bytes any reader decodes to the same pixels."""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from planner.charts.png import SIGNATURE, png_bytes


def _chunks(data: bytes):
    """(type, payload) of every chunk, checking each CRC."""
    assert data[:8] == SIGNATURE
    at, out = 8, []
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, payload = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        assert crc == zlib.crc32(kind + payload), kind
        out.append((kind, payload))
        at += 12 + length
    return out


@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (1125, 2000)])
def test_pillow_reads_back_every_pixel(shape):
    rng = np.random.default_rng(1)
    rgba = rng.integers(0, 256, shape + (4,), dtype=np.uint8)
    rgba[: shape[0] // 2] = (255, 255, 255, 255)  # flat colour, like a chart's background
    data = png_bytes(rgba, 200, {"Software": "planner"})
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.mode == "RGBA" and image.size == (shape[1], shape[0])
    np.testing.assert_array_equal(np.asarray(image), rgba)
    assert image.info["Software"] == "planner"
    assert image.info["dpi"] == pytest.approx((200, 200), abs=0.01)
    kinds = [kind for kind, _ in _chunks(data)]
    assert kinds == [b"IHDR", b"pHYs", b"tEXt", b"IDAT", b"IEND"]


def test_a_non_image_is_refused():
    with pytest.raises(ValueError, match="uint8"):
        png_bytes(np.zeros((2, 2, 3), dtype=np.uint8), 100)
    with pytest.raises(ValueError, match="uint8"):
        png_bytes(np.zeros((2, 2, 4)), 100)
