"""PNG images with a visible pattern, written with zlib and struct only.

The pattern (stripes, checkerboard or gradient), its colours and its cell
size are drawn from a hash of the seed, the prompt and the image's index in
the batch, so the same request always produces the same bytes.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Iterable

__all__ = ["PNG_SIGNATURE", "encode_png", "render_pattern_png"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_RGB_COLOR_TYPE = 2
_BIT_DEPTH = 8
_FILTER_NONE = b"\x00"

Color = tuple[int, int, int]


def _chunk(tag: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(tag + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)


def encode_png(width: int, height: int, rows: Iterable[bytes]) -> bytes:
    """Encode 8-bit RGB rows (3 * width bytes each) as a PNG file."""
    if width < 1 or height < 1:
        raise ValueError(f"image size must be positive, got {width}x{height}")
    row_length = 3 * width
    raw = bytearray()
    count = 0
    for row in rows:
        if len(row) != row_length:
            raise ValueError(f"row {count} has {len(row)} bytes, expected {row_length}")
        raw += _FILTER_NONE
        raw += row
        count += 1
    if count != height:
        raise ValueError(f"got {count} rows, expected {height}")

    header = struct.pack(
        ">IIBBBBB", width, height, _BIT_DEPTH, _RGB_COLOR_TYPE, 0, 0, 0
    )
    return b"".join(
        [
            PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(bytes(raw), 6)),
            _chunk(b"IEND", b""),
        ]
    )


def render_pattern_png(
    width: int, height: int, *, seed: int, prompt: str, index: int = 0
) -> bytes:
    """Render the pattern for (seed, prompt, index) at width x height as a PNG.

    Every image of more than one pixel shows at least two colours.
    """
    digest = hashlib.sha256(f"{seed}\x00{prompt}\x00{index}".encode()).digest()
    first: Color = (digest[0], digest[1], digest[2])
    # Keep the second colour far from the first so the pattern stays visible.
    second: Color = (
        (digest[0] + 128) % 256,
        (digest[1] + 96) % 256,
        (digest[2] + 160) % 256,
    )
    pattern = ("stripes", "checker", "gradient")[digest[4] % 3]
    # Scale the cell with the image so a preview shows the same picture, but
    # keep two cells within the longer side so both colours appear.
    cell = (4 + digest[3] % 60) * max(width, height) // 512
    cell = max(1, min(cell, max(width, height) // 2))

    if pattern == "stripes":
        rows = _stripe_rows(width, height, first, second, cell)
    elif pattern == "checker":
        rows = _checker_rows(width, height, first, second, cell)
    else:
        rows = _gradient_rows(width, height, first, second, cell)
    return encode_png(width, height, rows)


def _pixels(color: Color, count: int) -> bytes:
    return bytes(color) * count


def _periodic_row(
    width: int, first: Color, first_count: int, second: Color, second_count: int
) -> bytes:
    """Return a row of `first_count` pixels of `first`, then `second`, repeated."""
    period = _pixels(first, first_count) + _pixels(second, second_count)
    repeats = width // (first_count + second_count) + 1
    return (period * repeats)[: 3 * width]


def _stripe_rows(
    width: int, height: int, first: Color, second: Color, cell: int
) -> list[bytes]:
    """Draw diagonal stripes `cell` pixels wide."""
    period = 2 * cell
    wide_row = _periodic_row(width + period, first, cell, second, cell)
    rows = []
    for y in range(height):
        shift = 3 * (y % period)
        rows.append(wide_row[shift : shift + 3 * width])
    return rows


def _checker_rows(
    width: int, height: int, first: Color, second: Color, cell: int
) -> list[bytes]:
    even = _periodic_row(width, first, cell, second, cell)
    odd = _periodic_row(width, second, cell, first, cell)
    return [even if (y // cell) % 2 == 0 else odd for y in range(height)]


def _gradient_rows(
    width: int, height: int, first: Color, second: Color, cell: int
) -> list[bytes]:
    """Blend top to bottom from `first` to `second`, with a light band every few cells."""
    rows = []
    for y in range(height):
        t = y / max(1, height - 1)
        color = _blend(first, second, t)
        inverted: Color = (255 - color[0], 255 - color[1], 255 - color[2])
        rows.append(_periodic_row(width, inverted, cell, color, 3 * cell))
    return rows


def _blend(first: Color, second: Color, t: float) -> Color:
    """Return the colour at fraction `t` of the way from `first` to `second`."""
    red, green, blue = (
        round(a + (b - a) * t) for a, b in zip(first, second, strict=True)
    )
    return (red, green, blue)
