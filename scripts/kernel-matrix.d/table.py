#!/usr/bin/env python3
"""The kernel matrix's Markdown, from the runs' result files (scripts/kernel-matrix).

    table.py RESULT.tsv...                 the matrix on stdout
    table.py --doc DOC.md MATRIX.md        puts MATRIX.md between DOC.md's results markers

A result file holds the probe's tab-separated lines (kmatrix-info / kmatrix-row / kmatrix-log) and
the script's kmatrix-meta lines (label, source, seconds, gaps, failed).
"""
import sys

BEGIN = "<!-- kernel-matrix results: begin (scripts/kernel-matrix --doc rewrites this part) -->"
END = "<!-- kernel-matrix results: end -->"


def cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def read(path):
    run = {"meta": {}, "info": {}, "rows": []}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if p[0] == "kmatrix-meta" and len(p) >= 3:
                run["meta"][p[1]] = p[2]
            elif p[0] == "kmatrix-info" and len(p) >= 3:
                run["info"][p[1]] = p[2]
            elif p[0] == "kmatrix-row" and len(p) >= 8:
                run["rows"].append(dict(obj=p[1], prog=p[2], sec=p[3], loads=p[4], attaches=p[5],
                                        events=p[6], note=p[7]))
    return run


def mark(v):
    return "**no**" if v == "no" else v


def matrix(runs):
    out = []
    progs = []
    for r in runs:
        for row in r["rows"]:
            key = (row["obj"], row["prog"], row["sec"])
            if key not in progs:
                progs.append(key)
    labels = [r["meta"].get("label", "?") for r in runs]

    out.append("Each cell: loads / attaches / sees events (n.a.: not tried, or no output to check).")
    out.append("")
    out.append("| object | program (section) | " + " | ".join(cell(l) for l in labels) + " |")
    out.append("|---|---|" + "---|" * len(labels))
    for obj, prog, sec in progs:
        cells = []
        for r in runs:
            m = [x for x in r["rows"] if (x["obj"], x["prog"], x["sec"]) == (obj, prog, sec)]
            if not m:
                cells.append("no result")
            else:
                x = m[0]
                cells.append(" / ".join(mark(v) for v in (x["loads"], x["attaches"], x["events"])))
        out.append(f"| {cell(obj)} | `{cell(prog)}` ({cell(sec)}) | " + " | ".join(cells) + " |")

    out.append("")
    out.append("| kernel | from | BTF | CPUs | IPv6 | run (s) | notes |")
    out.append("|---|---|---|---|---|---|---|")
    for r in runs:
        m, i = r["meta"], r["info"]
        notes = "; ".join(x for x in (m.get("failed", ""), m.get("gaps", "")) if x) or ""
        if i.get("kernel") and i["kernel"] != m.get("label"):
            notes = (notes + "; " if notes else "") + "uname -r " + i["kernel"]
        out.append(f"| {cell(m.get('label', '?'))} | {cell(m.get('source', ''))} | {i.get('btf', '?')} | "
                   f"{i.get('cpus', '?')} | {i.get('ipv6', '?')} | {m.get('seconds', '?')} | {cell(notes)} |")

    out.append("")
    out.append("| kernel | object | program | loads | attaches | sees events | why / what was seen |")
    out.append("|---|---|---|---|---|---|---|")
    for r in runs:
        label = r["meta"].get("label", "?")
        if not r["rows"]:
            out.append(f"| {cell(label)} | | | | | | no result: {cell(r['meta'].get('failed', 'probe produced nothing'))} |")
        for x in r["rows"]:
            out.append(f"| {cell(label)} | {cell(x['obj'])} | `{cell(x['prog'])}` | {mark(x['loads'])} | "
                       f"{mark(x['attaches'])} | {mark(x['events'])} | {cell(x['note'])} |")
    return "\n".join(out) + "\n"


def put_in_doc(doc, matrix_md):
    with open(doc, encoding="utf-8") as f:
        text = f.read()
    if BEGIN not in text or END not in text:
        sys.exit(f"table.py: {doc} has no results markers ({BEGIN} ... {END})")
    with open(matrix_md, encoding="utf-8") as f:
        body = f.read().strip("\n")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(doc, "w", encoding="utf-8") as f:
        f.write(head + BEGIN + "\n" + body + "\n" + END + tail)


def main(argv):
    if len(argv) == 3 and argv[0] == "--doc":
        put_in_doc(argv[1], argv[2])
        return
    if not argv:
        sys.exit("usage: table.py RESULT.tsv... | table.py --doc DOC.md MATRIX.md")
    runs = [read(p) for p in sorted(argv, key=lambda p: int(p.rsplit("/", 1)[-1].split(".")[0]))]
    sys.stdout.write(matrix(runs))


if __name__ == "__main__":
    main(sys.argv[1:])
