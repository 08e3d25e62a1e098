"""ISO/IEC 19794 biometric data interchange records: build and parse finger, iris and face images.

Enough of each format to carry an image with its size, resolution and position, which is what SBI
devices return in ``bioValue`` and what the recording keeps:

* ISO/IEC 19794-4:2011 finger image record (``FIR\\0`` ``020\\0``),
* ISO/IEC 19794-6:2011 iris image record (``IIR\\0`` ``020\\0``),
* ISO/IEC 19794-5:2011 face image record (``FAC\\0`` ``030\\0``), 2D images only.

All integers are big-endian. Every record has a general header, then one or more
representations, each with its own header (capture time, device, quality blocks, image
properties) followed by the length-prefixed image data. ``parse`` reads the first
representation (``parse_all`` reads all of them) and checks the lengths add up; a record that
does not parse raises ``IsoRecordError`` saying which field is wrong.

Images are Pillow images; the heavy imports (Pillow, the WSQ plugin) happen inside functions.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

FINGER_FORMAT = "ISO19794-4:2011"
IRIS_FORMAT = "ISO19794-6:2011"
FACE_FORMAT = "ISO19794-5:2011"

# ISO/IEC 19794-4:2011 table 6 (finger position codes) and table 7 (multiple fingers).
FINGER_POSITIONS: dict[str, int] = {
    "UNKNOWN": 0,
    "Right Thumb": 1, "Right IndexFinger": 2, "Right MiddleFinger": 3, "Right RingFinger": 4,
    "Right LittleFinger": 5,
    "Left Thumb": 6, "Left IndexFinger": 7, "Left MiddleFinger": 8, "Left RingFinger": 9,
    "Left LittleFinger": 10,
    "Plain Right Four": 13, "Plain Left Four": 14, "Plain Thumbs": 15,
}
FINGER_POSITION_NAMES = {v: k for k, v in FINGER_POSITIONS.items()}

# 19794-4:2011 table 9 (compression algorithm codes).
FINGER_COMPRESSION = {"raw": 0, "raw-packed": 1, "wsq": 2, "jpeg": 3, "jp2": 4, "jp2-lossless": 5, "png": 6}
FINGER_COMPRESSION_NAMES = {v: k for k, v in FINGER_COMPRESSION.items()}

# 19794-6:2011: eye labels and image formats (monochrome ones; colour formats are parsed too).
EYE_LABELS = {"UNKNOWN": 0, "Right": 1, "Left": 2}
EYE_LABEL_NAMES = {v: k for k, v in EYE_LABELS.items()}
IRIS_FORMATS = {"raw": 0x02, "rgb-raw": 0x04, "jpeg": 0x06, "rgb-jpeg": 0x08, "jp2-lossless": 0x0A,
                "rgb-jp2-lossless": 0x0C, "png": 0x0E, "rgb-png": 0x10}
IRIS_FORMAT_NAMES = {v: k for k, v in IRIS_FORMATS.items()}
IRIS_IMAGE_TYPE_CROPPED = 3

# 19794-5:2011: image data types and colour spaces.
FACE_DATA_TYPES = {"jpeg": 0, "jp2": 1, "jp2-lossless": 2, "png": 3}
FACE_DATA_TYPE_NAMES = {v: k for k, v in FACE_DATA_TYPES.items()}
FACE_COLOUR_RGB24 = 1
FACE_COLOUR_GREY8 = 3
FACE_TYPE_FULL_FRONTAL = 1

_PIL_FORMAT = {"wsq": "WSQ", "jpeg": "JPEG", "jp2": "JPEG2000", "jp2-lossless": "JPEG2000", "png": "PNG",
               "rgb-jpeg": "JPEG", "rgb-jp2-lossless": "JPEG2000", "rgb-png": "PNG"}


class IsoRecordError(ValueError):
    """A record that is not a valid ISO/IEC 19794-4/-5/-6 record (the message names the field)."""


@dataclass(frozen=True)
class QualityBlock:
    score: int                      # 0-100; 254 not computed, 255 failed
    vendor: int = 0
    algorithm: int = 0


@dataclass(frozen=True)
class IsoImage:
    """One representation of a record: the image and what the header says about it."""

    kind: str                       # "finger", "iris", "face"
    format: str                     # FINGER_FORMAT, IRIS_FORMAT, FACE_FORMAT
    sub_type: str                   # SBI name: "Left IndexFinger", "Left" (iris), "" (face)
    position: int                   # finger position code, eye label, 0 for face
    width: int
    height: int
    ppi: int | None                 # finger images: image sampling rate in pixels per inch
    bit_depth: int
    compression: str                # "raw", "wsq", "jpeg", "jp2", "jp2-lossless", "png", ...
    image_data: bytes
    quality: tuple[QualityBlock, ...] = ()
    captured_at: datetime | None = None
    representations: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def quality_score(self) -> int | None:
        return self.quality[0].score if self.quality else None

    def to_image(self):  # -> PIL.Image.Image
        """Decode the image data (raw, WSQ, JPEG, JPEG 2000, PNG) into a Pillow image."""
        return decode_image(self.image_data, self.compression, self.width, self.height, self.bit_depth)

    def describe(self) -> dict[str, Any]:
        """Metadata without the image bytes (safe to log or print)."""
        return {"kind": self.kind, "format": self.format, "sub_type": self.sub_type,
                "width": self.width, "height": self.height, "ppi": self.ppi, "bit_depth": self.bit_depth,
                "compression": self.compression, "image_bytes": len(self.image_data),
                "quality": self.quality_score, "representations": self.representations, **self.extra}


# ------------------------------------------------------------------------------------------ images

def decode_image(data: bytes, compression: str, width: int = 0, height: int = 0, bit_depth: int = 8):
    from PIL import Image

    if compression in ("raw", "rgb-raw"):
        mode = "RGB" if compression == "rgb-raw" or bit_depth == 24 else "L"
        need = width * height * (3 if mode == "RGB" else 1)
        if bit_depth not in (8, 24) or len(data) != need:
            raise IsoRecordError(f"raw image: {len(data)} bytes for {width}x{height} at {bit_depth} bits")
        return Image.frombytes(mode, (width, height), data)
    if compression == "wsq":
        import wsq  # noqa: F401  (registers the WSQ Pillow plugin)
    if compression not in _PIL_FORMAT:
        raise IsoRecordError(f"image compression {compression!r} cannot be decoded")
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except Exception as e:  # Pillow raises many types for broken data
        raise IsoRecordError(f"image data ({compression}) cannot be decoded: {e}") from None
    return img


def encode_image(img, compression: str) -> bytes:
    """Encode a Pillow image for a record: raw bytes, WSQ (grey only), JPEG, JPEG 2000, PNG."""
    if compression in ("raw", "rgb-raw"):
        return img.tobytes()
    if compression == "wsq":
        import wsq  # noqa: F401

        if img.mode != "L":
            img = img.convert("L")
    buf = io.BytesIO()
    fmt = _PIL_FORMAT.get(compression)
    if fmt is None:
        raise IsoRecordError(f"cannot encode compression {compression!r}")
    kwargs: dict[str, Any] = {}
    if fmt == "JPEG2000":
        kwargs = {"irreversible": compression == "jp2"}
        if compression == "jp2":
            kwargs.update(quality_mode="rates", quality_layers=[10])
    elif fmt == "JPEG":
        kwargs = {"quality": 90}
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


# ------------------------------------------------------------------------------------------ helpers

def _datetime_bytes(when: datetime | None) -> bytes:
    when = (when or datetime.now(UTC)).astimezone(UTC)
    return struct.pack(">HBBBBBH", when.year, when.month, when.day, when.hour, when.minute, when.second,
                       when.microsecond // 1000)


def _parse_datetime(raw: bytes) -> datetime | None:
    y, mo, d, h, mi, s, ms = struct.unpack(">HBBBBBH", raw)
    try:
        return datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=UTC)
    except ValueError:
        return None          # all 0xFF means "not given"; other bad dates are not fatal either


def _quality_bytes(quality: int | QualityBlock | None) -> bytes:
    if quality is None:
        return b"\x00"
    q = quality if isinstance(quality, QualityBlock) else QualityBlock(int(quality))
    if not 0 <= q.score <= 255:
        raise IsoRecordError(f"quality score {q.score} is outside 0-255")
    return b"\x01" + struct.pack(">BHH", q.score, q.vendor, q.algorithm)


class _Reader:
    def __init__(self, data: bytes, what: str) -> None:
        self.data, self.pos, self.what = data, 0, what

    def take(self, n: int, field_name: str) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise IsoRecordError(f"{self.what}: record ends inside {field_name} (offset {self.pos}, "
                                 f"{n} bytes wanted, {len(self.data) - self.pos} left)")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str, field_name: str) -> tuple:
        return struct.unpack(">" + fmt, self.take(struct.calcsize(">" + fmt), field_name))

    def u8(self, f: str) -> int:
        return self.unpack("B", f)[0]

    def u16(self, f: str) -> int:
        return self.unpack("H", f)[0]

    def u32(self, f: str) -> int:
        return self.unpack("I", f)[0]


def _quality_blocks(r: _Reader) -> tuple[QualityBlock, ...]:
    n = r.u8("number of quality blocks")
    return tuple(QualityBlock(*r.unpack("BHH", "quality block")) for _ in range(n))


def _check_header(r: _Reader, magic: bytes, versions: tuple[bytes, ...], what: str) -> tuple[bytes, int]:
    got = r.take(4, "format identifier")
    if got != magic:
        raise IsoRecordError(f"not an {what} record (format identifier {got!r}, expected {magic!r})")
    version = r.take(4, "version number")
    if version not in versions:
        raise IsoRecordError(f"{what}: version {version!r} is not supported (expected {versions[0]!r})")
    length = r.u32("record length")
    if length != len(r.data):
        raise IsoRecordError(f"{what}: record length field says {length} bytes but the record has {len(r.data)}")
    return version, length


def _general_header(data: bytes, magic: bytes, version: bytes, what: str, noun: str,
                    third: tuple[str, str]) -> tuple[_Reader, int, int]:
    """Read a record's general header: a reader after it, the number of representations (one at least)
    and the certification flag. ``third`` is the format's last header field (struct code, name)."""
    r = _Reader(data, what)
    _check_header(r, magic, (version,), what)
    n_reps = r.u16(f"number of {noun} representations")
    cert_flag = r.u8("certification flag")
    r.unpack(*third)
    if n_reps == 0:
        raise IsoRecordError(f"{what}: the record holds no {noun} representation")
    return r, n_reps, cert_flag


