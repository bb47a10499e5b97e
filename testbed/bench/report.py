#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the figures of testbed/host/bench.sh into a table and a gnuplot plot.

report.py OUT [TIMINGS]: reads OUT/patched-<i>.txt and OUT/base-<i>.txt (one
per boot, "name [N] value" lines written by testbed/guest/measure.sh, with
the repetition counts it used; boots alternate patched and base) and, if
given and present, TIMINGS (make time-check), and writes the markdown table
to stdout, OUT/list.dat, OUT/lsfd.dat and OUT/list.gp (which plots
OUT/list.png and OUT/lsfd.png).

Every figure is measured against its baseline in the same boot (except the
read throughput, whose baseline is the base kernel, booted in between).  A
ratio is computed per boot; the table gives the median over the boots and
the range of the per-boot ratios, which is the noise to read it against.
"""
import glob
import os
import re
import statistics
import sys

out = sys.argv[1]
timings = sys.argv[2] if len(sys.argv) > 2 else None


def load(path):
    figs = {}
    for line in open(path):
        f = line.split()
        if len(f) == 3:
            figs[(f[0], int(f[1]))] = float(f[2])
        elif len(f) == 2:
            figs[f[0]] = float(f[1])
    return figs


def boots(kind):
    paths = sorted(glob.glob(os.path.join(out, kind + "-*.txt")),
                   key=lambda p: int(re.search(r"-(\d+)\.txt$", p).group(1)))
    return [load(p) for p in paths]


patched, base = boots("patched"), boots("base")
rows = []


def row(what, value, baseline, ratio, spread, goal, verdict):
    rows.append((what, value, baseline, ratio, spread, goal, verdict))


def med(values):
    return statistics.median(values)


def us(ns):
    return "%.1f µs" % (ns / 1000.0)


def ratios(key, base_key):
    """Per-boot ratios of two figures of the same boot"""
    return [b[key] / b[base_key] for b in patched if key in b and base_key in b]


def spread(rs):
    if len(rs) < 2:
        return "1 boot"
    return "%d boots: %.2f-%.2f" % (len(rs), min(rs), max(rs))


def verdict(ratio, limit):
    return "met" if ratio <= limit else "not met"


def compare(what, key, base_key, fmt, base_label, goal, limit, note=""):
    rs = ratios(key, base_key)
    if not rs:
        return
    v = med([b[key] for b in patched if key in b])
    bv = med([b[base_key] for b in patched if base_key in b])
    r = med(rs)
    row(what, fmt(v), base_label + fmt(bv), "%.2f" % r, spread(rs) + note, goal,
        verdict(r, limit) if limit else "")


# 1. /dev/fuse listing against io_uring's fixed files, per entry listed:
# past its bound (65536 ids) the kernel counts the other ids without
# listing them, while io_uring lists all N; a whole-read ratio would then
# compare unlike things.  Per boot: (FUSE ns / entries it listed) over
# (io_uring ns / entries it listed).
dat = []
for n in (1000, 10000, 100000):
    key, ukey = ("list_fuse_ns", n), ("list_uring_ns", n)
    lkey, ukey_l, ckey = ("list_fuse_listed", n), ("list_uring_listed", n), ("list_fuse_unlisted", n)
    bs = [b for b in patched if all(k in b for k in (key, ukey, lkey, ukey_l))]
    if not bs:
        continue
    rs = [(b[key] / b[lkey]) / (b[ukey] / b[ukey_l]) for b in bs]
    f = med([b[key] / b[lkey] for b in bs])
    u = med([b[ukey] / b[ukey_l] for b in bs])
    lf, lu = med([b[lkey] for b in bs]), med([b[ukey_l] for b in bs])
    counted = med([b.get(ckey, 0) for b in bs])
    dat.append((n, f, u))
    reps = bs[0].get(("list_reps", n), 0)
    r = med(rs)
    row("1. /dev/fuse fdinfo, %d ids: full read, per entry listed" % n,
        "%.0f ns (%s for %d listed%s)" % (f, us(med([b[key] for b in bs])), lf,
                                          ", %d counted" % counted if counted else ""),
        "io_uring, %d fixed files: %.0f ns (%s for %d listed)" % (
            n, u, us(med([b[ukey] for b in bs])), lu),
        "%.2f" % r, spread(rs) + "; each a median of %d alternating reads" % reps,
        "within 1.20x", verdict(r, 1.20))
    # the same per byte: a FUSE line carries the id, device, inode and
    # mount id besides the path, io_uring's the slot and the path
    bkey, ubkey = ("list_fuse_bytes", n), ("list_uring_bytes", n)
    bb = [b for b in bs if bkey in b and ubkey in b]
    if bb:
        rb = [(b[key] / b[bkey]) / (b[ukey] / b[ubkey]) for b in bb]
        row("1. the same, per byte read (the lines differ in length)",
            "%.0f ns (%d bytes)" % (med([b[key] / b[bkey] for b in bb]), med([b[bkey] for b in bb])),
            "io_uring: %.0f ns (%d bytes)" % (med([b[ukey] / b[ubkey] for b in bb]),
                                             med([b[ubkey] for b in bb])),
            "%.2f" % med(rb), spread(rb), "", "")
with open(os.path.join(out, "list.dat"), "w") as d:
    for n, f, u in dat:
        d.write("%d %f %f\n" % (n, f, u))
with open(os.path.join(out, "list.gp"), "w") as g:
    g.write("""set terminal png size 800,500 noenhanced
