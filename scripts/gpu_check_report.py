#!/usr/bin/env python3
"""The decisions of scripts/gpu-check, kept out of bash so that they are
tested without a GPU (tests/scripts/test_gpu_check_report.py):

  expected SRC_DIR TAG [EXCLUDE_TAG...]   how many TEST_CASEs in
      SRC_DIR/*.cpp carry TAG and none of the EXCLUDE_TAGs (read from the
      sources, not from the binary, so that a binary that registers no cases
      cannot lower the bar)
  cases XML EXIT_CODE EXPECTED TAG   verdict on a Catch2 XML report
      (test_cuda -r xml): passes only when the exit code is 0, the report is
      complete, and exactly EXPECTED cases tagged TAG ran and passed with no
      "no GPU: skipped" anywhere
  loss CPU_CSV GPU_CSV   compares two metrics.csv files epoch by epoch
      (train and validation loss, the final epoch included)
  rate LOG GPUS   images/s per GPU from the last progress line of a train log
  summary STEPS_TSV INFO_JSON OUT_JSON MODE   prints the summary table and
      writes the JSON report; exit status 1 when any step did not pass

Every verdict prints one line; exit status 0 means PASS.
"""
import csv
import glob
import json
import os
import re
import sys
import xml.etree.ElementTree as ElementTree

SKIP_MESSAGE = "no GPU: skipped"
# Per-epoch losses of the CPU and GPU runs may differ by rounding only:
# each op agrees to 1e-4 relative (tests/cuda), and a few hundred SGD steps on
# the 2-class task amplify that little; a wrong kernel moves the loss by far
# more than this.
LOSS_ABSOLUTE_TOLERANCE = 2e-3
LOSS_RELATIVE_TOLERANCE = 2e-2

TEST_CASE = re.compile(r'TEST_CASE\(\s*"(?:[^"\\]|\\.)*"\s*,\s*"([^"]*)"\s*\)')


def has_tag(tags, tag):
    return ("[" + tag.strip("[]") + "]") in tags


def expected_cases(source_dir, tag, excluded=()):
    count = 0
    for path in sorted(glob.glob(os.path.join(source_dir, "*.cpp"))):
        with open(path, encoding="utf-8") as source:
            for tags in TEST_CASE.findall(source.read()):
                if has_tag(tags, tag) and not any(has_tag(tags, e) for e in excluded):
                    count += 1
    return count


def case_verdict(xml_path, exit_code, expected, tag):
    """(passed, message) for a Catch2 XML report."""
    if expected <= 0:
        return False, f"FAIL: expected {expected} [{tag}] cases: the sources declare none"
    try:
        with open(xml_path, encoding="utf-8") as report:
            text = report.read()
        root = ElementTree.fromstring(text)
    except (OSError, ElementTree.ParseError) as error:
        return False, f"FAIL: no complete Catch2 XML report ({error}); the binary is missing or crashed (exit {exit_code})"
    cases = [c for c in root.iter("TestCase") if has_tag(c.get("tags", ""), tag)]
    skipped = [c for c in cases if SKIP_MESSAGE in ElementTree.tostring(c, encoding="unicode")]
    succeeded = [c for c in cases if (c.find("OverallResult") is not None and
                                      c.find("OverallResult").get("success") == "true")]
    passed = [c for c in succeeded if c not in skipped]  # ran on a GPU and passed
    failed = [c.get("name") for c in cases if c not in succeeded]
    skipped = [c.get("name") for c in skipped]
    problems = []
    if exit_code != 0:
        problems.append(f"exit code {exit_code}")
    if skipped:
        problems.append(f"{len(skipped)} skipped ({skipped[0]}, ...)")
    if failed:
        problems.append(f"{len(failed)} failed ({failed[0]}, ...)")
    if len(passed) != expected:
        problems.append(f"{len(passed)} of {expected} expected [{tag}] cases ran and passed")
    if SKIP_MESSAGE in text and not skipped:
        problems.append("a case outside the count skipped")
    if problems:
        return False, "FAIL: " + "; ".join(problems)
    return True, f"PASS: {len(passed)}/{expected} [{tag}] cases ran on the GPU and passed"


def final_losses(path):
    with open(path, newline="", encoding="utf-8") as metrics:
        rows = list(csv.DictReader(metrics))
    if not rows:
        raise ValueError(f"{path} has no epochs")
    return rows, float(rows[-1]["train_loss"]), float(rows[-1]["val_loss"])


