#!/usr/bin/env python3
"""Coverage of the VM-entry check IDs by the VMX conformance guests.

usage: coverage.py [--spec vm-entry-checks.md] --ids check-ids.txt
                   --reasons not-exercised.txt LOGDIR
       coverage.py --check-list --spec vm-entry-checks.md --ids check-ids.txt

A check ID counts as exercised when some guest printed a TAP result whose
name starts with it ("ok 17 - GUEST-12 ..." or "not ok ..."); skipped
results do not count.  Prints "check IDs exercised: N / TOTAL", then every
ID not exercised with its reason from not-exercised.txt ("ID | reason").
Fails when an ID is neither exercised nor given a reason, when an
exercised ID failed, or when a tested VM-entry failure (VMfailValid(7/8),
exit 33/34) is not named by softvtx's "VM entry failed at N: ID:" line in
the log's .err companion (the CLI must name the failed check).  The full list comes from the spec when present (IDs
of rows that can fail: GUEST-102 is informative), else from check-ids.txt.
--check-list verifies check-ids.txt against the spec (exit 77 without it).
"""
import argparse
import os
import re
import sys

ID_RE = r"(?:BASIC|CTL|HOST|GUEST|MSR)-\d+"
INFORMATIVE = {"GUEST-102"}


def spec_ids(path):
    ids = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^\|\s*(" + ID_RE + r")\s*\|", line)
            if m and m.group(1) not in INFORMATIVE and m.group(1) not in ids:
                ids.append(m.group(1))
    return ids


def list_ids(path):
    with open(path, encoding="utf-8") as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


def reasons(path):
    out = {}
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or "|" not in line:
                continue
            k, v = line.split("|", 1)
            out[k.strip()] = v.strip()
    return out


def tap_logs(logdir):
    """Every *.tap under logdir (one directory per profile variant)."""
    for root, _, files in sorted(os.walk(logdir)):
        for name in sorted(files):
            if name.endswith(".tap"):
                yield os.path.join(root, name)


FAILS = re.compile(r"-> (VMfailValid\([78]\)|exit 3[34]\|)")


def results(logdir):
    """ID -> (passed, failed) counts from every *.tap log, and the tested
    entry failures whose ID softvtx did not name on stderr (LOG.err)."""
    res, unnamed = {}, []
    line_re = re.compile(r"^(not )?ok \d+ - (" + ID_RE + r")\b(.*)$")
    named_re = re.compile(r"VM entry failed at \d+: (" + ID_RE + r"):")
    for path in tap_logs(logdir):
        named = set()
        if os.path.exists(path + ".err"):
            with open(path + ".err", encoding="utf-8", errors="replace") as f:
                named = {m.group(1) for m in map(named_re.search, f) if m}
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = line_re.match(line.rstrip("\n"))
                if not m or "# SKIP" in m.group(3):
                    continue
                p, q = res.get(m.group(2), (0, 0))
                res[m.group(2)] = (p + (m.group(1) is None), q + (m.group(1) is not None))
                if FAILS.search(m.group(3)) and m.group(2) not in named:
                    unnamed.append((os.path.relpath(path, logdir), m.group(2)))
    return res, unnamed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec")
    ap.add_argument("--ids", required=True)
    ap.add_argument("--reasons")
    ap.add_argument("--check-list", action="store_true")
    ap.add_argument("logdir", nargs="?")
    a = ap.parse_args()
    have_spec = a.spec and os.path.exists(a.spec)

    if a.check_list:
        if not have_spec:
            print("SKIP: the spec is not beside the tree")
            return 77
        s, l = spec_ids(a.spec), list_ids(a.ids)
        if s != l:
            print("check-ids.txt differs from the spec:")
            print("  only in spec:", sorted(set(s) - set(l)))
            print("  only in list:", sorted(set(l) - set(s)))
            return 1
        print("check-ids.txt matches the spec (%d IDs)" % len(s))
        return 0

    ids = spec_ids(a.spec) if have_spec else list_ids(a.ids)
    why = reasons(a.reasons) if a.reasons else {}
    res, unnamed = results(a.logdir)
    done = [i for i in ids if i in res]
    failed = [i for i in done if res[i][1]]
    print("check IDs exercised: %d / %d" % (len(done), len(ids)))
    print("check IDs passing:   %d / %d" % (len(done) - len(failed), len(ids)))
    bad = 0
    for i in failed:
        print("FAILED      %-10s %d of %d subtests failed" % (i, res[i][1], sum(res[i])))
        bad = 1
    for i in ids:
        if i in res:
            continue
        if i in why:
            print("not exercised %-10s %s" % (i, why[i]))
        else:
            print("not exercised %-10s NO REASON GIVEN (add it to not-exercised.txt)" % i)
            bad = 1
    for log, i in unnamed:
        print("NOT NAMED   %-10s softvtx did not name this check on stderr (%s.err)" % (i, log))
        bad = 1
    unknown = sorted(set(res) - set(ids))
    if unknown:
        print("IDs reported by the guests but not in the list:", " ".join(unknown))
        bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main())
