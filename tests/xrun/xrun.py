#!/usr/bin/env python3
"""Whole-system cross-runs: the same guest image under softvtx and under a
reference machine, serial output compared line by line.

    xrun.py qemu  --build BUILD [-j N] [-v] [--logs DIR] [IMAGE...]
    xrun.py bochs --build BUILD [-j N] [-v] [--logs DIR] [IMAGE...]

qemu:  every guest image (tests/guest, guest/demo, guest/hv, tests/vmx)
       under softvtx (default CPU profile) and under
       `qemu-system-x86_64 -accel tcg -cpu max -kernel IMAGE.elf32`.
bochs: the VMX images (tests/vmx, guest/hv) under softvtx with
       `--cpu-profile bochs-2.7` and under Debian's Bochs 2.7
       (corei7_skylake_x), booted from a GRUB rescue ISO that
       multiboot-loads the same IMAGE.elf.

Every line that differs must be declared in tests/xrun/expected-differences.txt
(format in that file and in tests/xrun/README.md); a TAP line that the image
itself marks "# TODO known TCG difference" or "# SKIP known TCG difference"
is declared by tests/guest/qemu-expected-differences.txt.  Anything else is
a divergence: it is listed per image and the run fails (status 1).  Status
77 when the reference machine is not installed (CTest SKIP_RETURN_CODE).
"""

import argparse
import concurrent.futures
import difflib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED = os.path.join(HERE, "expected-differences.txt")
SKIP = 77
DRAIN_SECONDS = 2.0   # Bochs: wall time to let the UART drain after guest_exit

TAP_RESULT = re.compile(r"^(not )?ok (\d+)(?: - (.*))?$")
TCG_MARK = re.compile(r" # (TODO|SKIP) known TCG difference")
SUMMARY = re.compile(r"^# failed \d+ of \d+$")
EXIT_LINE = "[xrun] exit"


# ---------------------------------------------------------------- images

def images(build, mode):
    """(name, path without extension) of each image the mode runs."""
    def listdir(sub):
        d = os.path.join(build, sub)
        if not os.path.isdir(d):
            return []
        return sorted(os.path.join(d, f[:-4]) for f in os.listdir(d)
                      if f.endswith(".elf"))
    vmx = listdir("tests/vmx")
    hv = [p for p in listdir("guest") if os.path.basename(p) == "hv"]
    if mode == "bochs":
        found = vmx + hv
    else:
        found = listdir("tests/guest") + listdir("guest") + vmx
    return [(os.path.basename(p), p) for p in found]


# ---------------------------------------------------------------- runners

class Run:
    """What one machine printed: serial lines and the debug-exit value."""

    def __init__(self, lines, exit_value, note=""):
        self.lines = lines
        self.exit_value = exit_value      # None: never reached the exit
        self.note = note                  # how it ended, for the report


def split_lines(data):
    text = data.decode("latin-1")
    return [line.rstrip("\r ").rstrip() for line in text.split("\n")
            if line.strip("\r ")]


def debug_exit_value(status):
    """isa-debug-exit: the process exits with (v << 1) | 1."""
    return status >> 1 if status > 0 and status & 1 else None


def run_softvtx(softvtx, image, extra, timeout):
    cmd = [softvtx, "run", "--max-insns", "400000000"] + extra + [image + ".elf"]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return Run(split_lines(e.stdout or b""), None, "timed out")
    v = debug_exit_value(p.returncode)
    note = "" if v is not None else "softvtx status %d: %s" % (
        p.returncode, p.stderr.decode("latin-1").strip().splitlines()[-1:])
    return Run(split_lines(p.stdout), v, note)


