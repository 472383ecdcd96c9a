#!/usr/bin/env python3
"""Summarise a py-spy collapsed-stack profile (`--format raw`, i.e. `--profile FILE.txt`).

    python bench/profile_summary.py .bench/profile.txt [--top 25] [--match TEXT ...]

Prints, over all samples (or only those whose stack contains every --match text):
  * samples per thread (MainThread = the event loop; AnyIO worker threads = sync endpoints),
  * the hottest functions by SELF time (the leaf frame), and
  * the hottest by INCLUSIVE time (anywhere in the stack, counted once per sample),
each as a share of the samples considered. With `--profile-idle` recordings, waiting frames
(select/epoll, lock acquire, Condition.wait) appear as self time and show where requests wait.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

FRAME = re.compile(r"^(?P<func>.*?) \((?P<where>[^()]*)\)$")


def short(frame: str, keep_line: bool) -> str:
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    where = match["where"]
    if not keep_line:
        where = where.rsplit(":", 1)[0]
    return f"{match['func']} ({where})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", action="append", default=[], help="keep only stacks containing this text")
    parser.add_argument("--lines", action="store_true", help="keep line numbers (self time per line)")
    args = parser.parse_args()

    threads: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    with open(args.profile, encoding="utf-8", errors="replace") as handle:
        for raw in handle:
            raw = raw.rstrip("\n")
            if not raw:
                continue
            stack, _, count_text = raw.rpartition(" ")
            try:
                count = int(count_text)
            except ValueError:
                continue
            if any(text not in stack for text in args.match):
                continue
            frames = stack.split(";")
            thread = frames[0]
            thread_name = thread.split(":", 1)[1].strip() if ":" in thread else thread
            thread_name = re.sub(r"\d+", "N", thread_name)
            threads[thread_name] += count
            names = [short(frame, args.lines) for frame in frames[1:]]
            if names:
                self_time[names[-1]] += count
            for name in set(short(frame, False) for frame in frames[1:]):
                inclusive[name] += count
            total += count
    if not total:
        print("no samples")
        return
    print(f"{total} samples" + (f" matching {args.match}" if args.match else ""))
    print("\nby thread:")
    for name, count in threads.most_common(10):
        print(f"  {100 * count / total:5.1f}%  {name}")
    print("\nself time:")
    for name, count in self_time.most_common(args.top):
        print(f"  {100 * count / total:5.1f}%  {name}")
    print("\ninclusive time:")
    for name, count in inclusive.most_common(args.top):
        print(f"  {100 * count / total:5.1f}%  {name}")


if __name__ == "__main__":
    main()