set output '%s/list.png'
set logscale xy
set xrange [500:200000]
set xlabel 'registered backing ids / fixed files (N)'
set ylabel 'ns per entry listed (full read / entries), median over boots'
set title 'fdinfo listing: FUSE /dev/fuse (65536 listed past 65536, the rest counted) against io_uring fixed files (all listed)'
set key top left
set grid
plot '%s/list.dat' using 1:2 with linespoints title '/dev/fuse (this series)', \\
     '%s/list.dat' using 1:3 with linespoints title 'io_uring fixed files'
""" % (out, out, out))

# 2. per-file fdinfo
compare("2. fdinfo of a passthrough FUSE file", "file_fuse_ns", "file_tmpfs_ns", us,
        "tmpfs file: ", "within 1.3x", 1.3,
        "; each a median of %d alternating reads" % patched[0].get("file_reps", 0))

# 3. BACKING_OPEN+CLOSE with a concurrent /dev/fuse fdinfo reader (10000 ids)
reads = [sum(v for k, v in b.items() if isinstance(k, str) and k.startswith("ioctl_reader_reads_"))
         for b in patched]
pairs = ["%d/%d/%d" % (b.get("ioctl_alone_pairs", 0), b.get("ioctl_with_other_reader_pairs", 0),
                      b.get("ioctl_with_reader_pairs", 0))
         for b in patched]
compare("3. BACKING_OPEN+CLOSE, median, reader of the same /dev/fuse",
        "ioctl_with_reader_median_ns", "ioctl_alone_median_ns", us, "alone: ", "", None,
        "; pairs alone/control/with reader per boot %s, in %d interleaved rounds; "
        "full reads of the 10000 ids meanwhile %s" % (", ".join(pairs), patched[0].get("ioctl_rounds", 3),
                                                     "/".join("%d" % r for r in reads)))
compare("3. BACKING_OPEN+CLOSE, p99, reader of the same /dev/fuse",
        "ioctl_with_reader_p99_ns", "ioctl_alone_p99_ns", us, "alone: ", "p99 within 1.2x", 1.2)
compare("3. control: p99, reader of an unrelated fdinfo", "ioctl_with_other_reader_p99_ns",
        "ioctl_alone_p99_ns", us, "alone: ", "(CPU sharing alone)", None)
compare("3. p99, reader of /dev/fuse against the unrelated reader",
        "ioctl_with_reader_p99_ns", "ioctl_with_other_reader_p99_ns", us,
        "unrelated reader: ", "(contention beyond CPU sharing)", None)

# 4. passthrough read throughput, patched against base, interleaved boots
for bs, name in ((4096, "4 KiB"), (1048576, "1 MiB")):
    key = "read_%d_MBps" % bs
    pv = [b[key] for b in patched if key in b]
    bv = [b[key] for b in base if key in b]
    if not pv or not bv:
        continue
    pm, bm = med(pv), med(bv)
    noise = max((max(pv) - min(pv)) / pm, (max(bv) - min(bv)) / bm)
    row("4. passthrough read, %s reads" % name, "%.0f MB/s" % pm, "base kernel: %.0f MB/s" % bm,
        "%.2f" % (pm / bm), "boots P %s, B %s; same-kernel range up to %.0f%%" % (
            "/".join("%.0f" % v for v in pv), "/".join("%.0f" % v for v in bv), noise * 100),
        "within noise", "met" if abs(pm / bm - 1) <= noise else "not met")

# 5. lsfd
compare("5. lsfd, all processes: patched against stock", "lsfd_patched_ns", "lsfd_stock_ns",
        lambda ns: "%.0f ms" % (ns / 1e6), "stock: ", "within 1.05x", 1.05,
        "; each a median of %d, run round-robin" % patched[0].get("lsfd_rounds", 0))
compare("5. lsfd +4 FUSE columns, patched, against stock", "lsfd_patched_fuse_ns", "lsfd_stock_ns",
        lambda ns: "%.0f ms" % (ns / 1e6), "stock: ", "within 1.05x", 1.05)
compare("5. control: stock lsfd +4 other columns (POS, FLAGS, DELETED, OWNER) against stock",
        "lsfd_stock_other_ns", "lsfd_stock_ns", lambda ns: "%.0f ms" % (ns / 1e6), "stock: ",
        "(what four columns cost)", None)
compare("5. control: patched lsfd +4 FUSE columns against patched lsfd +4 other columns",
        "lsfd_patched_fuse_ns", "lsfd_patched_other_ns", lambda ns: "%.0f ms" % (ns / 1e6),
        "patched +4 other: ", "(what the FUSE columns cost beyond any four)", None)
ms = lambda ns: "%.0f ms" % (ns / 1e6)
lsfd_dat = []
for n in (1000, 10000, 100000):
    key, fkey, skey = ("lsfd_ids_ns", n), ("lsfd_ids_fdinfo_ns", n), ("lsfd_ids_stock_ns", n)
    key0, fkey0 = ("lsfd_ids_ns", 0), ("lsfd_ids_fdinfo_ns", 0)
    listed = [b.get(("lsfd_ids_listed", n)) for b in patched if ("lsfd_ids_listed", n) in b]
    compare("5. lsfd -p SERVER -o +FUSE.BACKING-FILES, server with %d ids" % n, key, fkey,
            ms, "cat of its /dev/fuse fdinfo: ", "within 1.5x", 1.5,
            "; lines listed: %s" % "/".join("%d" % x for x in listed))
    # what N ids add to lsfd against what they add to cat: the fixed part
    # (lsfd's start, fork and exec) taken out, measured with 0 ids
    marginal = [(b[key] - b[key0]) / (b[fkey] - b[fkey0]) for b in patched
                if all(k in b for k in (key, fkey, key0, fkey0)) and b[fkey] > b[fkey0]]
    if marginal:
        r = med(marginal)
        row("5. the same, marginal: what %d ids add to lsfd against what they add to cat" % n,
            ms(med([b[key] - b[key0] for b in patched if key in b and key0 in b])),
            "cat: " + ms(med([b[fkey] - b[fkey0] for b in patched if fkey in b and fkey0 in b])),
            "%.2f" % r, spread(marginal), "within 1.5x", verdict(r, 1.5))
    compare("5. control: stock lsfd -p SERVER (reads the same fdinfo, shows none of it), %d ids" % n,
            skey, fkey, ms, "cat: ", "", None)
    if all(any(k in b for b in patched) for k in (key, fkey, skey)):
        lsfd_dat.append((n, med([b[fkey] for b in patched if fkey in b]),
                         med([b[key] for b in patched if key in b]),
                         med([b[skey] for b in patched if skey in b])))
if lsfd_dat:
    with open(os.path.join(out, "lsfd.dat"), "w") as d:
        for n, f, l, st in lsfd_dat:
            d.write("%d %f %f %f\n" % (n, f / 1e6, l / 1e6, st / 1e6))
    with open(os.path.join(out, "list.gp"), "a") as g:
        g.write("""
