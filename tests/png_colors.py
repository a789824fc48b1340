#!/usr/bin/env python3
"""png_colors.py FILE [#rrggbb ...]: what a screenshot shows, for the browser
test of tests/check_report.c (is the page blank, are the charts drawn).

Prints, one per line:
    size WIDTHxHEIGHT
    colors N              distinct colours (counted up to 100000)
    background F          the share of pixels in the most common colour
    #rrggbb N             pixels of exactly that colour, for each one asked

Decodes 8-bit RGB and RGBA PNGs, non-interlaced (what Chromium writes),
with the standard library only; exits 1 on anything else.
"""
import struct
import sys
import zlib


def chunks(data):
    """(type, payload) of each chunk after the signature."""
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        yield kind, data[pos + 8:pos + 8 + length]
        pos += 12 + length


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def unfilter(raw, width, height, bpp):
    """The pixel rows of a PNG's inflated image data, filters undone."""
    stride = width * bpp
    rows, prev, pos = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[pos], bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 0xFF
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                up_left = prev[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + paeth(left, prev[i], up_left)) & 0xFF
        elif kind != 0:
            raise ValueError("filter type %d" % kind)
        rows.append(line)
        prev = line
    return rows


def main(argv):
    with open(argv[1], "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        print("not a PNG", file=sys.stderr)
        return 1
    idat, header = b"", None
    for kind, payload in chunks(data):
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", payload)
        elif kind == b"IDAT":
            idat += payload
    width, height, depth, ctype, _, _, interlace = header
    if depth != 8 or ctype not in (2, 6) or interlace:
        print("unsupported PNG (depth %d, colour type %d)" % (depth, ctype), file=sys.stderr)
        return 1
    bpp = 3 if ctype == 2 else 4
    counts = {}
    for line in unfilter(zlib.decompress(idat), width, height, bpp):
        for i in range(0, len(line), bpp):
            key = bytes(line[i:i + 3])
            if key in counts or len(counts) < 100000:
                counts[key] = counts.get(key, 0) + 1
    print("size %dx%d" % (width, height))
    print("colors %d" % len(counts))
    print("background %.3f" % (max(counts.values()) / float(width * height)))
    for colour in argv[2:]:
        print("%s %d" % (colour, counts.get(bytes.fromhex(colour.lstrip("#")), 0)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
