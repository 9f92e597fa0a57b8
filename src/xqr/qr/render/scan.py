"""Will a design scan? A decode check with zxing-cpp, after degrading the image the way a
phone camera sees a print, and a report on what makes codes hard to read.

A perfect digital image proves little: zxing-cpp reads a code on screen even at a contrast of
1.3:1. So the image is also degraded with a fixed, documented camera model (`CameraModel`)
and decoded again; ``decodes`` is that second result. The model, applied to a greyscale
(luma) rendering at `CHECK_MODULE_PIXELS` a module:

1. **Print and light**: the tonal range is squeezed — paper white reads as `white` (of 255)
   and full ink as `black` — and the light falls off by `light_falloff` from one side of the
   image to the other.
2. **Tilt**: a keystone, the top edge `tilt` narrower than the bottom (the phone held a little
   below the code, some 8° off square).
3. **Grain**: uniform noise of ± `grain` levels on every pixel (paper, ink, dust), then
4. **Focus**: a Gaussian blur of `blur` modules, then
5. **Sensor noise**: uniform noise of ± `sensor_noise` levels on every pixel.

A camera app reads frame after frame: the check decodes `frames` frames (each with its own
sensor noise; all noise is seeded, so the same design always gets the same answer) and the code
decodes when one of them does. Calibrated so that light grey on white (#bbbbbb, 1.9:1) never
decodes and every style decodes at 4.5:1; at exactly the 3:1 the API requires, the small
modules of `dots` and `classy-rounded` at error correction L or M may not.
"""

from __future__ import annotations

import dataclasses
import functools
import random
from dataclasses import dataclass, field

import zxingcpp
from PIL import Image, ImageChops, ImageFilter

from xqr.qr.render.design import MIN_CONTRAST_RATIO, Design, DesignError, worst_contrast
from xqr.qr.render.engine import prepare
from xqr.qr.render.layout import layout
from xqr.qr.render.png import draw_image

CHECK_MODULE_PIXELS = 6
# The share of a symbol's codewords each level restores (ISO/IEC 18004).
ERROR_CORRECTION_BUDGET = {"L": 7, "M": 15, "Q": 25, "H": 30}
DEFAULT_SCAN_DISTANCE_CM = 30
MIN_SCAN_DISTANCE_CM = 5
MAX_SCAN_DISTANCE_CM = 10_000
# The distance rule: a code is read from at most 10 times its width, for a symbol of 25
# modules (version 2); denser symbols need the same module size, so a module must be at least
# distance / 250 wide.
DISTANCE_RATIO = 10
REFERENCE_MODULES = 25
RECOMMENDED_QUIET_ZONE = 4


@dataclass(frozen=True)
class CameraModel:
    """How the check degrades an image; see the module's docstring."""

    white: int = 215
    black: int = 45
    light_falloff: float = 0.1
    tilt: float = 0.05
    grain: int = 64
    blur: float = 0.25
    sensor_noise: int = 8
    frames: int = 2
    seed: int = 18004


CAMERA = CameraModel()


@dataclass(frozen=True)
class ScanResult:
    """Whether an image decodes to its content, and if not, why not."""

    decodes: bool
    reason: str | None = None


@dataclass(frozen=True)
class ScanReport:
    """The scannability report of a design and content."""

    decodes: bool
    decodes_clean: bool
    reason: str | None
    contrast_ratio: float
    quiet_zone: int
    error_correction: str
    error_correction_budget_percent: int
    logo_coverage_percent: float
    version: int
    modules: int
    scan_distance_cm: float
    min_print_width_mm: float
    warnings: tuple[str, ...] = field(default_factory=tuple)


# A camera app reads frame after frame and tries more than one way of telling dark from light;
# the check tries zxing-cpp's local-average binariser, then its global histogram one.
BINARIZERS = (zxingcpp.Binarizer.LocalAverage, zxingcpp.Binarizer.GlobalHistogram)


def decoded_texts(image: Image.Image) -> list[str]:
    """The texts zxing-cpp reads as QR codes in ``image``."""
    for binarizer in BINARIZERS:
        texts = [
            barcode.text
            for barcode in zxingcpp.read_barcodes(
                image,
                formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode),
                text_mode=zxingcpp.TextMode.Plain,
                binarizer=binarizer,
            )
        ]
        if texts:
            return texts
    return []