set output '%s/lsfd.png'
set ylabel 'wall time of one command (ms), median over boots'
set title 'a FUSE server with N backing ids: lsfd against cat of its fdinfo'
plot '%s/lsfd.dat' using 1:2 with linespoints title 'cat /proc/PID/fdinfo/FD', \\
     '%s/lsfd.dat' using 1:3 with linespoints title 'lsfd -p PID -o +FUSE.BACKING-FILES', \\
     '%s/lsfd.dat' using 1:4 with linespoints title 'stock lsfd -p PID (control)'
""" % (out, out, out, out))

# 6. lsof and fuser, whole system
lines = ["%d/%d" % (b.get("lsof_patched_lines", 0), b.get("lsof_stock_lines", 0)) for b in patched
         if "lsof_stock_lines" in b]
compare("6. lsof -n -P, all processes: patched against stock", "lsof_patched_ns", "lsof_stock_ns",
        lambda ns: "%.0f ms" % (ns / 1e6), "stock: ", "within 1.05x", 1.05,
        "; each a median of %d, run round-robin; lines patched/stock per boot %s" % (
            patched[0].get("tools_rounds", 0), ", ".join(lines)))
compare("6. fuser -vm /, all processes: patched against stock", "fuser_patched_ns", "fuser_stock_ns",
        lambda ns: "%.0f ms" % (ns / 1e6), "stock: ", "within 1.05x", 1.05)

# 7. test bed cost (make time-check)
if timings and os.path.exists(timings):
    for line in open(timings):
        what, secs = line.rsplit(" ", 1)
        secs = int(float(secs))
        row("7. " + what, "%d min %02d s" % (secs // 60, secs % 60), "", "", "one run", "", "")

print("| benchmark | this series | baseline | ratio | runs, spread of the ratio | goal | |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for r in rows:
    print("| " + " | ".join(str(c) for c in r) + " |")
print()
print("Measured inside the test-bed guest (QEMU TCG, 2 vCPUs, no KVM) on the"
      " project's 2-core machine, %d patched and %d base boots alternating:"
      " absolute times are those of an emulated CPU, ratios are what to read."
      " A ratio is the median of the per-boot ratios; the range next to it"
      " is how much it moved between boots. Sizes of struct fuse_file and"
      " struct fuse_backing are not measured here: make series fails if"
      " the series grows them out of their kmalloc size class (pahole)."
      % (len(patched), len(base)))
