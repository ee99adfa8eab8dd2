"""Writes tests/fixtures/tasks/tasks_reference.json: examples made by tasks.py (the generators the
models were trained with) that tests/tst_task_generator.cpp reads to check that the app's C++
generators parse, mark and score the same positions. Regenerate: python3 tools/train/make_task_fixture.py
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(__file__))
import tasks  # noqa: E402

VERSION = 1


def main():
    rng = random.Random(20261130)
    out = {"version": VERSION, "made_by": "tools/train/make_task_fixture.py", "mqar": [], "noise": [],
           "selective_copy": [], "induction": []}
    for pairs in [1, 2, 4, 8, 16, 32, 52]:
        data, answers = tasks.mqar_example(pairs, rng)
        assert tasks.mqar_check(data, answers)
        out["mqar"].append({"pairs": pairs, "hex": data.hex(), "answers": answers})
    for p, max_run in [(0.0, 4), (0.25, 2), (0.5, 4), (0.9, 8)]:
        content = b"The state stays the same size; the cache grows.\n"
        padded, mask = tasks.pad_with_noise(content, rng, p=p, max_run=max_run)
        out["noise"].append({"p": p, "max_run": max_run, "content_hex": content.hex(), "hex": padded.hex(),
                             "mask": [int(m) for m in mask], "targets": tasks.content_targets(mask)})
    for num, length in [(1, 4), (4, 16), (8, 64), (16, 16)]:
        data, answers = tasks.selective_copy_example(num, length, rng)
        assert tasks.selective_copy_answers(data) == answers
        out["selective_copy"].append({"tokens": num, "length": length, "hex": data.hex(), "answers": answers})
    for length in [2, 8, 100]:
        data, answers = tasks.induction_example(length, rng)
        out["induction"].append({"length": length, "hex": data.hex(), "answers": answers})
    path = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "tasks", "tasks_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