def _representation_start(r: _Reader) -> tuple[int, int, datetime | None, tuple[QualityBlock, ...]]:
    """What every representation header starts with: (its offset, its length, capture time, quality blocks)."""
    start = r.pos
    rep_len = r.u32("representation length")
    when = _parse_datetime(r.take(9, "capture date and time"))
    r.unpack("BHH", "capture device")
    return start, rep_len, when, _quality_blocks(r)


def _representation_end(r: _Reader, start: int, rep_len: int, i: int, *, skip_rest: bool) -> None:
    """Check the representation's length field against what was read; with ``skip_rest``, data after the
    image (extended data blocks, 3D data) is allowed and skipped, else the image must end it."""
    if skip_rest:
        bad = start + rep_len > len(r.data) or r.pos > start + rep_len
    else:
        bad = r.pos != start + rep_len
    if bad:
        raise IsoRecordError(f"{r.what}: representation {i + 1} length {rep_len} does not match its content")
    r.pos = start + rep_len


def _check_size(width: int, height: int, what: str) -> None:
    if width == 0 or height == 0:
        raise IsoRecordError(f"{what}: image size {width}x{height} is empty")


def _check_consumed(r: _Reader) -> None:
    if r.pos != len(r.data):
        raise IsoRecordError(f"{r.what}: {len(r.data) - r.pos} bytes left after the last representation")