def _verdict(texts: list[str], content: str) -> ScanResult:
    if not texts:
        return ScanResult(
            False,
            "A reader found no QR code in the image: the contrast may be too low, the logo may "
            "cover too much of it, or the dots may be too small or too far apart to read.",
        )
    if content not in texts:
        return ScanResult(False, "The code reads back as different text than it should.")
    return ScanResult(True)


@functools.lru_cache(maxsize=8)
def _noise(width: int, height: int, amplitude: int, seed: int) -> Image.Image:
    """Uniform noise of 0 to 2 × ``amplitude`` (added, then ``amplitude`` taken off)."""
    raw = random.Random(seed).randbytes(width * height)
    scale = [round(value * 2 * amplitude / 255) for value in range(256)]
    return Image.frombytes("L", (width, height), raw).point(scale)


@functools.lru_cache(maxsize=8)
def _falloff(width: int, height: int, falloff: float) -> Image.Image:
    """A light level from 255 on the left to 255 × (1 − ``falloff``) on the right."""
    ramp = Image.linear_gradient("L").rotate(90).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    top = 255
    bottom = round(255 * (1 - falloff))
    levels = ramp.point([bottom + (top - bottom) * (255 - v) // 255 for v in range(256)])
    return levels.resize((width, height), Image.Resampling.BILINEAR)


def _blurred(image: Image.Image, module_pixels: float, camera: CameraModel) -> Image.Image:
    """Steps 1–4 of the model: the print in the light, tilted, grainy and out of focus."""
    grey = image.convert("L")
    width, height = grey.size
    span = camera.white - camera.black
    grey = grey.point([camera.black + value * span // 255 for value in range(256)])
    grey = ImageChops.multiply(grey, _falloff(width, height, camera.light_falloff))
    inset = width * camera.tilt / 2
    # QUAD maps the source quadrilateral (top-left, bottom-left, bottom-right, top-right) onto
    # the whole output: sampling a wider top than bottom makes the top look narrower.
    quad = (-inset, 0, 0, height, width, height, width + inset, 0)
    grey = grey.transform(
        (width, height),
        Image.Transform.QUAD,
        quad,
        Image.Resampling.BILINEAR,
        fillcolor=camera.white,
    )
    grain = _noise(width, height, camera.grain, camera.seed)
    grey = ImageChops.add(grey, grain, 1.0, -camera.grain)
    return grey.filter(ImageFilter.GaussianBlur(camera.blur * module_pixels))


def _with_sensor_noise(blurred: Image.Image, camera: CameraModel, frame: int) -> Image.Image:
    width, height = blurred.size
    noise = _noise(width, height, camera.sensor_noise, camera.seed + 1 + frame)
    return ImageChops.add(blurred, noise, 1.0, -camera.sensor_noise)


def decodes_through_camera(
    image: Image.Image, content: str, module_pixels: float, camera: CameraModel = CAMERA
) -> ScanResult:
    """Whether any of the camera model's frames of ``image`` decodes to ``content``."""
    blurred = _blurred(image, module_pixels, camera)
    verdict = ScanResult(False, "no frame")
    for frame in range(camera.frames):
        verdict = _verdict(decoded_texts(_with_sensor_noise(blurred, camera, frame)), content)
        if verdict.decodes:
            return verdict
    return verdict


def min_print_width_mm(modules: int, quiet_zone: int, scan_distance_cm: float) -> float:
    """The narrowest print (code and quiet zone) readable from ``scan_distance_cm``."""
    module_mm = scan_distance_cm * 10 / (DISTANCE_RATIO * REFERENCE_MODULES)
    return round(module_mm * (modules + 2 * quiet_zone), 1)


def check_design(
    content: str,
    design: Design,
    *,
    logo: bytes | None = None,
    scan_distance_cm: float = DEFAULT_SCAN_DISTANCE_CM,
    camera: CameraModel = CAMERA,
) -> ScanReport:
    """Render ``content`` with ``design`` (contrast not enforced), decode it clean and through
    the camera model, and report. Raises DesignError for designs that cannot be drawn."""
    if (
        isinstance(scan_distance_cm, bool)
        or not isinstance(scan_distance_cm, (int, float))
        or not MIN_SCAN_DISTANCE_CM <= scan_distance_cm <= MAX_SCAN_DISTANCE_CM
    ):
        raise DesignError(
            "scan_distance_cm",
            f"The scan distance must be {MIN_SCAN_DISTANCE_CM} to {MAX_SCAN_DISTANCE_CM:,} cm; "
            f"got {scan_distance_cm!r}.",
        )
    prepared = prepare(
        content,
        design,
        fmt="png" if logo is None or not _is_svg_logo(logo) else "svg",
        logo=logo,
        enforce_contrast=False,
        size=CHECK_MODULE_PIXELS,
    )
    design, matrix = prepared.design, prepared.matrix
    raster_logo = (
        prepared.logo if prepared.logo is not None and prepared.logo.image is not None else None
    )
    # The frame lies outside the quiet zone, where a reader does not look: the check draws the
    # code without it, which is faster and reads the same.
    unframed = dataclasses.replace(design, frame=None)
    image = draw_image(
        matrix,
        unframed,
        layout(unframed, matrix.size),
        CHECK_MODULE_PIXELS,
        prepared.placement,
        raster_logo,
    ).convert("RGB")
    clean = _verdict(decoded_texts(image), content)
    seen = decodes_through_camera(image, content, CHECK_MODULE_PIXELS, camera)
    n = matrix.size
    budget = ERROR_CORRECTION_BUDGET[matrix.error_correction]
    coverage = 0.0
    if prepared.placement is not None:
        _, _, rows, cols = prepared.placement.cleared
        coverage = round(100 * rows * cols / (n * n), 1)
    ratio = worst_contrast(design)
    warnings = _warnings(design, ratio, coverage, budget, matrix.error_correction)
    reason = None
    if not seen.decodes:
        reason = (warnings[0] + " " if warnings else "") + (
            "The code did not decode once degraded the way a phone camera sees a print."
            if clean.decodes
            else str(clean.reason)
        )
    return ScanReport(
        decodes=seen.decodes and clean.decodes,
        decodes_clean=clean.decodes,
        reason=reason,
        contrast_ratio=round(ratio, 2),
        quiet_zone=design.quiet_zone,
        error_correction=matrix.error_correction,
        error_correction_budget_percent=budget,
        logo_coverage_percent=coverage,
        version=(n - 17) // 4,
        modules=n,
        scan_distance_cm=float(scan_distance_cm),
        min_print_width_mm=min_print_width_mm(n, design.quiet_zone, scan_distance_cm),
        warnings=tuple(warnings),
    )


def _is_svg_logo(logo: bytes) -> bool:
    from xqr.qr.render.logo import load_logo

    return load_logo(logo).image is None


def _warnings(
    design: Design, ratio: float, coverage: float, budget: int, error_correction: str
) -> list[str]:
    warnings = []
    if ratio < 1:
        warnings.append(
            f"The modules are lighter than the background (contrast {1 / ratio:.2f}:1 "
            "inverted); many phones do not read inverted codes."
        )
    elif ratio < MIN_CONTRAST_RATIO:
        warnings.append(
            f"The contrast ratio of the modules to the background is {ratio:.2f}:1; printed "
            f"codes need at least {MIN_CONTRAST_RATIO:g}:1 (4.5:1 or more is safer)."
        )
    if coverage > budget:
        warnings.append(
            f"The logo covers {coverage:g}% of the code, more than the {budget}% that error "
            f"correction {error_correction} can restore; make the logo smaller."
        )
    elif coverage > budget * 2 / 3:
        warnings.append(
            f"The logo covers {coverage:g}% of the code, close to the {budget}% that error "
            f"correction {error_correction} can restore, leaving little room for damage."
        )
    if design.quiet_zone < RECOMMENDED_QUIET_ZONE:
        warnings.append(
            f"The quiet zone is {design.quiet_zone} modules; some readers need the standard "
            f"{RECOMMENDED_QUIET_ZONE}."
        )
    return warnings
