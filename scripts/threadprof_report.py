#!/usr/bin/env python3
"""threadprof_report.py: the `report` and `diff` commands of scripts/threadprof.

report DIR [-o FILE]
    Reads the soak-test trend files threadprof.<pid>.trend.jsonl of DIR
    (the format is docs/trends.md) and writes one self-contained HTML page:
    per process image, the verdicts, charts over time (threads, states,
    heap, RSS, descriptors, lock contention) with the dumps marked on them,
    and a table of the dumps with links to their files.  No script, no
    network fetch: inline SVG and CSS only, so it opens from disk.

diff OLD NEW
    Prints what changed between two dumps: threads by group (from the
    threads.txt files), heap in use by allocating function (heap.pb.gz) and
    lock contention by function (mutex.pb.gz), biggest change first.

Only the standard library (Debian 12's python3).  Input the agent did not
write the way the doc says (a truncated last line, a record of an unknown
type or version, garbage) costs one `threadprof: ` line on stderr and the
rest goes on.  Exit status: 0 done, 1 nothing readable, 2 usage.
"""

import argparse
import gzip
import html
import json
import math
import os
import re
import sys
import tempfile
import urllib.parse
import zlib
from dataclasses import dataclass, field

PROG = "threadprof"
TREND_VERSION = 1
TREND_RE = re.compile(r"^threadprof\.([0-9]+)\.trend\.jsonl$")
DUMP_FILE_RE = re.compile(r"^threadprof\.[0-9]+\.[0-9]+\."
                          r"(threads\.txt|summary\.txt|mutex\.pb\.gz|block\.pb\.gz|heap\.pb\.gz)$")
PARTS = {  # part name -> file suffix, in the order the report lists them
    "threads": ".threads.txt",
    "summary": ".summary.txt",
    "mutex": ".mutex.pb.gz",
    "block": ".block.pb.gz",
    "heap": ".heap.pb.gz",
}
TOP_SERIES = 8          # keyed series drawn per chart; the rest is "other"
MAX_POINTS = 800        # points per drawn series (longer ones are thinned)
MAX_LINE = 1 << 20      # a longer line is not a record the agent wrote


# ---------------------------------------------------------------------------
# Messages and units

def printable(text):
    """text with control characters as \\xNN (as the agent quotes values)."""
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: "\\x%02x" % ord(m.group()), str(text))


def warn(message):
    print("%s: %s" % (PROG, printable(message)), file=sys.stderr)


def fmt_bytes(n):
    """Bytes as the agent words them: "512 B", "1.5 KiB", "2.3 GiB"."""
    sign = "-" if n < 0 else ""
    n = abs(n)
    if n < 1024:
        return "%s%d B" % (sign, n)
    v = n / 1024.0
    for unit in ("KiB", "MiB", "GiB"):
        if v < 1024:
            return "%s%.1f %s" % (sign, v, unit)
        v /= 1024
    return "%s%.1f TiB" % (sign, v)


def fmt_wait(ns):
    """A lock wait in ns as the summary words it: "850ns", "1.2us", "41.20ms"."""
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 1000:
        return "%s%dns" % (sign, ns)
    if ns < 1000000:
        return "%s%.1fus" % (sign, ns / 1e3)
    if ns < 1000000000:
        return "%s%.2fms" % (sign, ns / 1e6)
    if ns < 60e9:
        return "%s%.2fs" % (sign, ns / 1e9)
    return sign + fmt_seconds(ns / 1e9)


