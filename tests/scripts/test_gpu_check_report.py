"""scripts/gpu_check_report.py's verdicts on fake and recorded reports: the
parity and sanitizer steps of scripts/gpu-check pass only on a complete
report in which the expected number of GPU cases ran and passed."""
import os
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import gpu_check_report as report  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "fixtures", "gpu_check")


def case(name, tags, success=True, body=""):
    return (f'<TestCase name="{name}" tags="{tags}" filename="t.cpp" line="1">{body}'
            f'<OverallResult success="{"true" if success else "false"}"/></TestCase>')


def catch_xml(*cases, complete=True):
    text = '<?xml version="1.0" encoding="UTF-8"?>\n<Catch name="test_cuda"><Group name="test_cuda">' + "".join(cases)
    return text + ('<OverallResults successes="1" failures="0" expectedFailures="0"/></Group></Catch>' if complete else "")


class Files:
    def __init__(self):
        self.dir = tempfile.TemporaryDirectory()

    def __del__(self):
        self.dir.cleanup()

    def write(self, name, text):
        path = os.path.join(self.dir.name, name)
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
        return path


class CaseVerdict(unittest.TestCase):
    def setUp(self):
        self.files = Files()

    def verdict(self, xml_text, exit_code=0, expected=2):
        return report.case_verdict(self.files.write("r.xml", xml_text), exit_code, expected, "gpu")

    def test_all_expected_cases_ran_and_passed(self):
        ok, message = self.verdict(catch_xml(case("a", "[cuda][gpu]"), case("b", "[gpu][parity]"), case("c", "[cuda]")))
        self.assertTrue(ok, message)
        self.assertIn("2/2", message)

    def test_skips_fail_even_when_everything_passed(self):
        skipped = case("b", "[gpu]", body="<Warning>no GPU: skipped</Warning>")
        ok, message = self.verdict(catch_xml(case("a", "[gpu]"), skipped))
        self.assertFalse(ok)
        self.assertIn("skipped", message)

    def test_fewer_cases_than_the_sources_declare_fail(self):
        ok, message = self.verdict(catch_xml(case("a", "[gpu]")))
        self.assertFalse(ok)
        self.assertIn("1 of 2", message)

    def test_a_failed_case_or_exit_code_fails(self):
        self.assertFalse(self.verdict(catch_xml(case("a", "[gpu]"), case("b", "[gpu]", success=False)), 1)[0])
        ok, message = self.verdict(catch_xml(case("a", "[gpu]"), case("b", "[gpu]")), exit_code=99)
        self.assertFalse(ok)  # e.g. compute-sanitizer's --error-exitcode with all cases green
        self.assertIn("exit code 99", message)

    def test_a_crash_or_missing_binary_fails(self):
        self.assertFalse(self.verdict(catch_xml(case("a", "[gpu]"), case("b", "[gpu]"), complete=False), 139)[0])
        self.assertFalse(report.case_verdict(os.path.join(self.files.dir.name, "none.xml"), 127, 2, "gpu")[0])
        self.assertFalse(self.verdict("", 0)[0])

    def test_no_expected_cases_never_passes(self):
        self.assertFalse(self.verdict(catch_xml(), expected=0)[0])

    def test_recorded_runs_on_a_machine_without_gpu_fail(self):
        # Real test_cuda "[gpu]" -r xml output on a machine without a GPU: as
        # before this issue (skips pass, exit 0) and with GAZE_EXPECT_GPU=1.
        expected = report.expected_cases(os.path.join(ROOT, "tests", "cuda"), "gpu")
        for name, exit_code in (("test_cuda_no_gpu.xml", 0), ("test_cuda_expect_gpu_no_gpu.xml", 20)):
            ok, message = report.case_verdict(os.path.join(FIXTURES, name), exit_code, expected, "gpu")
            self.assertFalse(ok, name)
            self.assertIn("0 of", message)