def _capture_header(captured_at: datetime | None, quality: int | QualityBlock | None, technology: int = 0,
                    vendor: int = 0, device_type: int = 0) -> bytes:
    """The start of every representation header: capture date and time, capture device, quality blocks."""
    return (_datetime_bytes(captured_at) + struct.pack(">BHH", technology, vendor, device_type)
            + _quality_bytes(quality))


def _representation(header: bytes, data: bytes) -> bytes:
    """A representation: its length, its header, then the length-prefixed image data."""
    body = struct.pack(">I", len(data)) + data
    return struct.pack(">I", 4 + len(header) + len(body)) + header + body


# ------------------------------------------------------------------------------------------ finger

def build_finger(image, *, position: int | str, ppi: int = 500, compression: str = "raw",
                 quality: int | QualityBlock | None = None, captured_at: datetime | None = None,
                 impression: int = 0, device_vendor: int = 0, device_type: int = 0,
                 device_technology: int = 0) -> bytes:
    """An ISO/IEC 19794-4:2011 record with one grey finger image (``image``: a Pillow image),
    encoded as ``compression`` ("raw", "wsq", "jpeg", "jp2", "jp2-lossless", "png")."""
    pos = FINGER_POSITIONS[position] if isinstance(position, str) else int(position)
    if pos not in FINGER_POSITION_NAMES:
        raise IsoRecordError(f"finger position {position!r} is not a 19794-4 position code")
    if compression not in FINGER_COMPRESSION:
        raise IsoRecordError(f"finger compression {compression!r} unknown")
    if image.mode != "L":
        image = image.convert("L")
    width, height = image.size
    data = encode_image(image, compression)
    return _finger_record([(data, width, height)], pos, ppi, FINGER_COMPRESSION[compression], quality,
                          captured_at, impression, device_vendor, device_type, device_technology)