def loss_verdict(cpu_csv, gpu_csv):
    try:
        cpu_rows, cpu_train, cpu_val = final_losses(cpu_csv)
        gpu_rows, gpu_train, gpu_val = final_losses(gpu_csv)
    except (OSError, ValueError, KeyError) as error:
        return False, f"FAIL: cannot read the metrics ({error})"
    if len(cpu_rows) != len(gpu_rows):
        return False, f"FAIL: the CPU run has {len(cpu_rows)} epochs, the GPU run {len(gpu_rows)}"
    first = float(cpu_rows[0]["train_loss"])
    if not cpu_train < 0.5 * first:
        return False, f"FAIL: the CPU reference did not learn (train loss {first:.4f} -> {cpu_train:.4f})"
    # Every epoch, not only the last: on an easy task both runs end near
    # zero, while the first epochs show a wrong kernel plainly.
    problems = []
    for cpu_row, gpu_row in zip(cpu_rows, gpu_rows):
        for name in ("train_loss", "val_loss"):
            cpu, gpu = float(cpu_row[name]), float(gpu_row[name])
            if not abs(gpu - cpu) <= LOSS_ABSOLUTE_TOLERANCE + LOSS_RELATIVE_TOLERANCE * abs(cpu):
                problems.append(f"epoch {cpu_row['epoch']} {name} cpu {cpu:.6f} gpu {gpu:.6f}")
    detail = (f"epoch 1 train_loss cpu {first:.6f} gpu {float(gpu_rows[0]['train_loss']):.6f}; final train_loss "
              f"cpu {cpu_train:.6f} gpu {gpu_train:.6f}, val_loss cpu {cpu_val:.6f} gpu {gpu_val:.6f} after "
              f"{len(cpu_rows)} epochs (every epoch within {LOSS_ABSOLUTE_TOLERANCE} + {LOSS_RELATIVE_TOLERANCE:.0%})")
    if problems:
        return False, "FAIL: " + "; ".join(problems) + "; " + detail
    return True, "PASS: " + detail


def rate_per_gpu(log_path, gpus):
    rates = []
    with open(log_path, encoding="utf-8", errors="replace") as log:
        for line in log:
            match = re.search(r"batch \d+/\d+ .* ([0-9.]+) img/s", line)
            if match:
                rates.append(float(match.group(1)))
    if not rates:
        return None
    return rates[-1] / gpus


def summary(steps_tsv, info_json, out_json, mode):
    steps = []
    with open(steps_tsv, encoding="utf-8") as table:
        for line in table:
            name, status, seconds, detail = (line.rstrip("\n").split("\t") + ["", "", ""])[:4]
            steps.append({"step": name, "status": status, "seconds": float(seconds or 0), "detail": detail})
    info = {}
    if info_json and os.path.exists(info_json):
        try:
            with open(info_json, encoding="utf-8") as source:
                info = json.load(source)
        except ValueError as error:
            info = {"error": f"unreadable {info_json}: {error}"}
    passed = bool(steps) and all(s["status"] == "PASS" for s in steps)
    report = {"mode": mode, "passed": passed, "steps": steps, "system": info,
              "total_seconds": round(sum(s["seconds"] for s in steps), 1)}
    with open(out_json, "w", encoding="utf-8") as out:
        json.dump(report, out, indent=2)
        out.write("\n")
    print(f"\ngpu-check summary ({mode})")
    print(f"  {'step':<12} {'result':<6} {'seconds':>8}  detail")
    for s in steps:
        print(f"  {s['step']:<12} {s['status']:<6} {s['seconds']:>8.1f}  {s['detail']}")
    print(f"  {'total':<12} {'PASS' if passed else 'FAIL':<6} {report['total_seconds']:>8.1f}  written to {out_json}")
    return passed


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command == "expected" and len(argv) >= 4:
        print(expected_cases(argv[2], argv[3], argv[4:]))
        return 0
    if command == "cases" and len(argv) == 6:
        ok, message = case_verdict(argv[2], int(argv[3]), int(argv[4]), argv[5])
    elif command == "loss" and len(argv) == 4:
        ok, message = loss_verdict(argv[2], argv[3])
    elif command == "rate" and len(argv) == 4:
        rate = rate_per_gpu(argv[2], int(argv[3]))
        ok, message = rate is not None, (f"{rate:.1f}" if rate is not None else "FAIL: no progress line in the log")
    elif command == "summary" and len(argv) == 6:
        return 0 if summary(argv[2], argv[3], argv[4], argv[5]) else 1
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(message)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
