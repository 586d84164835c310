#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Saving a state is crash-safe (issue 22; csmetrics/io/state_file.hpp).

  crash_save_test.py EXAMPLES_BIN_DIR GEN_EVENTS [KILLS]     (KILLS: default 60)

(a) `shop_report --save-state` replaces a good state and is SIGKILLed at
    random moments (half of them timed to when its temporary file appears,
    the moment the old save began to destroy the target): after each kill the
    target equals the old state or the new one, and csm_merge loads it.
(b) Saving where it cannot (a folder that is not writable, a target that is a
    folder) exits non-zero naming the file, keeps the old file and leaves no
    temporary file behind.
(c) A full disk: a tmpfs too small for the old and the new state together
    (when running as root and `mount` works; skipped with a message
    otherwise), and a file size limit (RLIMIT_FSIZE, always): a clear error
    naming the file and the OS error, exit status 1, the old file kept, no
    temporary file left.
"""
import errno
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what)


def main():
    bin_dir, gen_events = sys.argv[1], sys.argv[2]
    kills = int(sys.argv[3]) if len(sys.argv) > 3 else 60
    shop_report, csm_merge = os.path.join(bin_dir, "shop_report"), os.path.join(bin_dir, "csm_merge")
    rng = random.Random(22)
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)  # (b) runs shop_report as nobody when we are root
        old_csv, new_csv = os.path.join(tmp, "old.csv"), os.path.join(tmp, "new.csv")
        for seed, csv in ((1, old_csv), (2, new_csv)):
            subprocess.run([gen_events, "--events", "100000", "--seed", str(seed), "--out", csv], check=True)
        save = lambda target, csv: [shop_report, "--no-progress", "--format", "json", "--save-state", target, csv]
        old_bin, new_bin = os.path.join(tmp, "old.bin"), os.path.join(tmp, "new.bin")
        subprocess.run(save(old_bin, old_csv), check=True, stdout=subprocess.DEVNULL)
        start = time.monotonic()
        subprocess.run(save(new_bin, new_csv), check=True, stdout=subprocess.DEVNULL)
        run_s = time.monotonic() - start
        old, new = open(old_bin, "rb").read(), open(new_bin, "rb").read()
        check(old != new, "the two states differ")

        # (a) SIGKILL while replacing the old state.
        work = os.path.join(tmp, "work")
        os.mkdir(work)
        target = os.path.join(work, "state.bin")
        outcome = {"old": 0, "new": 0}
        for i in range(kills):
            with open(target, "wb") as f:
                f.write(old)
            snapshot = lambda: (sorted(os.listdir(work)), os.stat(target).st_size, os.stat(target).st_mtime_ns)
            before = snapshot()
            p = subprocess.Popen(save(target, new_csv), stdout=subprocess.DEVNULL)
            if i % 2 == 0:  # anywhere in the run
                time.sleep(rng.uniform(0, run_s * 1.1))
            else:  # as soon as the folder changes (a temporary file, the target written): mid-write
                deadline = time.monotonic() + 10 * run_s + 5
                while p.poll() is None and snapshot() == before and time.monotonic() < deadline:
                    pass
                time.sleep(rng.uniform(0, 0.003))
            p.send_signal(signal.SIGKILL)
            p.wait()
            got = open(target, "rb").read()
            state = "old" if got == old else "new" if got == new else None
            check(state is not None, f"kill {i}: the target is neither the old nor the new state ({len(got)} bytes)")
            if state:
                outcome[state] += 1
            m = subprocess.run([csm_merge, "--format", "json", target], capture_output=True, text=True)
            check(m.returncode == 0, f"kill {i}: csm_merge cannot load the target: {m.stderr.strip()}")
            for leftover in os.listdir(work):  # a SIGKILL may leave a temporary file, never a broken target
                if leftover != "state.bin":
                    os.unlink(os.path.join(work, leftover))
        print(f"{kills} kills: the target was the old state {outcome['old']} times, the new one {outcome['new']} times")

        # (b) Saving where it cannot: exit non-zero, a message naming the file, the old file kept.
        def refused(target, as_nobody, what, reason=None):
            folder = os.path.dirname(target)
            before = sorted(os.listdir(folder))
            drop = (lambda: (os.setgid(65534), os.setuid(65534))) if as_nobody is True else (as_nobody or None)
            p = subprocess.run(save(target, new_csv), capture_output=True, text=True, preexec_fn=drop)
            check(p.returncode == 1, f"{what}: exit status {p.returncode}")
            check(target in p.stderr, f"{what}: the message names {target}: {p.stderr.strip()!r}")
            if reason:
                check(reason in p.stderr, f"{what}: the message gives the OS error {reason!r}: {p.stderr.strip()!r}")
            check(sorted(os.listdir(folder)) == before, f"{what}: no temporary file left in {folder}")
            print(f"{what}: {p.stderr.strip()}")

        ro = os.path.join(tmp, "read-only")
        os.mkdir(ro)
        kept = os.path.join(ro, "state.bin")
        with open(kept, "wb") as f:
            f.write(old)
        os.chmod(kept, 0o666)  # the file is writable, its folder is not: no place for a temporary file
        os.chmod(ro, 0o555)
        if os.geteuid() != 0:
            refused(kept, False, "a folder that is not writable")
        else:  # root writes anywhere: save as nobody
            try:
                refused(kept, True, "a folder that is not writable (as nobody)")
            except (PermissionError, subprocess.SubprocessError) as e:
                print("SKIPPED the read-only folder: cannot run as nobody:", e)
        check(open(kept, "rb").read() == old, "the old state in the read-only folder is untouched")
        os.chmod(ro, 0o755)
        folder_target = os.path.join(work, "a-folder.bin")
        os.mkdir(folder_target)
        refused(folder_target, False, "a target that is a folder")
        check(os.path.isdir(folder_target), "the folder is still there")

        # (c) A full disk. A file size limit first: writes past it fail with
        # EFBIG ("File too large") as a full disk fails with ENOSPC.
        limited = os.path.join(work, "state.bin")
        with open(limited, "wb") as f:
            f.write(old)

        def small_files():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
            resource.setrlimit(resource.RLIMIT_FSIZE, (len(new) // 2, len(new) // 2))
        refused(limited, small_files, "a file size limit of half the new state", os.strerror(errno.EFBIG))
        check(open(limited, "rb").read() == old, "the old state is kept (file size limit)")
        # A real full file system: a tmpfs that holds the old state but not the new one beside it.
        mnt = os.path.join(tmp, "full")
        os.mkdir(mnt)
        size = (len(old) + len(new) // 2 + 4095) // 4096 * 4096
        mounted = False
        if os.geteuid() != 0 or not shutil.which("mount"):
            print("SKIPPED the full tmpfs: needs root and mount (the file size limit above stands in for it)")
        else:
            m = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", mnt],
                               capture_output=True, text=True)
            mounted = m.returncode == 0
            if not mounted:
                print("SKIPPED the full tmpfs: mount failed:", m.stderr.strip())
        if mounted:
            try:
                full = os.path.join(mnt, "state.bin")
                with open(full, "wb") as f:
                    f.write(old)
                refused(full, None, f"a full file system ({size // 1024} KiB tmpfs)", os.strerror(errno.ENOSPC))
                check(open(full, "rb").read() == old, "the old state is kept (full tmpfs)")
                m = subprocess.run([csm_merge, "--format", "json", full], capture_output=True, text=True)
                check(m.returncode == 0, f"csm_merge loads the kept state on the full tmpfs: {m.stderr.strip()}")
            finally:
                subprocess.run(["umount", mnt], check=False)
    if failures:
        sys.exit(f"{len(failures)} failures")
    print("ok crash-safe --save-state")


if __name__ == "__main__":
    main()