def _finger_record(images: list[tuple[bytes, int, int]], pos: int, ppi: int, comp_code: int,
                   quality, captured_at, impression: int, vendor: int, dtype: int, tech: int) -> bytes:
    reps = b""
    for n, (data, width, height) in enumerate(images, start=1):
        header = (_capture_header(captured_at, quality, tech, vendor, dtype)
                  + struct.pack(">BBBHHHHBBBHH", pos, n, 1, ppi, ppi, ppi, ppi, 8, comp_code, impression,
                                width, height))
        reps += _representation(header, data)
    total = 16 + len(reps)
    return b"FIR\x00020\x00" + struct.pack(">IHBB", total, len(images), 0, 1) + reps


def parse_finger_all(data: bytes) -> list[IsoImage]:
    what = "ISO/IEC 19794-4"
    r, n_reps, cert_flag = _general_header(data, b"FIR\x00", b"020\x00", what, "finger",
                                           ("B", "number of distinct finger positions"))
    out = []
    for i in range(n_reps):
        start, rep_len, when, quality = _representation_start(r)
        if cert_flag:
            n_cert = r.u8("number of certification blocks")
            r.take(3 * n_cert, "certification blocks")
        (pos, _repno, scale, _sh, _sv, img_h, img_v, depth, comp, impression,
         width, height) = r.unpack("BBBHHHHBBBHH", "finger image header")
        img = r.take(r.u32("image data length"), "image data")
        _representation_end(r, start, rep_len, i, skip_rest=True)      # skip extended data blocks
        if comp not in FINGER_COMPRESSION_NAMES:
            raise IsoRecordError(f"{what}: unknown image compression code {comp}")
        _check_size(width, height, what)
        ppi = img_h if scale == 1 else round(img_h * 2.54) if scale == 2 else None
        out.append(IsoImage(
            kind="finger", format=FINGER_FORMAT, sub_type=FINGER_POSITION_NAMES.get(pos, "UNKNOWN"),
            position=pos, width=width, height=height, ppi=ppi, bit_depth=depth,
            compression=FINGER_COMPRESSION_NAMES[comp], image_data=img, quality=quality, captured_at=when,
            representations=n_reps, extra={"impression": impression, "vertical_ppi":
                                            img_v if scale == 1 else round(img_v * 2.54) if scale == 2 else None},
        ))
    _check_consumed(r)
    return out


