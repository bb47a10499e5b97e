#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the figures of scripts/bench.sh into OUT/bench.md and a gnuplot plot.

report.py OUT BUILD: reads OUT/{patched,base}-{1,2}.txt ("name [N] value"
lines), BUILD/series-verify/pahole-{base,head}.txt and BUILD/timings, and
writes the markdown table to stdout, OUT/list.dat and OUT/list.gp.
"""
import os
import re
import sys

out, build = sys.argv[1], sys.argv[2]


def load(name):
    figs = {}
    path = os.path.join(out, name + ".txt")
    if not os.path.exists(path):
        return figs
    for line in open(path):
        f = line.split()
        if len(f) == 3:
            figs[(f[0], int(f[1]))] = float(f[2])
        elif len(f) == 2:
            figs[f[0]] = float(f[1])
    return figs


p1, p2, b1, b2 = (load(n) for n in ("patched-1", "patched-2", "base-1", "base-2"))
rows = []


def row(what, value, baseline, ratio, spread, goal, verdict):
    rows.append((what, value, baseline, ratio, spread, goal, verdict))


def us(ns):
    return "%.1f µs" % (ns / 1000.0)


# 1. /dev/fuse listing against io_uring's fixed files
dat = []
for n in (1000, 10000, 100000):
    f, u = p1.get(("list_fuse_ns", n)), p1.get(("list_uring_ns", n))
    if f is None or u is None:
        continue
    dat.append((n, f, u))
    row("1. /dev/fuse fdinfo, %d ids: full read (per entry)" % n,
        "%s (%.0f ns)" % (us(f), f / n),
        "io_uring %d fixed files: %s (%.0f ns)" % (n, us(u), u / n),
        "%.2f" % (f / u), "median of %d" % (21 if n < 10000 else 7 if n < 100000 else 3),
        "per entry no slower", "met" if f <= u * 1.05 else "not met")
with open(os.path.join(out, "list.dat"), "w") as d:
    for n, f, u in dat:
        d.write("%d %f %f\n" % (n, f / 1e3, u / 1e3))
with open(os.path.join(out, "list.gp"), "w") as g:
    g.write("""set terminal png size 800,500 noenhanced
set output '%s/list.png'
set logscale xy
set xlabel 'registered backing ids / fixed files (N)'
set ylabel 'time per full fdinfo read (us)'
set title 'fdinfo listing: FUSE /dev/fuse against io_uring fixed files'
set key top left
set grid
plot '%s/list.dat' using 1:2 with linespoints title '/dev/fuse (this series)', \\
     '%s/list.dat' using 1:3 with linespoints title 'io_uring fixed files'
""" % (out, out, out))

# 2. per-file fdinfo
f, t = p1.get("file_fuse_ns"), p1.get("file_tmpfs_ns")
if f and t:
    row("2. fdinfo of a passthrough FUSE file", us(f), "tmpfs file: " + us(t),
        "%.2f" % (f / t), "median of 1001", "within 1.3x", "met" if f <= 1.3 * t else "not met")

# 3. BACKING_OPEN+CLOSE with a concurrent /dev/fuse fdinfo reader (10000 ids)
a50, a99 = p1.get("ioctl_alone_median_ns"), p1.get("ioctl_alone_p99_ns")
o50, o99 = p1.get("ioctl_with_other_reader_median_ns"), p1.get("ioctl_with_other_reader_p99_ns")
r50, r99 = p1.get("ioctl_with_reader_median_ns"), p1.get("ioctl_with_reader_p99_ns")
if a50 and r50:
    row("3. BACKING_OPEN+CLOSE, median", us(r50) + " with reader", us(a50) + " alone",
        "%.2f" % (r50 / a50), "2001 pairs; %d reads of 10000 ids meanwhile" % p1.get("ioctl_reader_reads", 0),
        "", "")
    row("3. BACKING_OPEN+CLOSE, p99", us(r99) + " with reader", us(a99) + " alone",
        "%.2f" % (r99 / a99), "2001 pairs", "p99 within 1.2x", "met" if r99 <= 1.2 * a99 else "not met")
if o50 and r50:
    row("3. control: p99 with a reader of an unrelated fdinfo", us(r99) + " with /dev/fuse reader",
        us(o99) + " with unrelated reader", "%.2f" % (r99 / o99), "2001 pairs",
        "tells CPU sharing from lock contention", "")

# 4. passthrough read throughput, patched against base, interleaved boots
for bs, name in ((4096, "4 KiB"), (1048576, "1 MiB")):
    key = "read_%d_MBps" % bs
    pv = [x[key] for x in (p1, p2) if key in x]
    bv = [x[key] for x in (b1, b2) if key in x]
    if pv and bv:
        pm, bm = sum(pv) / len(pv), sum(bv) / len(bv)
        noise = (max(pv + bv) - min(pv + bv)) / bm
        row("4. passthrough read, %s reads" % name, "%.0f MB/s" % pm, "base kernel %.0f MB/s" % bm,
            "%.2f" % (pm / bm), "runs P %s / B %s (range %.0f%% of base)" % (
                "/".join("%.0f" % v for v in pv), "/".join("%.0f" % v for v in bv), noise * 100),
            "within noise", "met" if abs(pm / bm - 1) <= max(noise, 0.05) else "not met")

# 5. lsfd
s = [x for x in (p1.get("lsfd_stock_ns"), p1.get("lsfd_stock_ns2")) if x]
pl, pf = p1.get("lsfd_patched_ns"), p1.get("lsfd_patched_fuse_ns")
if s and pl:
    sm = sum(s) / len(s)
    spread = (max(s) - min(s)) / sm
    row("5. lsfd (all processes), patched", "%.1f ms" % (pl / 1e6), "stock %.1f ms" % (sm / 1e6),
        "%.2f" % (pl / sm), "median of 15; stock runs differ by %.0f%%" % (spread * 100),
        "within 1.05x", "met" if pl <= 1.05 * sm else "not met")
    row("5. lsfd +FUSE columns, patched", "%.1f ms" % (pf / 1e6), "stock %.1f ms" % (sm / 1e6),
        "%.2f" % (pf / sm), "median of 15", "within 1.05x", "met" if pf <= 1.05 * sm else "not met")

# 6. pahole
for tag in ("fuse_file", "fuse_backing"):
    sizes = []
    for v in ("base", "head"):
        path = os.path.join(build, "series-verify", "pahole-%s.txt" % v)
        m = None
        if os.path.exists(path):
            txt = open(path).read()
            m = re.search(r"struct %s \{.*?/\* size: (\d+)" % tag, txt, re.S)
        sizes.append(int(m.group(1)) if m else None)
    if None not in sizes:
        row("6. sizeof(struct %s), x86_64" % tag, "%d bytes" % sizes[1], "%d bytes" % sizes[0],
            "%.2f" % (sizes[1] / sizes[0]), "pahole", "no growth",
            "met" if sizes[1] <= sizes[0] else "not met")

# 7. test bed cost
tpath = os.path.join(build, "timings")
if os.path.exists(tpath):
    for line in open(tpath):
        what, secs = line.rsplit(" ", 1)
        row("7. " + what, "%d s" % int(float(secs)), "", "", "one run", "", "")

print("| benchmark | this series | baseline | ratio | runs, spread | goal | |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for r in rows:
    print("| " + " | ".join(str(c) for c in r) + " |")
print()
print("Measured inside the test-bed guest (QEMU TCG, 2 vCPUs, no KVM) on the"
      " project's 2-core machine: absolute times are those of an emulated CPU,"
      " ratios are what to read.")
