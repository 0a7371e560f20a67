#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (nothing big is committed).

    python3 fuzz/seeds.py [CORPUS_DIR]     (default: fuzz/corpus)

metadata/ and clockshot/: the real-camera JPEGs of tests/fixtures/real-cameras cut
down to their header segments and a scrap of scan data (the readers look at nothing
else, and small inputs fuzz faster), the two videos with their `mdat` emptied, the
hand-made hostile files of tests/fixtures/fuzz/, and minimal headers of every other
format the readers sniff (TIFF/ORF/RW2, RAF, HEIF, CR3, PNG, WebP, WAV, AVI, FLAC).
Existing files are kept: a corpus grown by earlier runs stays.
"""

import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
REAL = os.path.join(ROOT, "tests", "fixtures", "real-cameras")
REGRESSIONS = os.path.join(ROOT, "tests", "fixtures", "fuzz")
SCAN_SCRAP = 512


def jpeg_header(data):
    """The segments up to and including SOS, a scrap of scan data, then EOI."""
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            break
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        end = i + 2 + length
        if marker == 0xDA:
            return data[: end + SCAN_SCRAP] + b"\xff\xd9"
        i = end
    return data[:65536]


def bmff_without_media(data):
    """Top-level boxes as they are, `mdat` cut to 16 bytes (its size fixed up)."""
    out, i = bytearray(), 0
    while i + 8 <= len(data):
        (size,) = struct.unpack(">I", data[i : i + 4])
        kind = data[i + 4 : i + 8]
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", data[i + 8 : i + 16])
            header = 16
        elif size == 0:
            size = len(data) - i
        if size < header:
            break
        if kind == b"mdat":
            out += struct.pack(">I", 8 + 16) + b"mdat" + data[i + header : i + header + 16]
        else:
            out += data[i : i + size]
        i += size
    return bytes(out)


def box(kind, payload):
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def tiff(mark=b"II*\x00"):
    """IFD0 (make, model, orientation, strip offsets) and an EXIF IFD with dates."""
    le = mark[:2] == b"II"
    e = "<" if le else ">"
    entries0 = []
    data = bytearray()
    base = 8 + 2 + 12 * 6 + 4  # after IFD0
    exif_ifd = base
    exif_entries = 3
    strings_at = exif_ifd + 2 + 12 * exif_entries + 4

    def put(text):
        nonlocal data
        at = strings_at + len(data)
        data += text
        return at

    make = put(b"Canon\x00")
    model = put(b"Canon EOS 90D\x00")
    when = put(b"2025:03:12 09:30:00\x00")
    offset = put(b"+08:00\x00")
    serial = put(b"0330103043\x00")
    entries0 = [
        (0x010F, 2, 6, make),
        (0x0110, 2, 14, model),
        (0x0112, 3, 1, 6),
        (0x0111, 4, 1, 16),  # StripOffsets
        (0x0117, 4, 1, 8),  # StripByteCounts
        (0x8769, 4, 1, exif_ifd),
    ]
    exif = [
        (0x9003, 2, 20, when),
        (0x9011, 2, 7, offset),
        (0xA431, 2, 11, serial),
    ]

    def ifd(entries, nxt=0):
        out = struct.pack(e + "H", len(entries))
        for tag, typ, count, value in entries:
            if typ == 3 and count == 1:
                v = struct.pack(e + "HH", value, 0)
            else:
                v = struct.pack(e + "I", value)
            out += struct.pack(e + "HHI", tag, typ, count) + v
        return out + struct.pack(e + "I", nxt)

    head = mark + struct.pack(e + "I", 8)
    return head + ifd(entries0) + ifd(exif) + bytes(data)


def synthetic():
    t = tiff()
    yield "tiff-le", t
    yield "tiff-be", tiff(b"MM\x00*")
    yield "orf", b"IIRO" + t[4:]
    yield "rw2", b"IIU\x00" + t[4:]
    jpeg = b"\xff\xd8\xff\xe1" + struct.pack(">H", 2 + 6 + len(t)) + b"Exif\x00\x00" + t
    jpeg += b"\xff\xc0\x00\x11\x08\x00\x10\x00\x10\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    jpeg += b"\xff\xda\x00\x0c\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00" + b"\x00" * 16
    yield "jpeg-min", jpeg + b"\xff\xd9"
    raf = bytearray(b"FUJIFILMCCD-RAW 0201FF383501X-T30\x00".ljust(0x54, b"\x00"))
    jpeg_at = 0x94
    raf += struct.pack(">II", jpeg_at, len(jpeg))  # JPEG offset, length
    raf += struct.pack(">II", 0, 0)  # CFA header
    raf += struct.pack(">II", jpeg_at + len(jpeg), 4)  # CFA offset, length
    raf = raf.ljust(jpeg_at, b"\x00") + jpeg + b"\x00" * 4
    yield "raf", bytes(raf)
    exif_item = b"\x00\x00\x00\x06Exif\x00\x00" + t
    ispe = box(b"ispe", b"\x00" * 4 + struct.pack(">II", 4032, 3024))
    iprp = box(b"iprp", box(b"ipco", ispe) + box(b"ipma", b"\x00" * 4 + struct.pack(">IHBB", 1, 1, 1, 0x81)))
    iinf = box(b"iinf", b"\x00" * 4 + struct.pack(">H", 1) + box(b"infe", b"\x02\x00\x00\x00" + struct.pack(">HH", 1, 0) + b"Exif\x00"))
    heic_head = box(b"ftyp", b"heic\x00\x00\x00\x00mif1heic")

    def heic_meta(data_at):
        loc = struct.pack(">HHHHII", 1, 1, 0, 1, data_at, len(exif_item))
        iloc = box(b"iloc", b"\x00" * 4 + b"\x44\x00" + loc)
        return box(b"meta", b"\x00" * 4 + iinf + iprp + iloc)

    data_at = len(heic_head) + len(heic_meta(0)) + 8
    meta = heic_meta(data_at)
    yield "heic", heic_head + meta + box(b"mdat", exif_item)
    cmt = box(b"CMT1", t) + box(b"CMT2", t)
    uuid = box(b"uuid", bytes.fromhex("85c0b687820f11e08111f4ce462b6a48") + cmt)
    yield "cr3", box(b"ftyp", b"crx \x00\x00\x00\x01crx isom") + box(b"moov", uuid)
    png = b"\x89PNG\r\n\x1a\n"
    ihdr = struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)
    png += struct.pack(">I", 13) + b"IHDR" + ihdr + b"\x00" * 4
    png += struct.pack(">I", len(t) + 6) + b"eXIf" + t + b"\x00" * 6 + b"\x00" * 4
    png += struct.pack(">I", 0) + b"IEND" + b"\xaeB`\x82"
    yield "png", png
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x08\x00\x00\x00" + (15).to_bytes(3, "little") * 2
    exif_chunk = b"EXIF" + struct.pack("<I", len(t)) + t + (b"\x00" if len(t) % 2 else b"")
    body = b"WEBP" + vp8x + exif_chunk
    yield "webp", b"RIFF" + struct.pack("<I", len(body)) + body
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 2, 48000, 192000, 4, 16)
    wave = b"WAVE" + fmt + b"data" + struct.pack("<I", 16) + b"\x00" * 16
    yield "wav", b"RIFF" + struct.pack("<I", len(wave)) + wave
    avih = b"avih" + struct.pack("<I", 56) + struct.pack("<14I", 40000, 0, 0, 0, 25, 0, 1, 0, 1920, 1080, 0, 0, 0, 0)
    hdrl = b"LIST" + struct.pack("<I", 4 + len(avih)) + b"hdrl" + avih
    avi = b"AVI " + hdrl
    yield "avi", b"RIFF" + struct.pack("<I", len(avi)) + avi
    info = struct.pack(">HHBBBB", 4096, 4096, 0, 0, 0, 0) + b"\x00" * 2
    info += (48000 << 12 | 1 << 9 | 15 << 4).to_bytes(4, "big")[:3] + b"\x00" * 5 + b"\x00" * 16
    yield "flac", b"fLaC" + b"\x80" + len(info).to_bytes(3, "big") + info
    yield "empty", b""
    yield "unknown", b"\x00" * 64


def write(directory, name, data):
    os.makedirs(directory, exist_ok=True)
    digest = hashlib.sha1(data).hexdigest()[:12]
    path = os.path.join(directory, f"{name}-{digest}")
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    metadata = os.path.join(corpus, "metadata")
    clockshot = os.path.join(corpus, "clockshot")
    os.makedirs(os.path.join(corpus, "matching"), exist_ok=True)
    os.makedirs(os.path.join(corpus, "query"), exist_ok=True)
    for name in sorted(os.listdir(REAL)):
        with open(os.path.join(REAL, name), "rb") as f:
            data = f.read()
        stem = os.path.splitext(name)[0].replace(" ", "-")
        if name.lower().endswith(".jpg"):
            write(metadata, stem, jpeg_header(data))
            write(clockshot, stem, jpeg_header(data))
        elif name.lower().endswith((".mov", ".mp4")):
            write(metadata, stem, bmff_without_media(data))
    for name, data in synthetic():
        write(metadata, name, data)
    if os.path.isdir(REGRESSIONS):
        for name in sorted(os.listdir(REGRESSIONS)):
            target = name.split("-", 1)[0]
            with open(os.path.join(REGRESSIONS, name), "rb") as f:
                write(os.path.join(corpus, target), name, f.read())
    count = sum(len(files) for _, _, files in os.walk(corpus))
    print(f"seeds: {count} files under {corpus}")


if __name__ == "__main__":
    main()