def run_qemu(image, timeout):
    cmd = ["qemu-system-x86_64", "-accel", "tcg",
           "-cpu", os.environ.get("GUEST_QEMU_CPU", "max"),
           "-kernel", image + ".elf32",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-serial", "stdio", "-display", "none", "-no-reboot", "-m", "128"]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return Run(split_lines(e.stdout or b""), None, "timed out")
    v = debug_exit_value(p.returncode)
    return Run(split_lines(p.stdout), v,
               "" if v is not None else "qemu status %d" % p.returncode)


GRUB_CFG = """set timeout=0
set default=0
menuentry image {
  multiboot /boot/image.elf
  boot
}
"""

# Debian's Bochs 2.7: corei7_skylake_x (VMX, reported as the bochs-2.7
# profile), its default BIOS (locks IA32_FEATURE_CONTROL with VMX enabled,
# as softvtx's boot path does), unknown MSRs fault, a triple fault is not a
# reset.  Panics are reported and the simulation goes on, so that one
# unimplemented path (e.g. VMCALL in VMX root) does not end the run.
BOCHSRC = """megs: 128
cpu: model=corei7_skylake_x, count=1, ips=50000000, reset_on_triple_fault=0, ignore_bad_msrs=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
ata0-master: type=cdrom, path=image.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=serial.out
display_library: term
log: bochs.log
clock: sync=none, time0=946684800
panic: action=report, cpu0=report
"""


def symbol(image, name):
    out = subprocess.run(["nm", image + ".elf"], stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[2] == name:
            return int(f[0], 16)
    raise RuntimeError("%s.elf has no symbol %s" % (image, name))


def run_bochs(image, timeout):
    """Boot IMAGE.elf through GRUB under Bochs.  Bochs has no isa-debug-exit:
    a physical breakpoint on guest_exit (the images are identity-mapped)
    stops the simulation there, the debugger prints the registers (RDI is
    the exit value) and continues; DRAIN_SECONDS later the Bochs process
    group this function started is ended.  An image that never gets there
    (hang, triple fault) runs into the wall-clock timeout."""
    with tempfile.TemporaryDirectory(prefix="xrun-bochs-") as d:
        os.makedirs(os.path.join(d, "iso/boot/grub"))
        shutil.copy(image + ".elf", os.path.join(d, "iso/boot/image.elf"))
        with open(os.path.join(d, "iso/boot/grub/grub.cfg"), "w") as f:
            f.write(GRUB_CFG)
        subprocess.run(["grub-mkrescue", "-o", os.path.join(d, "image.iso"),
                        os.path.join(d, "iso")], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
        with open(os.path.join(d, "bochsrc"), "w") as f:
            f.write(BOCHSRC)
        # After the breakpoint: print the registers (RDI is the exit value)
        # and continue, so that the UART sends what is still in its FIFO
        # while the guest sits in its final HLT; the run is then ended.
        with open(os.path.join(d, "cmds"), "w") as f:
            f.write("pb 0x%x\nc\nr\nc\n" % symbol(image, "guest_exit"))
        # The term display library wants a terminal: script(1) gives it one.
        cmd = ["script", "-q", "-e", "-c",
               "bochs -q -f bochsrc -rc cmds", "/dev/null"]
        note = ""
        term_path = os.path.join(d, "term.out")
        with open(term_path, "wb") as term_file:
            p = subprocess.Popen(cmd, cwd=d, stdin=subprocess.DEVNULL,
                                 stdout=term_file, stderr=subprocess.STDOUT,
                                 start_new_session=True)
            waited, hit_at = 0.0, None
            while p.poll() is None:
                time.sleep(0.2)
                waited += 0.2
                if hit_at is None:
                    with open(term_path, "rb") as f:
                        if re.search(rb"rdi: [0-9a-f]{8}_[0-9a-f]{8}", f.read()):
                            hit_at = waited
                if (hit_at is not None and waited - hit_at >= DRAIN_SECONDS) \
                        or waited >= timeout:
                    if hit_at is None:
                        note = "timed out"
                    os.killpg(p.pid, signal.SIGTERM)
                    try:
                        p.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        os.killpg(p.pid, signal.SIGKILL)
                        p.wait()
        with open(term_path, "rb") as f:
            term = f.read()
        serial = b""
        if os.path.exists(os.path.join(d, "serial.out")):
            with open(os.path.join(d, "serial.out"), "rb") as f:
                serial = f.read()
        panics = []
        if os.path.exists(os.path.join(d, "bochs.log")):
            with open(os.path.join(d, "bochs.log"), "rb") as f:
                for line in f.read().decode("latin-1").splitlines():
                    if ">>PANIC<<" in line:
                        panics.append(line.split(">>PANIC<< ", 1)[1])
        text = term.decode("latin-1")
        v = None
        if "Breakpoint 1," in text:
            m = re.search(r"rdi: ([0-9a-f]{8})_([0-9a-f]{8})", text)
            if m:
                v = int(m.group(2), 16) & 0xFF
        if v is None and not note:
            note = "Bochs ended without reaching guest_exit"
        if panics:
            note = (note + "; " if note else "") + "Bochs panics: " + "; ".join(panics)
        return Run(split_lines(serial), v, note)


# ---------------------------------------------------------------- expectations

class Entry:
    def __init__(self, runner, image, prefix, reason, where):
        self.runner, self.image, self.prefix = runner, image, prefix
        self.reason, self.where = reason, where
        self.used = False

    def applies(self, runner, image):
        return self.runner == runner and self.image in ("*", image)


def load_expected(path):
    entries = []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split("|", 3)]
            if len(parts) != 4 or not all(parts):
                raise SystemExit("%s:%d: want RUNNER | IMAGE | LINE | REASON" % (path, n))
            if parts[0] not in ("qemu", "bochs"):
                raise SystemExit("%s:%d: runner must be qemu or bochs" % (path, n))
            entries.append(Entry(*parts, where="%s:%d" % (os.path.basename(path), n)))
    return entries


def keyed(lines):
    """One record per line: (line, owners).  owners lists the (key, number)
    pairs the line belongs to: a TAP result's key is its subtest name (its
    directive cut off) and number its TAP number; a diagnostic "# ..." line
    belongs to the result before it and to the one after it (images print
    diagnostics on either side of their result line); any other line is its
    own key, with no number."""
    out = []
    last = None
    waiting = []          # diagnostics still looking for the next result
    for line in lines:
        m = TAP_RESULT.match(line)
        if m:
            name = re.split(r" # (?:TODO|SKIP)", m.group(3) or "", maxsplit=1)[0]
            last = (name, int(m.group(2)))
            for rec in waiting:
                rec[1].append(last)
            waiting = []
            out.append((line, [last]))
        elif line.startswith("#") and not SUMMARY.match(line):
            rec = (line, [last] if last else [])
            waiting.append(rec)
            out.append(rec)
        else:
            last, waiting = None, []
            out.append((line, [(line, None)]))
    return out


def compare(runner, image, left, right, entries):
    """Expected differences and divergences between two runs."""
    a = keyed(left.lines + ["%s %s" % (EXIT_LINE, left.exit_value)])
    b = keyed(right.lines + ["%s %s" % (EXIT_LINE, right.exit_value)])
    mine = [e for e in entries if e.applies(runner, image)]
    whole = [e for e in mine if e.prefix == "*"]
    expected, diverging = [], []
    sm = difflib.SequenceMatcher(None, [l for l, _ in a], [l for l, _ in b],
                                 autojunk=False)
    hunks = [(list(zip(range(i1, i2), a[i1:i2])), list(zip(range(j1, j2), b[j1:j2])))
             for tag, i1, i2, j1, j2 in sm.get_opcodes() if tag != "equal"]
    # Entries ">PREFIX": that line and everything after it (a machine that
    # stopped there prints nothing more that could be compared).
    cuts = []
    for e in mine:
        if e.prefix.startswith(">"):
            for side, recs in ((0, a), (1, b)):
                at = next((i for i, (_, owners) in enumerate(recs)
                           if any(k.startswith(e.prefix[1:]) for k, _ in owners)), None)
                if at is not None:
                    cuts.append((side, at, e))
    if whole:
        for e in whole:
            e.used = True
        if hunks:
            expected.append(("(whole image)", whole[0].reason, whole[0].where))
        return expected, diverging
    # Subtests the image itself marks as known TCG differences (by TAP
    # number: the two sides may print different observed values).
    marked = set()
    if runner == "qemu":
        for line, owners in b:
            if TAP_RESULT.match(line) and TCG_MARK.search(line):
                marked.add(owners[0][1])

    def cover(owners):
        for key, number in owners:
            if number is not None and number in marked:
                return ("the image marks it a known TCG difference",
                        "tests/guest/qemu-expected-differences.txt")
            hit = next((e for e in mine if not e.prefix.startswith(">")
                        and key.startswith(e.prefix)), None)
            if hit:
                hit.used = True
                return (hit.reason, hit.where)
        return None

    pending = []   # summary and exit lines: decided after the rest
    for side, sign in ((0, "-"), (1, "+")):
        for hunk in hunks:
            for index, (line, owners) in hunk[side]:
                if SUMMARY.match(line) or line.startswith(EXIT_LINE):
                    pending.append(sign + line)
                    continue
                why = cover(owners)
                if not why:
                    cut = next((e for s_, at, e in cuts if s_ == side and index >= at), None)
                    if cut:
                        cut.used = True
                        why = (cut.reason, cut.where)
                if why:
                    expected.append((sign + line,) + why)
                else:
                    diverging.append(sign + line)
    for line in pending:
        if diverging:
            diverging.append(line)
        else:
            expected.append((line, "follows from the declared differences above", ""))
    return expected, diverging


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runner", choices=("qemu", "bochs"))
    ap.add_argument("--build", required=True, help="build directory")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="also list the expected differences with their reasons")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per run")
    ap.add_argument("--expected", default=EXPECTED)
    ap.add_argument("--logs", metavar="DIR",
                    help="keep each run's serial output as DIR/IMAGE.softvtx.log "
                         "and DIR/IMAGE.RUNNER.log")
    ap.add_argument("images", nargs="*", help="only these images (by name)")
    args = ap.parse_intermixed_args()

    need = {"qemu": ["qemu-system-x86_64"],
            "bochs": ["bochs", "grub-mkrescue", "xorriso", "script", "nm"]}[args.runner]
    missing = [t for t in need if shutil.which(t) is None]
    if missing:
        print("SKIP: %s not installed (Debian: apt-get install %s)" % (
            ", ".join(missing),
            "qemu-system-x86" if args.runner == "qemu"
            else "bochs bochsbios vgabios bochs-term grub-pc-bin xorriso"))
        return SKIP
    softvtx = os.path.join(args.build, "softvtx")
    if not os.access(softvtx, os.X_OK):
        print("xrun: %s is not built" % softvtx, file=sys.stderr)
        return 2
    entries = load_expected(args.expected)
    todo = images(args.build, args.runner)
    if args.images:
        todo = [t for t in todo if t[0] in args.images]
    if not todo:
        print("xrun: no images under %s" % args.build, file=sys.stderr)
        return 2
    profile = ["--cpu-profile", "bochs-2.7"] if args.runner == "bochs" else []

    def one(item):
        name, path = item
        left = run_softvtx(softvtx, path, profile, args.timeout)
        if args.runner == "qemu":
            right = run_qemu(path, args.timeout)
        else:
            right = run_bochs(path, args.timeout)
        return name, left, right

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(one, todo))

    ref = args.runner
    if args.logs:
        os.makedirs(args.logs, exist_ok=True)
        for name, left, right in results:
            for who, run in (("softvtx", left), (ref, right)):
                with open(os.path.join(args.logs, "%s.%s.log" % (name, who)), "w",
                          encoding="latin-1") as f:
                    f.write("".join(line + "\n" for line in run.lines))
    counts = {"identical": 0, "expected": 0, "diverging": 0}
    for name, left, right in results:
        expected, diverging = compare(ref, name, left, right, entries)
        lines = len(left.lines)
        if diverging:
            counts["diverging"] += 1
            state = "DIVERGES (%d lines; %d expected)" % (len(diverging), len(expected))
        elif expected:
            counts["expected"] += 1
            state = "expected differences only (%d lines)" % len(expected)
        else:
            counts["identical"] += 1
            state = "identical (%d lines)" % lines
        print("%-18s %s" % (name, state))
        for who, run in (("softvtx", left), (ref, right)):
            if run.note:
                print("    %s: %s" % (who, run.note))
        for line in diverging:
            print("    %s %s" % ("softvtx" if line[0] == "-" else ref, line[1:]))
        if args.verbose or diverging:
            for line, reason, where in expected:
                print("    expected %s -- %s%s" % (line, reason,
                                                    " (%s)" % where if where else ""))
    unused = [e for e in entries if e.runner == ref and not e.used
              and (not args.images or e.image in args.images)]
    for e in unused:
        print("note: %s: entry for %s '%s' matched nothing in this run" % (
            e.where, e.image, e.prefix))
    print("xrun %s: %d images: %d identical, %d with expected differences only, "
          "%d diverging" % (ref, len(results), counts["identical"],
                            counts["expected"], counts["diverging"]))
    return 1 if counts["diverging"] else 0


if __name__ == "__main__":
    sys.exit(main())
