#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make-series.sh SRC OUTDIR
#
# Write the series of the tree SRC (base..series, made by mktree.sh) to
# OUTDIR as mail: git format-patch with a cover letter, whose subject and
# text come from patches/linux/cover-letter.txt, and base-commit information.

source "$(dirname "$0")/lib.sh"

src=${1:?usage: make-series.sh SRC OUTDIR}
out=${2:?usage: make-series.sh SRC OUTDIR}
cover=$TOP/patches/linux/cover-letter.txt

stage "series: $out"
rm -rf "$out"
mkdir -p "$out"
git -C "$src" format-patch -q --cover-letter --base=base --thread \
	-o "$out" base..series
letter=$(ls "$out"/0000-cover-letter.patch)
subject=$(head -n 1 "$cover")
python3 - "$letter" "$cover" "$subject" <<'PY'
import sys
letter, cover, subject = sys.argv[1:]
text = open(letter).read()
body = open(cover).read().split("\n", 1)[1].strip("\n")
text = text.replace("*** SUBJECT HERE ***", subject)
text = text.replace("*** BLURB HERE ***", body)
open(letter, "w").write(text)
PY
n=$(ls "$out"/0*.patch | wc -l)
note "$((n - 1)) patches and a cover letter: $(basename "$letter") \"$subject\""
