"""A strict PNG check for the soak: signature, chunk CRCs, IHDR and pixel data.

It decodes only as far as needed to prove a file is whole: every chunk's
CRC-32 matches, IHDR comes first and IEND last, and the concatenated IDAT
data inflates (zlib) to exactly the scanline bytes that IHDR announces.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PNGError", "PNGInfo", "check_png"]

SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Samples per pixel for each PNG colour type.
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


class PNGError(ValueError):
    """The file is not a complete, valid PNG."""


@dataclass(frozen=True)
class PNGInfo:
    """Header fields from the IHDR chunk of a valid PNG."""

    width: int
    height: int
    bit_depth: int
    color_type: int


def check_png(path: Path) -> PNGInfo:
    """Validate the PNG at path and return its header; raise PNGError if broken."""
    data = path.read_bytes()
    if not data.startswith(SIGNATURE):
        raise PNGError(f"{path.name}: missing PNG signature")

    position = len(SIGNATURE)
    header: PNGInfo | None = None
    interlaced = False
    compressed = bytearray()
    seen_end = False
    while position < len(data):
        if position + 8 > len(data):
            raise PNGError(f"{path.name}: chunk header cut off at byte {position}")
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body_end = position + 8 + length
        if body_end + 4 > len(data):
            raise PNGError(f"{path.name}: {kind!r} chunk cut off at byte {position}")
        body = data[position + 8 : body_end]
        (crc,) = struct.unpack(">I", data[body_end : body_end + 4])
        if zlib.crc32(kind + body) != crc:
            raise PNGError(f"{path.name}: CRC mismatch in {kind!r} chunk")

        if header is None and kind != b"IHDR":
            raise PNGError(f"{path.name}: first chunk is {kind!r}, not IHDR")
        if kind == b"IHDR":
            if length != 13:
                raise PNGError(f"{path.name}: IHDR has {length} bytes, not 13")
            width, height, depth, color, _, _, interlace = struct.unpack(
                ">IIBBBBB", body
            )
            if width == 0 or height == 0 or color not in CHANNELS:
                raise PNGError(f"{path.name}: invalid IHDR {width}x{height}")
            header = PNGInfo(width, height, depth, color)
            interlaced = interlace == 1
        elif kind == b"IDAT":
            compressed += body
        elif kind == b"IEND":
            seen_end = True
            position = body_end + 4
            break
        position = body_end + 4

    if header is None or not seen_end:
        raise PNGError(f"{path.name}: no IEND chunk, the file is truncated")
    if position != len(data):
        raise PNGError(f"{path.name}: {len(data) - position} bytes after IEND")
    try:
        pixels = zlib.decompress(bytes(compressed))
    except zlib.error as error:
        raise PNGError(f"{path.name}: IDAT data does not inflate: {error}") from error
    if not interlaced:
        bits_per_pixel = CHANNELS[header.color_type] * header.bit_depth
        row_bytes = 1 + (header.width * bits_per_pixel + 7) // 8
        if len(pixels) != row_bytes * header.height:
            raise PNGError(
                f"{path.name}: IDAT inflates to {len(pixels)} bytes, expected "
                f"{row_bytes * header.height}"
            )
    return header