def recompress_finger(data: bytes, compression: str = "wsq") -> bytes:
    """The same finger record with its images re-encoded (e.g. raw -> WSQ); header data is kept."""
    images = parse_finger_all(data)
    first = images[0]
    encoded = []
    for rep in images:
        img = rep.to_image()
        encoded.append((encode_image(img.convert("L"), compression), rep.width, rep.height))
    return _finger_record(encoded, first.position, first.ppi or 500, FINGER_COMPRESSION[compression],
                          first.quality[0] if first.quality else None, first.captured_at,
                          int(first.extra.get("impression", 0)), 0, 0, 0)


# ------------------------------------------------------------------------------------------ iris

def build_iris(image, *, eye: str, compression: str = "jp2-lossless", quality: int | QualityBlock | None = None,
               captured_at: datetime | None = None, iris_diameter: int = 0,
               iris_centre: tuple[int, int] | None = None) -> bytes:
    """An ISO/IEC 19794-6:2011 record with one cropped monochrome iris image."""
    if eye not in EYE_LABELS:
        raise IsoRecordError(f"eye {eye!r} is not Left, Right or UNKNOWN")
    if compression not in ("raw", "jpeg", "jp2-lossless", "png"):
        raise IsoRecordError(f"iris compression {compression!r} unknown")
    if image.mode != "L":
        image = image.convert("L")
    width, height = image.size
    data = encode_image(image, compression)
    cx, cy = iris_centre or (width // 2, height // 2)
    header = (_capture_header(captured_at, quality) + struct.pack(">H", 1)
              + struct.pack(">BBBBHHBHHHHHHHHH", EYE_LABELS[eye], IRIS_IMAGE_TYPE_CROPPED, IRIS_FORMATS[compression],
                            0, width, height, 8, 0, 0xFFFF, 0xFFFF, cx, cx, cy, cy, iris_diameter, iris_diameter))
    rep = _representation(header, data)
    return b"IIR\x00020\x00" + struct.pack(">IHBB", 16 + len(rep), 1, 0, 1) + rep


def parse_iris_all(data: bytes) -> list[IsoImage]:
    what = "ISO/IEC 19794-6"
    r, n_reps, _cert = _general_header(data, b"IIR\x00", b"020\x00", what, "iris", ("B", "number of eyes represented"))
    out = []
    for i in range(n_reps):
        start, rep_len, when, quality = _representation_start(r)
        r.u16("representation number")
        (eye, img_type, fmt, _props, width, height, depth, _range, _roll, _roll_u, cx0, cx1, cy0, cy1,
         d0, d1) = r.unpack("BBBBHHBHHHHHHHHH", "iris image information")
        img = r.take(r.u32("image data length"), "image data")
        _representation_end(r, start, rep_len, i, skip_rest=False)
        if fmt not in IRIS_FORMAT_NAMES:
            raise IsoRecordError(f"{what}: unknown image format code {fmt:#04x}")
        _check_size(width, height, what)
        out.append(IsoImage(
            kind="iris", format=IRIS_FORMAT, sub_type=EYE_LABEL_NAMES.get(eye, "UNKNOWN"), position=eye,
            width=width, height=height, ppi=None, bit_depth=depth, compression=IRIS_FORMAT_NAMES[fmt],
            image_data=img, quality=quality, captured_at=when, representations=n_reps,
            extra={"image_type": img_type, "iris_diameter": d1 or None,
                   "iris_centre": [(cx0 + cx1) // 2, (cy0 + cy1) // 2] if cx1 else None},
        ))
    _check_consumed(r)
    return out


# ------------------------------------------------------------------------------------------ face

def build_face(image, *, compression: str = "jpeg", quality: int | QualityBlock | None = None,
               captured_at: datetime | None = None, sampling_level: int = 0) -> bytes:
    """An ISO/IEC 19794-5:2011 record with one full-frontal 2D face image (colour or grey)."""
    if compression not in FACE_DATA_TYPES:
        raise IsoRecordError(f"face compression {compression!r} unknown")
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    width, height = image.size
    data = encode_image(image, compression)
    colour = FACE_COLOUR_RGB24 if image.mode == "RGB" else FACE_COLOUR_GREY8
    facial = struct.pack(">HBBBB", 0, 0, 0, 0, 0) + b"\x00\x00\x00" + struct.pack(">H", 0) + b"\x00" * 6
    info = struct.pack(">BBHHBHBB", FACE_TYPE_FULL_FRONTAL, FACE_DATA_TYPES[compression], width, height,
                       sampling_level, 0, 0, colour)
    header = _capture_header(captured_at, quality) + facial + info
    rep = _representation(header, data)
    return b"FAC\x00030\x00" + struct.pack(">IHBH", 17 + len(rep), 1, 0, 0) + rep


def parse_face_all(data: bytes) -> list[IsoImage]:
    what = "ISO/IEC 19794-5"
    r, n_reps, _cert = _general_header(data, b"FAC\x00", b"030\x00", what, "face", ("H", "temporal semantics"))
    out = []
    for i in range(n_reps):
        start, rep_len, when, quality = _representation_start(r)
        n_landmarks = r.u16("number of landmark points")
        r.take(15, "facial information")
        r.take(8 * n_landmarks, "landmark points")
        face_type, dtype, width, height, level, _post, _xref, colour = r.unpack("BBHHBHBB", "image information")
        img = r.take(r.u32("image data length"), "image data")
        _representation_end(r, start, rep_len, i, skip_rest=True)      # 3D data, if any, is skipped
        if dtype not in FACE_DATA_TYPE_NAMES:
            raise IsoRecordError(f"{what}: unknown image data type {dtype}")
        _check_size(width, height, what)
        out.append(IsoImage(
            kind="face", format=FACE_FORMAT, sub_type="", position=0, width=width, height=height, ppi=None,
            bit_depth=24 if colour == FACE_COLOUR_RGB24 else 8, compression=FACE_DATA_TYPE_NAMES[dtype],
            image_data=img, quality=quality, captured_at=when, representations=n_reps,
            extra={"face_image_type": face_type, "sampling_level": level, "landmarks": n_landmarks},
        ))
    _check_consumed(r)
    return out


# ------------------------------------------------------------------------------------------ any

_PARSERS = {b"FIR\x00": parse_finger_all, b"IIR\x00": parse_iris_all, b"FAC\x00": parse_face_all}


def parse_all(data: bytes) -> list[IsoImage]:
    """Every representation of a finger, iris or face record (chosen by its format identifier)."""
    if not isinstance(data, bytes | bytearray) or len(data) < 16:
        raise IsoRecordError("not an ISO/IEC 19794 record (too short)")
    parser = _PARSERS.get(bytes(data[:4]))
    if parser is None:
        raise IsoRecordError(f"not an ISO/IEC 19794-4/-5/-6 record (format identifier {bytes(data[:4])!r})")
    return parser(bytes(data))


def parse(data: bytes) -> IsoImage:
    """The first representation of a finger, iris or face record."""
    return parse_all(data)[0]