class ExpectedCases(unittest.TestCase):
    def test_counts_tags_from_sources(self):
        files = Files()
        files.write("a.cpp", 'TEST_CASE("x", "[cuda][gpu]") {}\nTEST_CASE("y, \\"quoted\\"", "[gpu][find]") {}\n'
                             'TEST_CASE(\n    "z",\n    "[cuda]") {}\nTEST_CASE("w", "[multi-gpu]") {}\n')
        self.assertEqual(report.expected_cases(files.dir.name, "gpu"), 2)
        self.assertEqual(report.expected_cases(files.dir.name, "gpu", ["find"]), 1)
        self.assertEqual(report.expected_cases(files.dir.name, "multi-gpu"), 1)
        self.assertEqual(report.expected_cases(files.dir.name, "cuda"), 2)

    def test_the_real_suite_has_gpu_cases(self):
        self.assertGreaterEqual(report.expected_cases(os.path.join(ROOT, "tests", "cuda"), "gpu"), 20)


class LossVerdict(unittest.TestCase):
    HEADER = "epoch,lr,train_loss,train_acc,val_loss,val_acc,images_per_s,seconds\n"

    def metrics(self, files, name, rows):
        return files.write(name, self.HEADER + "".join(f"{i + 1},0.1,{t},0.9,{v},0.9,100,1\n"
                                                         for i, (t, v) in enumerate(rows)))

    def test_close_losses_pass_and_far_ones_fail(self):
        files = Files()
        cpu = self.metrics(files, "cpu.csv", [(0.69, 0.6), (0.05, 0.04)])
        near = self.metrics(files, "near.csv", [(0.69, 0.6), (0.0505, 0.0401)])
        far = self.metrics(files, "far.csv", [(0.69, 0.6), (0.09, 0.04)])
        short = self.metrics(files, "short.csv", [(0.69, 0.6)])
        early = self.metrics(files, "early.csv", [(0.75, 0.6), (0.05, 0.04)])  # same end, different path
        self.assertFalse(report.loss_verdict(cpu, early)[0])
        self.assertTrue(report.loss_verdict(cpu, near)[0])
        self.assertFalse(report.loss_verdict(cpu, far)[0])
        self.assertFalse(report.loss_verdict(cpu, short)[0])
        self.assertFalse(report.loss_verdict(cpu, os.path.join(files.dir.name, "missing.csv"))[0])

    def test_a_reference_that_did_not_learn_fails(self):
        files = Files()
        flat = self.metrics(files, "flat.csv", [(0.69, 0.6), (0.68, 0.6)])
        self.assertFalse(report.loss_verdict(flat, flat)[0])


class Summary(unittest.TestCase):
    def test_json_and_status(self):
        import json
        files = Files()
        steps = files.write("steps.tsv", "gpu\tPASS\t0\t1 GPU(s)\nparity\tFAIL\t12\t0 of 20\n")
        info = files.write("info.json", '{"cudnn": "9.19.0", "gpus": [{"name": "X"}]}')
        out = os.path.join(files.dir.name, "out.json")
        self.assertFalse(report.summary(steps, info, out, "quick"))
        with open(out, encoding="utf-8") as written:
            data = json.load(written)
        self.assertFalse(data["passed"])
        self.assertEqual([s["step"] for s in data["steps"]], ["gpu", "parity"])
        self.assertEqual(data["system"]["cudnn"], "9.19.0")
        passing = files.write("pass.tsv", "gpu\tPASS\t0\tok\n")
        self.assertTrue(report.summary(passing, "", out, "quick"))
        self.assertFalse(report.summary(files.write("empty.tsv", ""), "", out, "quick"))

    def test_rate_per_gpu(self):
        files = Files()
        log = files.write("train.log", "epoch 1/100 batch 15/156  loss 0.69  acc 50.00%  400.0 img/s  ETA 0m10s\n"
                                       "epoch 1/100 batch 30/156  loss 0.69  acc 50.00%  800.0 img/s  ETA 0m05s\n")
        self.assertEqual(report.rate_per_gpu(log, 2), 400.0)
        self.assertIsNone(report.rate_per_gpu(files.write("none.log", "nothing\n"), 2))


if __name__ == "__main__":
    unittest.main()