def fmt_seconds(s):
    """A duration in seconds, short: "45s", "12m30s", "3h05m"."""
    s = max(0.0, s)
    if s < 10:
        return "%.1fs" % s
    if s < 60:
        return "%ds" % round(s)
    if s < 3600:
        return "%dm%02ds" % (s // 60, s % 60)
    return "%dh%02dm" % (s // 3600, s % 3600 // 60)


def fmt_count(v):
    if abs(v - round(v)) < 1e-9:
        return "%d" % round(v)
    return "%.3g" % v


def signed(text, value):
    """text with a "+" before it when value is positive (a negative value's
    text has its own sign)."""
    return ("+" if value > 0 else "") + text


# ---------------------------------------------------------------------------
# Trend files: reading the records

@dataclass
class Image:
    """One process image: a start record and what follows it in its file."""
    pid: int
    file: str
    ordinal: int                      # 1 for the first image of this pid
    start: dict = field(default_factory=dict)
    samples: list = field(default_factory=list)
    names: dict = field(default_factory=dict)
    dumps: list = field(default_factory=list)
    verdicts: dict = None             # the latest verdicts record
    problems: int = 0                 # lines of this image skipped

    @property
    def anchor(self):
        return "pid%d-%d" % (self.pid, self.ordinal)

    def name_of(self, key):
        """The name of a key for a legend: its file paths shortened to the
        file name ("f (/src/x.c:3)" -> "f (x.c:3)"), the key when unnamed."""
        return re.sub(r"\(/[^()]*/([^/()]+:[0-9]+)\)", r"(\1)", str(self.names.get(key, key)))


class FileWarnings:
    """Problems found in one file: each kind said once, with its count."""

    def __init__(self, name):
        self.name = name
        self.first = {}   # message -> first line number
        self.count = {}

    def add(self, lineno, message):
        if message not in self.first:
            self.first[message] = lineno
        self.count[message] = self.count.get(message, 0) + 1

    def first_problem(self):
        if not self.first:
            return "no records"
        message, lineno = min(self.first.items(), key=lambda kv: kv[1])
        return "line %d: %s" % (lineno, message) if lineno else message

    def lines(self):
        out = []
        for message, lineno in sorted(self.first.items(), key=lambda kv: kv[1]):
            more = self.count[message] - 1
            tail = " (and %d more line%s like it)" % (more, "s" if more > 1 else "") if more else ""
            out.append("%s:%d: %s%s" % (self.name, lineno, message, tail))
        return out


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def major_version(record):
    """The record's major version (1 when it names none); None when unreadable."""
    v = record.get("version", TREND_VERSION)
    if is_number(v):
        return int(v)
    if isinstance(v, str) and re.match(r"^[0-9]+", v):
        return int(re.match(r"^[0-9]+", v).group())
    return None


def split_lines(data):
    """(line number, text, complete) for each line of data (bytes)."""
    parts = data.split(b"\n")
    last_complete = parts[-1] == b""
    if last_complete:
        parts.pop()
    for i, raw in enumerate(parts):
        complete = i < len(parts) - 1 or last_complete
        yield i + 1, raw, complete


def decode_record(raw, complete, problems, lineno):
    """The JSON object on one line, or None after noting what is wrong."""
    if not raw.strip():
        return None
    if len(raw) > MAX_LINE:
        problems.add(lineno, "line longer than %d bytes, skipped" % MAX_LINE)
        return None
    try:
        record = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        if not complete and raw.lstrip().startswith(b"{"):
            problems.add(lineno, "last line cut short (the process died while writing it?), skipped")
        else:
            problems.add(lineno, "not JSON, line skipped")
        return None
    if not isinstance(record, dict) or not isinstance(record.get("type"), str):
        problems.add(lineno, "JSON but not a record (no \"type\"), line skipped")
        return None
    return record


def read_trend_file(path, pid):
    """The images of one trend file and the problems found in it."""
    name = os.path.basename(path)
    problems = FileWarnings(name)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        problems.add(0, "cannot read: %s" % e.strerror)
        return [], problems
    images = []
    image = None
    skipping = False      # inside an image of a newer version
    for lineno, raw, complete in split_lines(data):
        record = decode_record(raw, complete, problems, lineno)
        if record is None:
            if image is not None and raw.strip():
                image.problems += 1
            continue
        kind = record["type"]
        version = major_version(record)
        if kind == "start":
            if version is None or version > TREND_VERSION:
                problems.add(lineno, "start record of version %s (this reader knows %d): "
                             "that image is skipped" % (printable(record.get("version")), TREND_VERSION))
                skipping, image = True, None
                continue
            skipping = False
            image = Image(pid=pid, file=name, ordinal=len(images) + 1, start=record)
            rpid = record.get("pid")
            if is_number(rpid) and int(rpid) != pid:
                problems.add(lineno, "start record names pid %d, the file pid %d" % (int(rpid), pid))
            images.append(image)
            continue
        if skipping:
            continue
        if version is None or version > TREND_VERSION:
            problems.add(lineno, "%s record of version %s (this reader knows %d), skipped"
                         % (kind, printable(record.get("version")), TREND_VERSION))
            continue
        if image is None:
            # A file whose head is lost still has data worth showing.
            problems.add(lineno, "records before any start record: shown as an image of unknown program")
            image = Image(pid=pid, file=name, ordinal=len(images) + 1,
                          start={"program": "?", "pid": pid})
            images.append(image)
        problem = add_record(image, record)
        if problem:
            problems.add(lineno, problem)
            image.problems += 1
    for image in images:
        image.samples.sort(key=lambda s: s["t"])
    return images, problems


def add_record(image, record):
    """Files one record under image; returns what is wrong with it, if anything."""
    kind = record["type"]
    if kind not in ("sample", "names", "dump", "verdicts"):
        return "unknown record type \"%s\", skipped" % kind[:40]
    if kind != "names" and not is_number(record.get("t")):
        return "%s record without a time (\"t\"), skipped" % kind
    if kind == "sample":
        image.samples.append(record)
    elif kind == "names":
        names = record.get("names")
        if not isinstance(names, dict):
            return "names record without a \"names\" object, skipped"
        image.names.update({k: v for k, v in names.items() if isinstance(v, str)})
    elif kind == "dump":
        image.dumps.append(record)
    elif image.verdicts is None or record["t"] >= image.verdicts["t"]:
        image.verdicts = record
    return None


def find_trend_files(directory):
    """(pid, path) of the trend files in directory, and names to warn about."""
    found, foreign = [], []
    for name in sorted(os.listdir(directory)):
        if name.startswith("."):
            continue    # the agent's temporary files while it writes
        m = TREND_RE.match(name)
        if m:
            found.append((int(m.group(1)), os.path.join(directory, name)))
        elif ".trend.jsonl" in name or \
                (name.startswith("threadprof.") and not DUMP_FILE_RE.match(name)):
            # Looks like ours but is not; the program's own files are not
            # worth a word.
            foreign.append(name)
    found.sort()
    return found, foreign


# ---------------------------------------------------------------------------
# Charts: what to draw

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#17becf", "#bcbd22"]
TOTAL_COLOR = "#222222"
OTHER_COLOR = "#9a9a9a"


@dataclass
class Series:
    name: str
    points: list            # [(t, value)]
    color: str
    width: float = 1.6
    dash: str = ""


@dataclass
class Chart:
    anchor: str
    title: str
    unit: str               # "count", "bytes" or "rate"
    series: list
    note: str = ""


def num(sample, name):
    v = sample.get(name)
    return v if is_number(v) else None


def total_series(samples, name, label, color=TOTAL_COLOR, width=2.6):
    points = [(s["t"], num(s, name)) for s in samples if num(s, name) is not None]
    return Series(label, points, color, width) if points else None


def keyed_values(samples, name, pick=lambda v: v):
    """{key: [(t, value)]} of a {key: value} field of the samples; a key a
    sample does not list counts 0 there (the agent lists what is live)."""
    table = {}      # in the order keys first appear
    for s in samples:
        m = s.get(name)
        if isinstance(m, dict):
            for k in m:
                table.setdefault(k, [])
    for s in samples:
        m = s.get(name)
        if not isinstance(m, dict):
            continue
        for k in table:
            v = pick(m.get(k, 0))
            table[k].append((s["t"], v if is_number(v) else 0))
    return table


def top_and_other(table, label, total=None, colors=PALETTE):
    """The TOP_SERIES keys with the highest peak (then the highest mean, so
    that a series present all along beats a blip) as series, the others
    summed into "other" (or, with total, what the total has beyond them)."""
    def rank(k):
        values = [v for _, v in table[k]] or [0]
        return (-max(values), -sum(values) / len(values), str(k))
    ranked = sorted(table, key=rank)
    top, rest = ranked[:TOP_SERIES], ranked[TOP_SERIES:]
    series = [Series(label(k), table[k], colors[i % len(colors)]) for i, k in enumerate(top)]
    other = None
    if total is not None and top:
        shown = {}
        for k in top:
            for t, v in table[k]:
                shown[t] = shown.get(t, 0) + v
        beyond = [(t, max(0, v - shown.get(t, 0))) for t, v in total.points]
        if any(v > 0 for _, v in beyond):
            other = Series("other (not in the %d above)" % len(top), beyond, OTHER_COLOR, 1.4, "5 3")
    elif rest:
        summed = {}
        for k in rest:
            for t, v in table[k]:
                summed[t] = summed.get(t, 0) + v
        other = Series("other (%d more)" % len(rest), sorted(summed.items()), OTHER_COLOR, 1.4, "5 3")
    if other is not None:
        series.append(other)
    note = "%d more not drawn separately" % len(rest) if rest else ""
    return series, note


def threads_chart(image):
    total = total_series(image.samples, "threads", "all threads")
    if total is None:
        return None
    table = keyed_values(image.samples, "threads_by_group")
    series, note = top_and_other(table, image.name_of, total)
    unjoined = total_series(image.samples, "exited_unjoined", "exited but not joined",
                            "#b8860b", 1.6)
    extra = [unjoined] if unjoined and any(v for _, v in unjoined.points) else []
    return Chart(image.anchor + "-threads", "Threads by group", "count",
                 [total] + series + extra, note)


def states_chart(image):
    table = keyed_values(image.samples, "states")
    if not table:
        return None
    series, note = top_and_other(table, str)
    return Chart(image.anchor + "-states", "Threads by state", "count", series, note)


def heap_chart(image):
    total = total_series(image.samples, "heap_inuse", "heap in use (all sites)")
    if total is None:
        return None
    table = keyed_values(image.samples, "heap_by_site",
                         lambda v: v[0] if isinstance(v, list) and v else 0)
    series, note = top_and_other(table, image.name_of, total)
    return Chart(image.anchor + "-heap", "Heap in use by allocation site", "bytes",
                 [total] + series, note)


def rss_chart(image):
    series = [total_series(image.samples, "rss", "RSS (resident set)", PALETTE[0], 2.2),
              total_series(image.samples, "hwm", "HWM (peak RSS)", PALETTE[3], 1.4)]
    series = [s for s in series if s is not None]
    if not series:
        return None
    if len(series) == 2:
        series[1].dash = "6 3"
    return Chart(image.anchor + "-rss", "Resident memory", "bytes", series)


def fds_chart(image):
    total = total_series(image.samples, "fds_total", "all descriptors")
    table = keyed_values(image.samples, "fds")
    if total is None and not table:
        return None
    series, note = top_and_other(table, str)
    return Chart(image.anchor + "-fds", "Open file descriptors by kind", "count",
                 ([total] if total else []) + series, note)


def rates(points):
    """Per-second rates of a cumulative counter, at the later sample of each
    pair; a decrease (a counter that restarted) gives no point."""
    out = []
    for (t0, v0), (t1, v1) in zip(points, points[1:]):
        if t1 > t0 and v1 >= v0:
            out.append((t1, (v1 - v0) / (t1 - t0)))
    return out


def lock_rates(samples):
    """{lock key: [(t, contentions/s)]}, only across samples that both list
    the lock (the agent lists the most delayed locks, which may change)."""
    table = {}
    for a, b in zip(samples, samples[1:]):
        la, lb = a.get("locks"), b.get("locks")
        if not isinstance(la, dict) or not isinstance(lb, dict):
            continue
        for key, vb in lb.items():
            va = la.get(key)
            if not (isinstance(va, list) and isinstance(vb, list) and va and vb):
                continue
            if is_number(va[0]) and is_number(vb[0]) and b["t"] > a["t"] and vb[0] >= va[0]:
                table.setdefault(key, []).append((b["t"], (vb[0] - va[0]) / (b["t"] - a["t"])))
    return table


def contention_chart(image):
    counts = [(s["t"], num(s, "contentions")) for s in image.samples
              if num(s, "contentions") is not None]
    if len(counts) < 2:
        return None
    total = Series("all locks", rates(counts), TOTAL_COLOR, 2.6)
    series, note = top_and_other(lock_rates(image.samples), image.name_of)
    series = [s for s in series if not s.name.startswith("other")]
    return Chart(image.anchor + "-locks", "Lock contention (contended acquisitions per second)",
                 "rate", [total] + series, note)


def charts_of(image):
    makers = (threads_chart, states_chart, heap_chart, rss_chart, fds_chart, contention_chart)
    return [c for c in (make(image) for make in makers) if c is not None and c.series]


# ---------------------------------------------------------------------------
# Charts: SVG

W, PLOT_L, PLOT_R, PLOT_T, PLOT_H = 1000, 78, 16, 46, 230
LEGEND_ROW = 19


def nice_step(span, ticks):
    """A round step (1, 2, 2.5 or 5 times a power of ten) for about ticks ticks."""
    raw = span / max(1, ticks)
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def time_unit(span):
    if span <= 180:
        return 1.0, "s"
    if span <= 3 * 3600:
        return 60.0, "min"
    return 3600.0, "h"


def value_unit(kind, peak):
    """(divisor, suffix) for the y axis."""
    if kind == "bytes":
        for div, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
            if peak >= div:
                return float(div), " " + name
        return 1.0, " B"
    if kind == "rate":
        return 1.0, "/s"
    return 1.0, ""


def tick_label(v, step):
    if step >= 1 or abs(v) < 1e-12:
        return "%d" % round(v)
    decimals = min(3, max(1, -int(math.floor(math.log10(step)))))
    return "%.*f" % (decimals, v)


def thin(points, limit=MAX_POINTS):
    """At most about limit points, keeping each bucket's lowest and highest
    so that a spike or a dip in a long soak still shows."""
    if len(points) <= limit:
        return points
    bucket = math.ceil(len(points) / (limit // 2))
    out = []
    for i in range(0, len(points), bucket):
        chunk = points[i:i + bucket]
        lo = min(chunk, key=lambda p: p[1])
        hi = max(chunk, key=lambda p: p[1])
        out.extend(sorted({lo, hi}, key=lambda p: p[0]))
    return out


def esc(text):
    return html.escape(printable(text), quote=True)


def short(text, limit):
    text = str(text)
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def dump_marks(dumps, sx, top, bottom):
    """SVG of the dump markers: thresholds and deadlocks red and labelled,
    signal and exit dumps blue and labelled, periodic ones faint."""
    out = []
    rows = [-1e9, -1e9, -1e9]        # right end of the last label per row
    for d in sorted(dumps, key=lambda d: d["t"]):
        x = sx(d["t"])
        reasons = [r for r in d.get("reasons", []) if isinstance(r, str)]
        alarm = "threshold" in reasons or "deadlock" in reasons
        seq = d.get("seq", "?")
        label = ""
        if alarm:
            parts = []
            if "deadlock" in reasons:
                parts.append("deadlock")
            if isinstance(d.get("detail"), str):
                parts.append(d["detail"])
            label = "; ".join(parts) or "threshold"
            cls = "mark alarm"
        elif "signal" in reasons or "exit" in reasons:
            label = "#%s %s" % (seq, "exit" if "exit" in reasons else "signal")
            cls = "mark event"
        else:
            cls = "mark periodic"
        tip = "dump %s at %s: %s%s" % (seq, fmt_seconds(d["t"]), ", ".join(reasons) or "?",
                                      " (%s)" % d["detail"] if isinstance(d.get("detail"), str) else "")
        out.append('<g class="%s"><title>%s</title><line x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>'
                   % (cls, esc(tip), x, top, x, bottom))
        if label:
            label = short(label, 48)
            width = 6.3 * len(label) + 8
            for r in range(len(rows)):
                if x + 3 > rows[r] + 4:
                    anchor, tx = ("start", x + 3) if x + width < W - PLOT_R else ("end", x - 3)
                    left = tx if anchor == "start" else tx - width
                    if left > rows[r] + 4 or r == len(rows) - 1:
                        rows[r] = left + width
                        out.append('<text x="%.1f" y="%d" text-anchor="%s">%s</text>'
                                   % (tx, top - 30 + 13 * r, anchor, esc(label)))
                        break
        out.append("</g>")
    return "\n".join(out)


def legend_svg(series, top, kind):
    """The legend rows: a swatch, the name (cut short; whole in the tooltip),
    the last and the highest value."""
    out = []
    for i, s in enumerate(series):
        y = top + i * LEGEND_ROW
        values = [v for _, v in s.points]
        stat = ""
        if values:
            last, peak = values[-1], max(values)
            stat = "  last %s, peak %s" % (fmt_value(last, kind), fmt_value(peak, kind))
        out.append('<g class="legend"><title>%s</title>' % esc(s.name + stat))
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="%.1f"%s/>'
                   % (PLOT_L, y - 4, PLOT_L + 22, y - 4, s.color, max(2.5, s.width),
                      ' stroke-dasharray="%s"' % s.dash if s.dash else ""))
        out.append('<text x="%d" y="%d">%s<tspan class="stat">%s</tspan></text></g>'
                   % (PLOT_L + 30, y, esc(short(s.name, 110)), esc(stat)))
    return "\n".join(out)


def fmt_value(v, kind):
    if kind == "bytes":
        return fmt_bytes(int(v))
    if kind == "rate":
        return "%s/s" % ("%.3g" % v if v < 100 else "%d" % round(v))
    return fmt_count(v)


def chart_svg(chart, dumps, t_end):
    """One chart: axes with units, the series as lines, the dumps as markers,
    the legend below."""
    x_div, x_unit = time_unit(t_end)
    peak = max([v for s in chart.series for _, v in s.points] + [0])
    y_div, y_suffix = value_unit(chart.unit, peak)
    y_step = nice_step(peak / y_div if peak > 0 else 1, 5)
    if chart.unit == "count":
        y_step = max(1, y_step)     # no 0.2 of a thread
    # A little headroom, so that a flat series does not hide in the frame.
    y_top = max(y_step, math.ceil(peak * 1.04 / y_div / y_step - 1e-9) * y_step) * y_div
    x_step = nice_step(t_end / x_div, 8)
    x_top = t_end
    plot_w = W - PLOT_L - PLOT_R
    bottom = PLOT_T + PLOT_H

    def sx(t):
        return PLOT_L + plot_w * min(max(t, 0), x_top) / x_top

    def sy(v):
        return bottom - PLOT_H * v / y_top

    legend_top = bottom + 62
    rows = len(chart.series) + (1 if chart.note else 0)
    height = legend_top + LEGEND_ROW * (rows - 1) + 10
    out = ['<svg class="chart" id="%s" viewBox="0 0 %d %d" role="img" '
           'xmlns="http://www.w3.org/2000/svg" aria-label="%s">'
           % (esc(chart.anchor), W, height, esc(chart.title))]
    out.append('<title>%s</title>' % esc(chart.title))
    out.append('<rect class="plot" x="%d" y="%d" width="%d" height="%d"/>' % (PLOT_L, PLOT_T, plot_w, PLOT_H))
    n = 0
    while n * y_step * y_div <= y_top * (1 + 1e-9):
        v = n * y_step
        y = sy(v * y_div)
        out.append('<line class="grid" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>' % (PLOT_L, y, W - PLOT_R, y))
        out.append('<text class="ytick" x="%d" y="%.1f">%s%s</text>'
                   % (PLOT_L - 6, y + 4, tick_label(v, y_step), esc(y_suffix)))
        n += 1
    n = 0
    while n * x_step * x_div <= x_top * (1 + 1e-9):
        x = sx(n * x_step * x_div)
        out.append('<line class="xgrid" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>' % (x, PLOT_T, x, bottom))
        out.append('<text class="xtick" x="%.1f" y="%d">%s</text>'
                   % (x, bottom + 16, tick_label(n * x_step, x_step)))
        n += 1
    out.append('<text class="axis" x="%d" y="%d">time since the process started (%s)</text>'
               % (PLOT_L + plot_w // 2, bottom + 34, x_unit))
    out.append(dump_marks(dumps, sx, PLOT_T, bottom))
    for s in chart.series:
        pts = " ".join("%.1f,%.1f" % (sx(t), sy(v)) for t, v in thin(s.points))
        if len(s.points) == 1:      # one sample: a dot rather than nothing
            t, v = s.points[0]
            out.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s</title></circle>'
                       % (sx(t), sy(v), s.color, esc(s.name)))
        out.append('<polyline class="series" points="%s" stroke="%s" stroke-width="%.1f"%s>'
                   '<title>%s</title></polyline>'
                   % (pts, s.color, s.width, ' stroke-dasharray="%s"' % s.dash if s.dash else "",
                      esc(s.name)))
    out.append(legend_svg(chart.series, legend_top, chart.unit))
    if chart.note:
        out.append('<text class="note" x="%d" y="%d">%s</text>'
                   % (PLOT_L, legend_top + LEGEND_ROW * len(chart.series), esc(chart.note)))
    out.append("</svg>")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# The page

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: #1d1d1f; background: #f4f5f7; margin: 0; }
main { max-width: 1180px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 19px; margin: 0 0 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
section.proc { background: #fff; border: 1px solid #dcdfe4; border-radius: 8px;
               padding: 16px 20px; margin: 20px 0; }
.meta { color: #555; margin: 0 0 10px; }
.meta code, td code { font-size: 12.5px; }
.verdicts { border-left: 5px solid #c0392b; background: #fdf0ee; padding: 8px 14px;
            margin: 10px 0 14px; border-radius: 4px; }
.verdicts.clear { border-color: #2e8b57; background: #eef8f1; }
.verdicts.pending { border-color: #999; background: #f3f3f3; }
.verdict { margin: 4px 0; font-size: 15px; }
.kind { font-weight: 600; }
.conf { display: inline-block; font-size: 11.5px; padding: 0 6px; border-radius: 8px;
        margin-left: 6px; color: #fff; vertical-align: 1px; }
.conf.high { background: #c0392b; } .conf.medium { background: #d68910; }
svg.chart { width: 100%; height: auto; display: block; margin: 4px 0 14px;
            font: 12px system-ui, "DejaVu Sans", sans-serif; }
svg.chart .plot { fill: #fcfcfd; stroke: #c9ccd1; }
svg.chart .grid, svg.chart .xgrid { stroke: #e6e8eb; }
svg.chart .ytick { text-anchor: end; fill: #444; }
svg.chart .xtick, svg.chart .axis { text-anchor: middle; fill: #444; }
svg.chart .series { fill: none; stroke-linejoin: round; stroke-linecap: round; }
svg.chart .stat, svg.chart .note { fill: #777; }
svg.chart .mark line { stroke-width: 1.2; }
svg.chart .mark.alarm line { stroke: #d0021b; stroke-width: 2; }
svg.chart .mark.alarm text { fill: #d0021b; font-weight: 600; }
svg.chart .mark.event line { stroke: #3a6ea5; stroke-dasharray: 4 3; }
svg.chart .mark.event text { fill: #3a6ea5; }
svg.chart .mark.periodic line { stroke: #b9bec6; stroke-dasharray: 2 4; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e3e5e8; vertical-align: top; }
th { background: #f0f1f3; }
tr.alarm td { background: #fdf0ee; }
.gone { color: #999; text-decoration: line-through; }
a { color: #1f5fa8; }
.index td:first-child { white-space: nowrap; }
.problems { color: #8a5300; }
details pre { white-space: pre-wrap; font-size: 12px; }
.empty { color: #777; font-style: italic; }
"""


def verdicts_html(image):
    v = image.verdicts
    if v is None:
        return ('<div class="verdicts pending"><p class="verdict">No verdicts yet: '
                'the agent writes them with each dump, and this image has none.</p></div>')
    items = [x for x in v.get("verdicts", []) if isinstance(x, dict)] \
        if isinstance(v.get("verdicts"), list) else []
    basis = ""
    if is_number(v.get("samples")):
        basis = " (from %d samples, at %s)" % (v["samples"], fmt_seconds(v.get("t", 0)))
    if not items and isinstance(v.get("pending"), str):
        return ('<div class="verdicts pending"><p class="verdict">No verdict yet: %s</p></div>'
                % esc(v["pending"]))
    if not items:
        return ('<div class="verdicts clear"><p class="verdict">No trend stands out%s: '
                'nothing keeps growing.</p></div>' % esc(basis))
    out = ['<div class="verdicts"><h3>Verdicts%s</h3>' % esc(basis)]
    for x in items:
        conf = x.get("confidence") if x.get("confidence") in ("high", "medium") else None
        text = x.get("text") if isinstance(x.get("text"), str) else x.get("kind", "?")
        out.append('<p class="verdict"><span class="kind">%s</span>%s</p>'
                   % (esc(text), '<span class="conf %s">%s confidence</span>' % (conf, conf)
                      if conf else ""))
    out.append("</div>")
    return "\n".join(out)


def file_href(directory, out_dir, name):
    """A relative href from the page to DIR/name."""
    rel = os.path.relpath(os.path.join(directory, name), out_dir)
    return urllib.parse.quote(rel.replace(os.sep, "/"))


def dump_files_html(dump, directory, out_dir):
    files = dump.get("files")
    if not isinstance(files, dict) or not files:
        return '<span class="empty">no files named</span>'
    cells, gone = [], 0
    for part in sorted(files, key=lambda p: (list(PARTS).index(p) if p in PARTS else 99, p)):
        name = files[part]
        # Only plain names in the directory itself: never a path elsewhere.
        if not isinstance(name, str) or "/" in name or name in ("", ".", ".."):
            cells.append('<span class="gone">%s (bad name)</span>' % esc(part))
            continue
        if os.path.isfile(os.path.join(directory, name)):
            cells.append('<a href="%s" title="%s">%s</a>'
                         % (esc(file_href(directory, out_dir, name)), esc(name), esc(part)))
        else:
            gone += 1
            cells.append('<span class="gone" title="%s: removed">%s</span>' % (esc(name), esc(part)))
    text = " ".join(cells)
    if gone == len(files):
        text += ' <span class="empty">removed (thinned out)</span>'
    elif gone:
        text += ' <span class="empty">(%d removed)</span>' % gone
    return text


def dumps_table(image, directory, out_dir):
    if not image.dumps:
        return '<p class="empty">No dumps were written by this image.</p>'
    rows = ['<table class="dumps"><tr><th>dump</th><th>at</th><th>wall clock (UTC)</th>'
            '<th>reason</th><th>detail</th><th>files</th></tr>']
    for d in sorted(image.dumps, key=lambda d: (d["t"], str(d.get("seq")))):
        reasons = [r for r in d.get("reasons", []) if isinstance(r, str)] \
            if isinstance(d.get("reasons"), list) else []
        alarm = "threshold" in reasons or "deadlock" in reasons
        rows.append('<tr%s><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>'
                    % (' class="alarm"' if alarm else "", esc(d.get("seq", "?")),
                       esc(fmt_seconds(d["t"])), esc(d.get("wall", "")), esc(", ".join(reasons)),
                       esc(d.get("detail", "")) if isinstance(d.get("detail"), str) else "",
                       dump_files_html(d, directory, out_dir)))
    rows.append("</table>")
    return "\n".join(rows)


def image_title(image, counts):
    program = image.start.get("program", "?")
    title = "%s, pid %d" % (program, image.pid)
    if counts[image.pid] > 1:
        title += " (image %d of %d: exec'd in place)" % (image.ordinal, counts[image.pid])
    return title


def image_end(image):
    """The last time anything of image happened, in its seconds."""
    times = [s["t"] for s in image.samples]
    times += [d["t"] for d in image.dumps]
    return max(times + [0.0])


def section_html(image, counts, directory, out_dir):
    start = image.start
    end = image_end(image)
    meta = []
    if isinstance(start.get("cmdline"), str):
        meta.append("<code>%s</code>" % esc(start["cmdline"]))
    if isinstance(start.get("wall"), str):
        meta.append("started %s" % esc(start["wall"]))
    meta.append("%d sample%s over %s" % (len(image.samples), "" if len(image.samples) == 1 else "s",
                                         fmt_seconds(end)))
    if is_number(start.get("trend_interval")):
        meta.append("every %s" % fmt_seconds(start["trend_interval"]))
    meta.append("from <code>%s</code>" % esc(image.file))
    if image.problems:
        meta.append('<span class="problems">%d line%s skipped</span>'
                    % (image.problems, "" if image.problems == 1 else "s"))
    out = ['<section class="proc" id="%s">' % esc(image.anchor),
           "<h2>%s</h2>" % esc(image_title(image, counts)),
           '<p class="meta">%s</p>' % " &middot; ".join(meta),
           verdicts_html(image)]
    charts = charts_of(image) if image.samples else []
    if not charts:
        out.append('<p class="empty">No samples to chart.</p>')
    for chart in charts:
        out.append("<h3>%s</h3>" % esc(chart.title))
        out.append(chart_svg(chart, image.dumps, max(end, 1e-3)))
    out.append("<h3>Dumps</h3>")
    out.append(dumps_table(image, directory, out_dir))
    out.append("</section>")
    return "\n".join(out)


def index_html(images, counts):
    rows = ['<table class="index"><tr><th>process</th><th>samples</th><th>span</th>'
            '<th>dumps</th><th>verdicts</th></tr>']
    for im in images:
        v = im.verdicts or {}
        items = v.get("verdicts") if isinstance(v.get("verdicts"), list) else []
        verdict = "; ".join(x.get("kind", "?") for x in items if isinstance(x, dict)) or \
            ("pending" if v.get("pending") else "none" if v else "-")
        rows.append('<tr><td><a href="#%s">%s</a></td><td>%d</td><td>%s</td><td>%d</td><td>%s</td></tr>'
                    % (esc(im.anchor), esc(image_title(im, counts)), len(im.samples),
                       esc(fmt_seconds(image_end(im))), len(im.dumps), esc(verdict)))
    rows.append("</table>")
    return "\n".join(rows)


def page_html(images, directory, out_dir, warnings):
    counts = {}
    for im in images:
        counts[im.pid] = counts.get(im.pid, 0) + 1
    name = os.path.basename(os.path.abspath(directory))
    out = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>threadprof report: %s</title>" % esc(name),
           "<style>%s</style></head><body><main>" % CSS,
           "<h1>threadprof soak report: %s</h1>" % esc(name),
           '<p class="meta">%d process image%s from the trend files in <code>%s</code>.</p>'
           % (len(images), "" if len(images) == 1 else "s", esc(directory))]
    if len(images) > 1:
        out.append(index_html(images, counts))
    if warnings:
        out.append('<details class="problems"><summary>%d problem%s with the input files</summary>'
                   '<pre>%s</pre></details>' % (len(warnings), "" if len(warnings) == 1 else "s",
                                               esc("\n".join(warnings))))
    for im in images:
        out.append(section_html(im, counts, directory, out_dir))
    out.append("</main></body></html>\n")
    return "\n".join(out)


def write_atomically(path, text):
    """Writes text to path through a temporary file in the same directory, so
    a reader never sees half a page.  Mode 0600, as the dumps it shows: the
    page holds the program's names, paths and addresses."""
    target_dir = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".report.", suffix=".tmp", dir=target_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def cmd_report(args):
    directory = args.dir
    if not os.path.isdir(directory):
        warn("report: %s: no such directory" % directory)
        return 2
    try:
        trend_files, foreign = find_trend_files(directory)
    except OSError as e:
        warn("report: %s: %s" % (directory, e.strerror))
        return 1
    if not trend_files:
        warn("report: no trend file (threadprof.<pid>.trend.jsonl) in %s: was the agent "
             "run with THREADPROF_TREND?" % directory)
        return 1
    warnings = ["%s: not a trend file the agent writes, ignored" % name for name in foreign]
    images = []
    for pid, path in trend_files:
        found, problems = read_trend_file(path, pid)
        images.extend(found)
        if found:
            warnings.extend(problems.lines())
        else:   # one line for a file with nothing usable, not one per line of it
            warnings.append("%s: nothing readable (%s), file ignored"
                            % (os.path.basename(path), problems.first_problem()))
    for w in warnings:
        warn(w)
    if not images:
        warn("report: no readable trend records in %s" % directory)
        return 1
    out = args.output or os.path.join(directory, "report.html")
    out_dir = os.path.dirname(os.path.abspath(out))
    try:
        write_atomically(out, page_html(images, directory, out_dir, warnings))
    except OSError as e:
        warn("report: cannot write %s: %s" % (out, e.strerror))
        return 1
    print(out)
    return 0


# ---------------------------------------------------------------------------
# diff: reading a dump

@dataclass
class Dump:
    label: str                                   # threadprof.<pid>.<seq>
    parts: dict                                  # part -> path, existing files only


def dump_of(arg):
    """The dump that arg names (a part file or the prefix DIR/threadprof.<pid>.<seq>)."""
    prefix = arg
    for suffix in PARTS.values():
        if arg.endswith(suffix):
            prefix = arg[:-len(suffix)]
            break
    prefix = prefix.rstrip(".")
    parts = {p: prefix + s for p, s in PARTS.items() if os.path.isfile(prefix + s)}
    return Dump(os.path.basename(prefix), parts) if parts else None


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


THREAD_HEAD = re.compile(r'^thread ([0-9]+) "(.*)" \[(.*)\]:$')
GROUP_HEAD = re.compile(r'^([0-9]+) threads? \[(.*?)\]:')
DURATION_TAIL = re.compile(r", [0-9][0-9.]*[a-z]+[0-9a-z.]*(\.\.[0-9][0-9.]*[a-z]+[0-9a-z.]*)?$")
CREATED_BY = re.compile(r"^created by (.*) in thread [0-9]+")
RUNTIME_FUNCS = {"start_thread", "clone", "clone3", "_start", "__libc_start_main",
                 "__libc_start_call_main", "__clone", "__clone3", "__pthread_create_2_1"}


def group_state(state):
    """The state without what differs thread by thread (duration, fd number,
    pid), as the grouped view counts threads."""
    state = DURATION_TAIL.sub("", state)
    state = re.sub(r"^join thread [0-9]+$", "join", state)
    state = re.sub(r" fd [0-9]+", "", state)
    state = re.sub(r" (pid [0-9]+|any child)$", "", state)
    return state


def short_place(place):
    """"/src/x.c:35 +0x10" -> "x.c:35"; "/usr/bin/x+0x1191" -> "x+0x1191"."""
    place = place.strip()
    place = re.sub(r" (\+0x[0-9a-f]+|\(inlined\))$", "", place)
    return os.path.basename(place)


def is_runtime_frame(func, place):
    """A frame of libc, the dynamic linker or the thread start-up: never
    what a thread was doing in the program's terms."""
    bare = func.split("(")[0]
    if bare in RUNTIME_FUNCS or bare.startswith(("__GI_", "__libc_", "__pthread_", "pthread_",
                                                 "__futex", "__lll_")):
        return True
    p = place.strip()
    return p.startswith(("../", "./")) or re.search(r"/(libc|libpthread|ld-linux[^/]*)[.-]", p) is not None


def entry_frames(lines):
    """(function, place) pairs of a thread entry's stack, and its creator."""
    frames, creator = [], None
    i = 0
    while i < len(lines):
        line = lines[i]
        place = lines[i + 1] if i + 1 < len(lines) and lines[i + 1].startswith("\t") else ""
        m = CREATED_BY.match(line)
        if m:
            creator = (m.group(1), place)
        elif not line.startswith((" ", "\t")) and not line.startswith("created "):
            frames.append((line, place))
        i += 2 if place else 1
    return frames, creator


def group_label(state, frames, creator):
    """"cond wait at await_callback (x.c:35), created at handle_request (x.c:56)"."""
    label = state
    for func, place in frames:
        if not is_runtime_frame(func, place):
            name = re.sub(r"\(\.\.\.\)$", "", func)
            label += " at %s (%s)" % (name, short_place(place)) if place else " at %s" % name
            break
    if creator is not None:
        label += ", created at %s (%s)" % (creator[0], short_place(creator[1]))
    return label


def split_entries(text):
    """The blank-line separated blocks of a thread dump, as lists of lines."""
    return [block.split("\n") for block in re.split(r"\n\s*\n", text) if block.strip()]


@dataclass
class ThreadsView:
    total: int
    groups: dict          # label -> thread count
    header: dict          # "time", "reason", "program", …


def parse_threads(text):
    """The thread counts of a threads.txt by group.  The per-thread listing
    is counted when there is one; else the grouped view's counts."""
    header = {}
    for line in text.split("\n")[:12]:
        m = re.match(r"^(program|command|time|reason|threads): (.*)$", line)
        if m:
            header[m.group(1)] = m.group(2)
    listing = text.split("\n== threads ==\n", 1)[-1]
    threads, grouped = {}, {}
    for lines in split_entries(listing):
        m = THREAD_HEAD.match(lines[0])
        if m:
            label = group_label(group_state(m.group(3)), *entry_frames(lines[1:]))
            threads[label] = threads.get(label, 0) + 1
    if not threads:
        for lines in split_entries(text):
            m = GROUP_HEAD.match(lines[0])
            if m:
                label = group_label(group_state(m.group(2)), *entry_frames(lines[1:]))
                grouped[label] = grouped.get(label, 0) + int(m.group(1))
    groups = threads or grouped
    total = sum(groups.values())
    m = re.match(r"^([0-9]+) live", header.get("threads", ""))
    if m:
        total = int(m.group(1))
    return ThreadsView(total, groups, header)


# ---------------------------------------------------------------------------
# diff: pprof profiles (gzip + profile.proto)

class ProtoError(Exception):
    pass


def varint(buf, pos):
    """(value, next position) of the varint at pos."""
    result, shift = 0, 0
    while True:
        if pos >= len(buf):
            raise ProtoError("varint runs past the end")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ProtoError("varint longer than 10 bytes")


def fields(buf):
    """(field number, wire type, value) of each field of a message; a
    length-delimited value is bytes, the others ints."""
    pos = 0
    while pos < len(buf):
        key, pos = varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(buf, pos)
        elif wire == 1:
            value, pos = int.from_bytes(buf[pos:pos + 8], "little"), pos + 8
        elif wire == 2:
            n, pos = varint(buf, pos)
            if pos + n > len(buf):
                raise ProtoError("field %d runs past the end" % number)
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            value, pos = int.from_bytes(buf[pos:pos + 4], "little"), pos + 4
        else:
            raise ProtoError("wire type %d" % wire)
        if pos > len(buf):
            raise ProtoError("truncated")
        yield number, wire, value


def ints(wire, value):
    """The integers of a repeated integer field, packed or not."""
    if wire != 2:
        return [value]
    out, pos = [], 0
    while pos < len(value):
        v, pos = varint(value, pos)
        out.append(v)
    return out


def int64(v):
    return v - (1 << 64) if v >= 1 << 63 else v


@dataclass
class Profile:
    types: list                 # sample type names
    samples: list               # (location ids, values)
    locations: dict             # id -> [(function id, line)], innermost first
    functions: dict             # id -> (name, file)


def decode_profile(data):
    """A Profile from the bytes of a .pb.gz (gzip or plain protobuf)."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    strings, types, samples, locations, functions = [], [], [], {}, {}
    for number, wire, value in fields(data):
        if number == 1 and wire == 2:
            types.append(dict((n, v) for n, _, v in fields(value)).get(1, 0))
        elif number == 2 and wire == 2:
            locs, vals = [], []
            for n, w, v in fields(value):
                if n == 1:
                    locs.extend(ints(w, v))
                elif n == 2:
                    vals.extend(int64(x) for x in ints(w, v))
            samples.append((locs, vals))
        elif number == 4 and wire == 2:
            lid, lines = 0, []
            for n, _, v in fields(value):
                if n == 1:
                    lid = v
                elif n == 4 and isinstance(v, bytes):
                    line = dict((a, b) for a, _, b in fields(v))
                    lines.append((line.get(1, 0), int64(line.get(2, 0))))
            locations[lid] = lines
        elif number == 5 and wire == 2:
            f = dict((n, v) for n, _, v in fields(value))
            functions[f.get(1, 0)] = (f.get(2, 0), f.get(4, 0))
        elif number == 6 and wire == 2:
            strings.append(value.decode("utf-8", "replace"))

    def s(i):
        return strings[i] if 0 <= i < len(strings) else "?"
    return Profile([s(t) for t in types], samples, locations,
                   {k: (s(n), s(f)) for k, (n, f) in functions.items()})


ALLOC_FUNCS = {"malloc", "calloc", "realloc", "reallocarray", "free", "posix_memalign",
               "aligned_alloc", "memalign", "valloc", "pvalloc", "strdup", "strndup"}


def leaf_site(profile, locs, skip):
    """"func (file:line)" of the innermost frame of a sample that skip()
    does not reject (the allocator or libc's own frames)."""
    first = None
    for lid in locs:
        for fid, line in profile.locations.get(lid, []):
            name, file = profile.functions.get(fid, ("?", ""))
            site = "%s (%s:%d)" % (name, os.path.basename(file), line) if file else name
            first = first or site
            if not skip(name, file):
                return name, site
    return (first or "?").split(" (")[0], first or "?"


def skip_alloc_frame(name, file):
    return name in ALLOC_FUNCS or name.startswith("operator new") or is_runtime_frame(name, file)


def by_function(profile, value_names, skip):
    """{function: [summed values..., site label]} over the samples, for the
    sample types value_names (missing ones count 0)."""
    idx = [profile.types.index(n) if n in profile.types else None for n in value_names]
    table = {}
    for locs, vals in profile.samples:
        func, site = leaf_site(profile, locs, skip)
        row = table.setdefault(func, [0] * len(idx) + [site])
        for k, i in enumerate(idx):
            if i is not None and i < len(vals):
                row[k] += vals[i]
    return table


# ---------------------------------------------------------------------------
# diff: comparing and printing

def changes(old, new, key=lambda row: row):
    """(name, old row, new row) of the names whose value changed, biggest
    change of key first."""
    names = set(old) | set(new)
    out = []
    for name in names:
        a, b = old.get(name), new.get(name)
        if key(a) != key(b):
            out.append((name, a, b))
    out.sort(key=lambda c: (-abs(key(c[2]) - key(c[1])), c[0]))
    return out


def aligned(rows):
    """rows of (column, …, text) with the columns right-aligned."""
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return ["  " + "  ".join(c.rjust(w) for c, w in zip(r, widths)) + "  " + r[-1] for r in rows]


def diff_threads(old, new):
    a, b = parse_threads(old), parse_threads(new)
    if a.total == b.total and a.groups == b.groups:
        return ["threads: %d, unchanged" % b.total]
    out = ["threads: %d \u2192 %d (%s)" % (a.total, b.total, signed("%d" % (b.total - a.total),
                                                                   b.total - a.total))]
    rows = []
    for name, x, y in changes(a.groups, b.groups, key=lambda v: v or 0):
        x, y = x or 0, y or 0
        rows.append((signed("%d" % (y - x), y - x), "(%d \u2192 %d)" % (x, y), name))
    return out + aligned(rows)


def diff_heap(old, new):
    names = ["inuse_space", "inuse_objects"]
    a = by_function(old, names, skip_alloc_frame)
    b = by_function(new, names, skip_alloc_frame)
    ta, tb = sum(r[0] for r in a.values()), sum(r[0] for r in b.values())
    if "inuse_space" not in new.types:
        return ["heap: the profile has no inuse_space values"]
    rows = []
    for name, x, y in changes(a, b, key=lambda r: r[0] if r else 0):
        bx, by = (x[0] if x else 0), (y[0] if y else 0)
        ox, oy = (x[1] if x else 0), (y[1] if y else 0)
        objects = "%s object%s" % (signed("%d" % (oy - ox), oy - ox), "" if abs(oy - ox) == 1 else "s")
        rows.append((signed(fmt_bytes(by - bx), by - bx), objects, (y or x)[2]))
    if not rows:
        return ["heap in use: %s, unchanged" % fmt_bytes(tb)]
    return ["heap in use: %s \u2192 %s (%s)" % (fmt_bytes(ta), fmt_bytes(tb),
                                             signed(fmt_bytes(tb - ta), tb - ta))] + aligned(rows)


def diff_locks(old, new):
    names = ["contentions", "delay"]
    a = by_function(old, names, is_runtime_frame)
    b = by_function(new, names, is_runtime_frame)
    ca, cb = sum(r[0] for r in a.values()), sum(r[0] for r in b.values())
    da, db = sum(r[1] for r in a.values()), sum(r[1] for r in b.values())
    rows = []
    for name, x, y in changes(a, b, key=lambda r: r[1] if r else 0):
        cx, cy = (x[0] if x else 0), (y[0] if y else 0)
        dx, dy = (x[1] if x else 0), (y[1] if y else 0)
        if cx == cy and dx == dy:
            continue
        rows.append((signed("%d" % (cy - cx), cy - cx), signed(fmt_wait(dy - dx), dy - dx),
                     (y or x)[2]))
    if not rows:
        return ["lock contention: %d contentions, %s of delay, unchanged" % (cb, fmt_wait(db))]
    head = "lock contention: %d \u2192 %d contentions (%s), delay %s \u2192 %s (%s)" % (
        ca, cb, signed("%d" % (cb - ca), cb - ca), fmt_wait(da), fmt_wait(db),
        signed(fmt_wait(db - da), db - da))
    return [head, "  contentions, delay, where the lock was held (released while others waited):"] + \
        aligned(rows)


UNREADABLE = object()   # a part that is there but could not be decoded


def load_part(dump, part, loader):
    """loader(bytes) of a part of dump: None when the file is missing,
    UNREADABLE (after one stderr line) when it cannot be read or decoded."""
    path = dump.parts.get(part)
    if path is None:
        return None
    try:
        return loader(read_bytes(path))
    except (OSError, ProtoError, EOFError, zlib.error, gzip.BadGzipFile, ValueError) as e:
        warn("diff: %s: cannot read: %s" % (path, getattr(e, "strerror", None) or e))
        return UNREADABLE


def diff_section(old, new, part, what, loader, compare):
    """The lines of one section, or one line saying which part is missing."""
    loaded = [(d, load_part(d, part, loader)) for d in (old, new)]
    missing = [d.label + PARTS[part] for d, v in loaded if v is None]
    broken = [d.label + PARTS[part] for d, v in loaded if v is UNREADABLE]
    if missing or broken:
        why = ["%s is missing" % " and ".join(missing)] if missing else []
        why += ["%s cannot be read" % " and ".join(broken)] if broken else []
        return ["%s: not compared, %s" % (what, "; ".join(why))]
    return compare(loaded[0][1], loaded[1][1])


def cmd_diff(args):
    dumps = []
    for arg in (args.old, args.new):
        d = dump_of(arg)
        if d is None:
            warn("diff: %s: no dump there (name a part such as DIR/threadprof.<pid>.<seq>"
                 ".threads.txt, or the prefix DIR/threadprof.<pid>.<seq>)" % arg)
            return 1
        dumps.append(d)
    old, new = dumps
    out = ["threadprof diff: %s \u2192 %s" % (old.label, new.label)]
    sections = (
        ("threads", "threads", decode_text, diff_threads),
        ("heap", "heap", decode_profile, diff_heap),
        ("mutex", "locks", decode_profile, diff_locks),
    )
    for part, what, loader, compare in sections:
        out.extend(diff_section(old, new, part, what, loader, compare))
    print("\n".join(printable(line) for line in out))
    return 0


def decode_text(data):
    return data.decode("utf-8", "replace")


# ---------------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(prog=PROG, description="threadprof report and diff")
    sub = parser.add_subparsers(dest="command", required=True, metavar="report|diff")
    rep = sub.add_parser("report", help="an HTML page of the soak trends in DIR",
                         description="Write one self-contained HTML page (charts of the trend "
                         "files threadprof.<pid>.trend.jsonl) for a soak directory.")
    rep.add_argument("dir", metavar="DIR")
    rep.add_argument("-o", "--output", metavar="FILE", help="the page (default: DIR/report.html)")
    dif = sub.add_parser("diff", help="what changed between two dumps",
                         description="Print what changed between two dumps: threads by group, "
                         "heap in use by function, lock contention by function.")
    dif.add_argument("old", metavar="OLD")
    dif.add_argument("new", metavar="NEW")
    return parser.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    try:
        return cmd_report(args) if args.command == "report" else cmd_diff(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
