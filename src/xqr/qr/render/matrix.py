"""Encoding content into a QR module matrix, and the matrix's regions."""

from __future__ import annotations

from dataclasses import dataclass

import zxingcpp

from xqr.qr.render.design import DesignError

FINDER_SIZE = 7

TOP = 1
RIGHT = 2
BOTTOM = 4
LEFT = 8

# zxing-cpp's writer draws dark modules as 0 and light ones as 255.
_DARK_FROM_PIXEL = bytes([1] + [0] * 255)


@dataclass(frozen=True)
class QrMatrix:
    """A square QR symbol: ``dark`` holds one byte (1 dark, 0 light) per module, row by row."""

    size: int
    dark: bytes
    error_correction: str

    def finder_origins(self) -> tuple[tuple[int, int], ...]:
        """Return the (row, col) of the top-left module of each finder pattern."""
        far = self.size - FINDER_SIZE
        return ((0, 0), (0, far), (far, 0))


def encode(content: str, error_correction: str) -> QrMatrix:
    """Encode ``content`` into a QR matrix at exactly ``error_correction`` (no Micro QR)."""
    if not isinstance(content, str) or not content:
        raise DesignError("content", "The content of a QR code must be a non-empty string.")
    try:
        content.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise DesignError("content", "The content is not valid Unicode text.") from exc
    options: dict[str, str] = {"ec_level": error_correction}
    if not content.isascii():
        # Without an ECI the writer may pick Latin-1 or Shift JIS, which readers then have to
        # guess at (and get wrong); UTF-8 with ECI 26 is unambiguous.
        options["eci"] = "UTF8"
    try:
        barcode = zxingcpp.create_barcode(content, zxingcpp.BarcodeFormat.QRCode, **options)
    except ValueError as exc:
        if "too long" not in str(exc):
            raise DesignError("content", "The content cannot be encoded as a QR code.") from exc
        raise DesignError(
            "content",
            f"The content is too long for a QR code with error correction {error_correction}; "
            "shorten it or lower the error correction.",
        ) from exc
    image = barcode.to_image(scale=1, add_quiet_zones=False)
    height, width = image.shape
    if height != width:
        raise RuntimeError(f"zxing-cpp returned a {width}x{height} QR symbol")
    # zxing-cpp's Image supports the buffer protocol, which its type stubs leave out.
    dark = bytes(memoryview(image)).translate(_DARK_FROM_PIXEL)  # type: ignore[arg-type]
    return QrMatrix(size=width, dark=dark, error_correction=error_correction)


def data_modules(matrix: QrMatrix, cleared: tuple[int, int, int, int] | None) -> bytearray:
    """Return the dark flags of the modules drawn with the dot style.

    Finder patterns are drawn as a whole with the corner style, and the ``cleared`` rectangle
    ``(row, col, rows, cols)`` under a logo is left empty.
    """
    n = matrix.size
    modules = bytearray(matrix.dark)
    far = n - FINDER_SIZE
    blank = bytes(FINDER_SIZE)
    for top, left in ((0, 0), (0, far), (far, 0)):
        for row in range(top, top + FINDER_SIZE):
            start = row * n + left
            modules[start : start + FINDER_SIZE] = blank
    if cleared is not None:
        row0, col0, rows, cols = cleared
        blank_row = bytes(cols)
        for row in range(row0, row0 + rows):
            start = row * n + col0
            modules[start : start + cols] = blank_row
    return modules


def neighbour_masks(modules: bytearray | bytes, n: int) -> list[tuple[int, int, int]]:
    """Return (row, col, mask) of each dark module, mask flagging its dark neighbours' sides."""
    result = []
    find = modules.find
    index = find(1)
    last = n * n
    while index != -1:
        row, col = divmod(index, n)
        mask = 0
        if row and modules[index - n]:
            mask |= TOP
        if col < n - 1 and modules[index + 1]:
            mask |= RIGHT
        if index + n < last and modules[index + n]:
            mask |= BOTTOM
        if col and modules[index - 1]:
            mask |= LEFT
        result.append((row, col, mask))
        index = find(1, index + 1)
    return result
