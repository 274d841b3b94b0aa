// gpu-check-report's verdicts on fake and recorded reports: the parity and
// sanitizer steps of scripts/gpu-check pass only on a complete report in
// which the expected number of GPU cases ran and passed; a report cut off or
// corrupt anywhere fails. Runs without a GPU.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "tests/cuda/csv_reader.h"
#include "tests/cuda/gpu_check_report.h"
#include "tests/cuda/xml_reader.h"
#include "tests/temp_dir.h"

using namespace gaze::gpu_check;
using gaze::test_support::TempDir;

namespace {

const std::string kRoot = GAZE_SOURCE_DIR;
const std::string kFixtures = kRoot + "/tests/fixtures/gpu_check";

std::string write(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir / name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string test_case(const std::string& name, const std::string& tags, bool success = true,
                      const std::string& body = "") {
  return "<TestCase name=\"" + name + "\" tags=\"" + tags + "\" filename=\"t.cpp\" line=\"1\">" + body +
         "<OverallResult success=\"" + (success ? "true" : "false") + "\"/></TestCase>";
}

std::string catch_xml(const std::vector<std::string>& cases, bool complete = true) {
  std::string text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Catch name=\"test_cuda\"><Group name=\"test_cuda\">";
  for (const auto& c : cases) text += c;
  if (complete) text += "<OverallResults successes=\"1\" failures=\"0\" expectedFailures=\"0\"/></Group></Catch>";
  return text;
}

Verdict verdict(const TempDir& dir, const std::string& xml, long long exit_code = 0, long long expected = 2) {
  return case_verdict(write(dir, "r.xml", xml), exit_code, expected, "gpu");
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const std::string kHeader = "epoch,lr,train_loss,train_acc,val_loss,val_acc,images_per_s,seconds\n";

std::string metrics(const TempDir& dir, const std::string& name, const std::vector<std::pair<double, double>>& rows) {
  std::ostringstream text;
  text << kHeader;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    text << i + 1 << ",0.1," << rows[i].first << ",0.9," << rows[i].second << ",0.9,100,1\n";
  }
  return write(dir, name, text.str());
}

int run(const std::vector<std::string>& args, std::string* out = nullptr) {
  std::ostringstream out_stream, err_stream;
  const int status = run_command(args, out_stream, err_stream);
  if (out) *out = out_stream.str();
  return status;
}

}  // namespace

TEST_CASE("gpu-check-report: all expected cases ran and passed", "[gpu_check]") {
  TempDir dir;
  const auto result = verdict(dir, catch_xml({test_case("a", "[cuda][gpu]"), test_case("b", "[gpu][parity]"),
                                              test_case("c", "[cuda]")}));
  CHECK(result.passed);
  CHECK(result.message == "PASS: 2/2 [gpu] cases ran on the GPU and passed");
}

TEST_CASE("gpu-check-report: skips fail even when everything passed", "[gpu_check]") {
  TempDir dir;
  const auto skipped = test_case("b", "[gpu]", true, "<Warning>no GPU: skipped</Warning>");
  const auto result = verdict(dir, catch_xml({test_case("a", "[gpu]"), skipped}));
  CHECK_FALSE(result.passed);
  CHECK(result.message == "FAIL: 1 skipped (b, ...); 1 of 2 expected [gpu] cases ran and passed");
}

TEST_CASE("gpu-check-report: fewer cases than the sources declare fail", "[gpu_check]") {
  TempDir dir;
  const auto result = verdict(dir, catch_xml({test_case("a", "[gpu]")}));
  CHECK_FALSE(result.passed);
  CHECK(contains(result.message, "1 of 2"));
}

TEST_CASE("gpu-check-report: a failed case or exit code fails", "[gpu_check]") {
  TempDir dir;
  CHECK_FALSE(verdict(dir, catch_xml({test_case("a", "[gpu]"), test_case("b", "[gpu]", false)}), 1).passed);
  // e.g. compute-sanitizer's --error-exitcode with all cases green
  const auto result = verdict(dir, catch_xml({test_case("a", "[gpu]"), test_case("b", "[gpu]")}), 99);
  CHECK_FALSE(result.passed);
  CHECK(result.message == "FAIL: exit code 99");
  const auto failed = verdict(dir, catch_xml({test_case("a", "[gpu]"), test_case("b", "[gpu]", false)}));
  CHECK(failed.message == "FAIL: 1 failed (b, ...); 1 of 2 expected [gpu] cases ran and passed");
}

TEST_CASE("gpu-check-report: a crash or missing binary fails", "[gpu_check]") {
  TempDir dir;
  CHECK_FALSE(verdict(dir, catch_xml({test_case("a", "[gpu]"), test_case("b", "[gpu]")}, false), 139).passed);
  const auto missing = case_verdict(dir / "none.xml", 127, 2, "gpu");
  CHECK_FALSE(missing.passed);
  CHECK(missing.message == "FAIL: no complete Catch2 XML report ([Errno 2] No such file or directory: '" +
                               dir / "none.xml" + "'); the binary is missing or crashed (exit 127)");
  CHECK_FALSE(verdict(dir, "", 0).passed);
}

TEST_CASE("gpu-check-report: no expected cases never passes", "[gpu_check]") {
  TempDir dir;
  const auto result = verdict(dir, catch_xml({}), 0, 0);
  CHECK_FALSE(result.passed);
  CHECK(result.message == "FAIL: expected 0 [gpu] cases: the sources declare none");
}

TEST_CASE("gpu-check-report: recorded runs on a machine without a GPU fail", "[gpu_check]") {
  // Real test_cuda "[gpu]" -r xml output on a machine without a GPU: as
  // before GAZE_EXPECT_GPU (skips pass, exit 0) and with GAZE_EXPECT_GPU=1.
  const int expected = expected_cases(kRoot + "/tests/cuda", "gpu");
  for (const auto& [name, exit_code] : {std::pair<std::string, int>{"test_cuda_no_gpu.xml", 0},
                                        std::pair<std::string, int>{"test_cuda_expect_gpu_no_gpu.xml", 20}}) {
    INFO(name);
    const auto result = case_verdict(kFixtures + "/" + name, exit_code, expected, "gpu");
    CHECK_FALSE(result.passed);
    CHECK(contains(result.message, "0 of"));
  }
  // The recorded reports themselves are complete: they fail on their
  // content, not on the reader.
  const auto skipped = case_verdict(kFixtures + "/test_cuda_no_gpu.xml", 0, 20, "gpu");
  CHECK(skipped.message ==
        "FAIL: 20 skipped (cuda: host-device round trips are exact, ...); 0 of 20 expected [gpu] cases ran and passed");
  const auto failed = case_verdict(kFixtures + "/test_cuda_expect_gpu_no_gpu.xml", 20, 20, "gpu");
  CHECK(failed.message ==
        "FAIL: exit code 20; 20 failed (cuda: host-device round trips are exact, ...); 0 of 20 expected [gpu] "
        "cases ran and passed");
}

TEST_CASE("gpu-check-report: a report cut off anywhere never passes", "[gpu_check]") {
  TempDir dir;
  const std::string complete = catch_xml({test_case("a", "[cuda][gpu]"), test_case("b", "[gpu]")}) + "\n";
  REQUIRE(verdict(dir, complete).passed);
  // Every prefix that is not the whole document (the trailing newline aside).
  for (std::size_t length = 0; length + 1 < complete.size(); ++length) {
    INFO("cut after " << length << " bytes");
    const auto result = verdict(dir, complete.substr(0, length));
    CHECK_FALSE(result.passed);
    CHECK(contains(result.message, "no complete Catch2 XML report"));
  }
}

TEST_CASE("gpu-check-report: corrupt reports fail with a reason", "[gpu_check]") {
  TempDir dir;
  const auto a = test_case("a", "[gpu]"), b = test_case("b", "[gpu]");
  const std::vector<std::string> corrupt = {
      catch_xml({a, b}) + "<Catch/>",                                     // two roots
      catch_xml({a, b}) + "junk",                                         // text after the root
      "<!DOCTYPE Catch [<!ENTITY x \"y\">]>" + catch_xml({a, b}).substr(39),  // a DOCTYPE
      catch_xml({a, "<TestCase name=\"b\" tags=\"[gpu]\"><OverallResult success=\"true\"/></Testcase>"}),
      catch_xml({a, "<TestCase name=\"b\" name=\"c\" tags=\"[gpu]\"><OverallResult success=\"true\"/></TestCase>"}),
      catch_xml({a, "<TestCase name=\"b\" tags=\"[gpu]\">&bogus;<OverallResult success=\"true\"/></TestCase>"}),
      catch_xml({a, "<TestCase name=\"b\" tags=[gpu]><OverallResult success=\"true\"/></TestCase>"}),
      catch_xml({a, "<TestCase name=\"b\" tags=\"[gpu]\">\x01<OverallResult success=\"true\"/></TestCase>"}),
      catch_xml({a, "<TestCase name=\"b\xff\" tags=\"[gpu]\"><OverallResult success=\"true\"/></TestCase>"}),
      catch_xml({a, "<TestCase name=\"b\" tags=\"[gpu]\"><!-- a -- b --><OverallResult success=\"true\"/></TestCase>"}),
      catch_xml({a, b}).replace(0, 5, "<?XML"),
  };
  for (const auto& text : corrupt) {
    INFO(text);
    const auto result = verdict(dir, text);
    CHECK_FALSE(result.passed);
    CHECK(contains(result.message, "no complete Catch2 XML report"));
  }
  // Well-formed variations of the same report still pass.
  const std::vector<std::string> fine = {
      catch_xml({a, b}).substr(39),  // no XML declaration
      "\xEF\xBB\xBF" + catch_xml({a, b}),
      catch_xml({a, "<!-- c --><TestCase name='b' tags='&#91;gpu&#x5D;' >\r\n<![CDATA[<x>]]><?pi x?>"
                    "<OverallResult success = \"true\" /></TestCase >"}),
  };
  for (const auto& text : fine) {
    INFO(text);
    CHECK(verdict(dir, text).passed);
  }
}

TEST_CASE("gpu-check-report: the skip message counts wherever the case's XML holds it", "[gpu_check]") {
  TempDir dir;
  const auto a = test_case("a", "[gpu]");
  // In an attribute, spelled with references, and after the case's end tag
  // (ElementTree serializes an element with its tail).
  for (const auto& text :
       {catch_xml({a, test_case("b", "[gpu]", true, "<Info note=\"no GPU: skipped\"/>")}),
        catch_xml({a, test_case("b", "[gpu]", true, "<Warning>no&#32;GPU: skip<!-- -->ped</Warning>")}),
        catch_xml({a, test_case("b", "[gpu]") + "no GPU: skipped"})}) {
    INFO(text);
    const auto result = verdict(dir, text);
    CHECK_FALSE(result.passed);
    CHECK(contains(result.message, "1 skipped (b, ...)"));
  }
  // Outside every counted case: still a failure.
  const auto outside = verdict(dir, catch_xml({a, test_case("b", "[gpu]"), test_case("c", "[cuda]", true,
                                                                                    "<Warning>no GPU: skipped</Warning>")}));
  CHECK(outside.message == "FAIL: a case outside the count skipped");
}

TEST_CASE("gpu-check-report: counts tags from sources", "[gpu_check]") {
  TempDir dir;
  write(dir, "a.cpp",
        "TEST_CASE(\"x\", \"[cuda][gpu]\") {}\nTEST_CASE(\"y, \\\"quoted\\\"\", \"[gpu][find]\") {}\n"
        "TEST_CASE(\n    \"z\",\n    \"[cuda]\") {}\nTEST_CASE(\"w\", \"[multi-gpu]\") {}\n");
  CHECK(expected_cases(dir.path().string(), "gpu") == 2);
  CHECK(expected_cases(dir.path().string(), "gpu", {"find"}) == 1);
  CHECK(expected_cases(dir.path().string(), "multi-gpu") == 1);
  CHECK(expected_cases(dir.path().string(), "cuda") == 2);
  CHECK(expected_cases(dir.path().string(), "[cuda]") == 2);
  // Only *.cpp, not hidden files; a TEST_CASE the pattern does not match is
  // not counted, and the search goes on inside it.
  write(dir, "b.h", "TEST_CASE(\"h\", \"[gpu]\") {}\n");
  write(dir, ".c.cpp", "TEST_CASE(\"h\", \"[gpu]\") {}\n");
  write(dir, "d.cpp", "TEST_CASE(\"v\\\n\", \"[gpu]\")\nTEST_CASE(\"r TEST_CASE(\\\"s\\\", \\\"[gpu]\\\")\", [gpu])\r\n"
                      "TEST_CASE(\"t\" , \"[gpu]\"\t)");
  CHECK(expected_cases(dir.path().string(), "gpu") == 3);
  CHECK(expected_cases(dir / "missing", "gpu") == 0);
}

TEST_CASE("gpu-check-report: the real suite has GPU cases", "[gpu_check]") {
  CHECK(expected_cases(kRoot + "/tests/cuda", "gpu") >= 20);
}

TEST_CASE("gpu-check-report: close losses pass and far ones fail", "[gpu_check]") {
  TempDir dir;
  const auto cpu = metrics(dir, "cpu.csv", {{0.69, 0.6}, {0.05, 0.04}});
  const auto near = metrics(dir, "near.csv", {{0.69, 0.6}, {0.0505, 0.0401}});
  const auto far = metrics(dir, "far.csv", {{0.69, 0.6}, {0.09, 0.04}});
  const auto short_run = metrics(dir, "short.csv", {{0.69, 0.6}});
  const auto early = metrics(dir, "early.csv", {{0.75, 0.6}, {0.05, 0.04}});  // same end, different path
  CHECK_FALSE(loss_verdict(cpu, early).passed);
  const auto passed = loss_verdict(cpu, near);
  CHECK(passed.passed);
  CHECK(passed.message ==
        "PASS: epoch 1 train_loss cpu 0.690000 gpu 0.690000; final train_loss cpu 0.050000 gpu 0.050500, val_loss "
        "cpu 0.040000 gpu 0.040100 after 2 epochs (every epoch within 0.002 + 2%)");
  const auto failed = loss_verdict(cpu, far);
  CHECK_FALSE(failed.passed);
  CHECK(failed.message ==
        "FAIL: epoch 2 train_loss cpu 0.050000 gpu 0.090000; epoch 1 train_loss cpu 0.690000 gpu 0.690000; final "
        "train_loss cpu 0.050000 gpu 0.090000, val_loss cpu 0.040000 gpu 0.040000 after 2 epochs (every epoch "
        "within 0.002 + 2%)");
  CHECK(loss_verdict(cpu, short_run).message == "FAIL: the CPU run has 2 epochs, the GPU run 1");
  const auto missing = loss_verdict(cpu, dir / "missing.csv");
  CHECK_FALSE(missing.passed);
  CHECK(missing.message ==
        "FAIL: cannot read the metrics ([Errno 2] No such file or directory: '" + dir / "missing.csv" + "')");
}

TEST_CASE("gpu-check-report: a reference that did not learn fails", "[gpu_check]") {
  TempDir dir;
  const auto flat = metrics(dir, "flat.csv", {{0.69, 0.6}, {0.68, 0.6}});
  const auto result = loss_verdict(flat, flat);
  CHECK_FALSE(result.passed);
  CHECK(result.message == "FAIL: the CPU reference did not learn (train loss 0.6900 -> 0.6800)");
}

TEST_CASE("gpu-check-report: unreadable metrics fail", "[gpu_check]") {
  TempDir dir;
  const auto cpu = metrics(dir, "cpu.csv", {{0.69, 0.6}, {0.05, 0.04}});
  // CRLF line ends, quoted fields and blank lines read as Python's csv reads them.
  const auto crlf = write(dir, "crlf.csv",
                          "epoch,lr,train_loss,train_acc,val_loss,val_acc,images_per_s,seconds\r\n"
                          "1,0.1,\"0.69\",0.9,0.6,0.9,100,1\r\n\r\n2,0.1,0.05,0.9,0.04,0.9,100,1\r\n");
  CHECK(loss_verdict(cpu, crlf).passed);
  const std::vector<std::pair<std::string, std::string>> broken = {
      {kHeader + "1,0.1,0.69,0.9,0.6,0.9,100,1\n2,0.1,abc,0.9,0.04,0.9,100,1\n",
       "FAIL: cannot read the metrics (could not convert string to float: 'abc')"},
      {"epoch,lr,val_loss\n1,0.1,0.6\n2,0.1,0.04\n", "FAIL: cannot read the metrics ('train_loss')"},
      {kHeader, "FAIL: cannot read the metrics (" + dir / "bad.csv" + " has no epochs)"},
      {"", "FAIL: cannot read the metrics (" + dir / "bad.csv" + " has no epochs)"},
      {kHeader + "1,0.1,0.69,0.9,0.6,0.9,100,1\n2,0.1,0.05,0.9\n",
       "FAIL: cannot read the metrics (" + dir / "bad.csv" + ": row 2 has 4 fields, the header 8 (cut off?))"},
      {kHeader + "1,0.1,0.69,0.9,0.6,0.9,100,1\n2,0.1,0.05,0.9,0.04,0.9,100,1",
       "FAIL: cannot read the metrics (" + dir / "bad.csv" + " does not end with a newline (cut off?))"},
      {kHeader + "1,0.1,0.69,0.9,0.6,0.9,100,1\n2,0.1,0.05,0.9,nan,0.9,100,1\n", ""},
      {kHeader + "1,0.1,0.69,0.9,0.6,0.9,100,1\n2,0.1,0.05,0.9,\"0.04", ""},
      {kHeader + "1,0.1,0.69,0.9,0.6,0.9,100,1\n2,0.1,0.05,0.9,0\xff,0.9,100,1\n", ""},
  };
  for (const auto& [text, message] : broken) {
    INFO(text);
    const auto result = loss_verdict(cpu, write(dir, "bad.csv", text));
    CHECK_FALSE(result.passed);
    if (!message.empty()) CHECK(result.message == message);
  }
  // A cut-off GPU run: every prefix of a passing file fails, including a
  // last row cut after its losses (Python's csv.DictReader passed that one).
  const std::string whole = read(metrics(dir, "whole.csv", {{0.69, 0.6}, {0.05, 0.04}}));
  REQUIRE(loss_verdict(cpu, write(dir, "cut.csv", whole)).passed);
  for (std::size_t length = 0; length < whole.size(); ++length) {
    INFO("cut after " << length << " bytes");
    CHECK_FALSE(loss_verdict(cpu, write(dir, "cut.csv", whole.substr(0, length))).passed);
  }
}

TEST_CASE("gpu-check-report: summary JSON and status", "[gpu_check]") {
  TempDir dir;
  const auto steps = write(dir, "steps.tsv", "gpu\tPASS\t0\t1 GPU(s)\nparity\tFAIL\t12\t0 of 20\n");
  const auto info = write(dir, "info.json", "{\"cudnn\": \"9.19.0\", \"gpus\": [{\"name\": \"X\\u00e9\"}]}");
  const std::string out = dir / "out.json";
  std::ostringstream table;
  CHECK_FALSE(summary(steps, info, out, "quick", table));
  CHECK(table.str() ==
        "\ngpu-check summary (quick)\n"
        "  step         result  seconds  detail\n"
        "  gpu          PASS        0.0  1 GPU(s)\n"
        "  parity       FAIL       12.0  0 of 20\n"
        "  total        FAIL       12.0  written to " + out + "\n");
  // Written as Python's json.dump(indent=2) wrote it: key order, floats, \u escapes.
  CHECK(read(out) ==
        "{\n  \"mode\": \"quick\",\n  \"passed\": false,\n  \"steps\": [\n    {\n      \"step\": \"gpu\",\n"
        "      \"status\": \"PASS\",\n      \"seconds\": 0.0,\n      \"detail\": \"1 GPU(s)\"\n    },\n    {\n"
        "      \"step\": \"parity\",\n      \"status\": \"FAIL\",\n      \"seconds\": 12.0,\n"
        "      \"detail\": \"0 of 20\"\n    }\n  ],\n  \"system\": {\n    \"cudnn\": \"9.19.0\",\n"
        "    \"gpus\": [\n      {\n        \"name\": \"X\\u00e9\"\n      }\n    ]\n  },\n"
        "  \"total_seconds\": 12.0\n}\n");
  const auto data = nlohmann::json::parse(read(out));
  CHECK_FALSE(data["passed"].get<bool>());
  CHECK(data["steps"][0]["step"] == "gpu");
  CHECK(data["steps"][1]["step"] == "parity");
  CHECK(data["system"]["cudnn"] == "9.19.0");
  std::ostringstream ignored;
  CHECK(summary(write(dir, "pass.tsv", "gpu\tPASS\t0\tok\n"), "", out, "quick", ignored));
  CHECK_FALSE(summary(write(dir, "empty.tsv", ""), "", out, "quick", ignored));
  CHECK(nlohmann::json::parse(read(out))["total_seconds"] == 0);
  // A line without status, and unreadable system information, fail or say so.
  CHECK_FALSE(summary(write(dir, "short.tsv", "gpu\tPASS\t0\tok\nbuild\n"), "", out, "quick", ignored));
  CHECK(summary(write(dir, "pass.tsv", "gpu\tPASS\t1.5\tok\xff\n"), write(dir, "bad.json", "{\"cudnn\": "), out,
                "full", ignored));
  const auto written = nlohmann::json::parse(read(out));
  CHECK(contains(written["system"]["error"].get<std::string>(), "unreadable " + dir / "bad.json"));
  CHECK(written["steps"][0]["detail"] == "ok\xEF\xBF\xBD");
  CHECK_THROWS_AS(summary(write(dir, "bad.tsv", "gpu\tPASS\tsoon\tok\n"), "", out, "quick", ignored), gaze::Error);
  CHECK_THROWS_AS(summary(dir / "none.tsv", "", out, "quick", ignored), gaze::Error);
}

TEST_CASE("gpu-check-report: rate per GPU", "[gpu_check]") {
  TempDir dir;
  const auto log = write(dir, "train.log",
                         "epoch 1/100 batch 15/156  loss 0.69  acc 50.00%  400.0 img/s  ETA 0m10s\n"
                         "epoch 1/100 batch 30/156  loss 0.69  acc 50.00%  800.0 img/s  ETA 0m05s\n"
                         "epoch 1/100  lr 0.1  loss 0.5  acc 80.00%  val_loss 0.4  val_acc 85.00%  900 img/s  1m\n");
  CHECK(rate_per_gpu(log, 2) == 400.0);
  CHECK_FALSE(rate_per_gpu(write(dir, "none.log", "nothing\n"), 2));
  // Terminal progress (\r between updates), the last rate on the line, and
  // lines the pattern does not take ("batch 1/2 5 img/s" lacks the second space).
  CHECK(rate_per_gpu(write(dir, "cr.log", "epoch 1/9 batch 1/2  9 img/s\repoch 1/9 batch 2/2  x 7 img/s 30.5 img/s\n"
                                          "batch 1/2 5 img/s\nbatch 1/2  a6 img/s\n"),
                     1) == 30.5);
  CHECK_THROWS_AS(rate_per_gpu(write(dir, "dots.log", "epoch 1/9 batch 1/2  1.2.3 img/s\n"), 1), gaze::Error);
  CHECK_THROWS_AS(rate_per_gpu(dir / "missing.log", 1), gaze::Error);
}

TEST_CASE("gpu-check-report: the program's commands, outputs and exit codes", "[gpu_check]") {
  TempDir dir;
  std::string out;
  CHECK(run({}) == 2);
  CHECK(run({"cases", "x.xml", "0", "2"}) == 2);
  CHECK(run({"expected", "tests/cuda"}) == 2);
  CHECK(run({"bogus", "a", "b"}) == 2);
  write(dir, "a.cpp", "TEST_CASE(\"x\", \"[gpu]\") {}\nTEST_CASE(\"y\", \"[gpu][find]\") {}\n");
  CHECK(run({"expected", dir.path().string(), "gpu", "find"}, &out) == 0);
  CHECK(out == "1\n");
  const auto xml = write(dir, "r.xml", catch_xml({test_case("a", "[gpu]"), test_case("b", "[gpu]")}));
  CHECK(run({"cases", xml, "0", " 2\n", "gpu"}, &out) == 0);
  CHECK(out == "PASS: 2/2 [gpu] cases ran on the GPU and passed\n");
  CHECK(run({"cases", xml, "0", "", "gpu"}, &out) == 1);  // the count could not be made
  CHECK(out.starts_with("FAIL: EXPECTED '' is not an integer"));
  CHECK(run({"cases", xml, "x", "2", "gpu"}, &out) == 1);
  CHECK(run({"cases", xml, "+0", "0_2", "gpu"}, &out) == 0);
  const auto log = write(dir, "train.log", "epoch 1/100 batch 15/156  loss 0.69  acc 50.00%  401.0 img/s\n");
  CHECK(run({"rate", log, "2"}, &out) == 0);
  CHECK(out == "200.5\n");
  CHECK(run({"rate", log, "0"}, &out) == 1);
  CHECK(out.starts_with("FAIL: "));
  CHECK(run({"rate", write(dir, "none.log", ""), "2"}, &out) == 1);
  CHECK(out == "FAIL: no progress line in the log\n");
  CHECK(run({"rate", dir / "missing.log", "2"}, &out) == 1);
  CHECK(out.starts_with("FAIL: cannot read the log"));
  CHECK(run({"loss", dir / "a.csv", dir / "b.csv"}, &out) == 1);
  CHECK(out.starts_with("FAIL: cannot read the metrics"));
  CHECK(run({"summary", write(dir, "s.tsv", "gpu\tPASS\t0\tok\n"), "", dir / "o.json", "quick"}, &out) == 0);
  CHECK(run({"summary", write(dir, "s.tsv", "gpu\tFAIL\t0\tok\n"), "", dir / "o.json", "quick"}, &out) == 1);
}

TEST_CASE("gpu-check-report: the XML reader keeps ElementTree's shape", "[gpu_check]") {
  const auto document =
      parse_xml("<a x=\"1&amp;2\" y='a\tb'>t<b/>u<c>v<d>w</d></c>z</a>\n<!-- end -->\n");
  const auto& elements = document.elements;
  REQUIRE(elements.size() == 4);
  CHECK(elements[0].name == "a");
  CHECK(*elements[0].attribute("x") == "1&2");
  CHECK(*elements[0].attribute("y") == "a b");
  CHECK(elements[0].attribute("z") == nullptr);
  CHECK(elements[0].text == "t");
  CHECK(elements[0].end == 4);
  CHECK(elements[1].name == "b");
  CHECK(elements[1].tail == "u");
  CHECK(elements[1].end == 2);
  CHECK(elements[2].text == "v");
  CHECK(elements[2].tail == "z");
  CHECK(elements[2].end == 4);
  CHECK(elements[3].parent == 2);
  CHECK(elements[3].text == "w");
  // Errors say where, as expat (Python's reader) does.
  CHECK_THROWS_WITH(parse_xml("<a>\n<b></a>"), "mismatched tag: line 2, column 5");
  CHECK_THROWS_WITH(parse_xml("<a>\n<b x=\"1\" x=\"2\"/></a>"), "duplicate attribute: line 2, column 9");
  CHECK_THROWS_WITH(parse_xml("<a>&bogus;</a>"), "undefined entity: line 1, column 3");
  CHECK_THROWS_WITH(parse_xml("<a>\n<b>"), "no element found: the document ends early (cut off): line 2, column 3");
  CHECK_THROWS_AS(parse_xml(""), gaze::Error);
  // Deep nesting is no recursion.
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<a>";
  for (int i = 0; i < 100000; ++i) deep += "</a>";
  CHECK(parse_xml(deep).elements.size() == 100000);
}

TEST_CASE("gpu-check-report: CSV records as Python's csv module reads them", "[gpu_check]") {
  using Records = std::vector<std::vector<std::string>>;
  CHECK(csv_records("a,\"b,\"\"c\"\"\"\r\n\nx,\"q\"z,\r\"m\nn\"\n") ==
        Records{{"a", "b,\"c\""}, {}, {"x", "qz", ""}, {"m\nn"}});
  CHECK(csv_records("").empty());
  CHECK_THROWS_AS(csv_records("a,\"b\n"), gaze::Error);
  CHECK_THROWS_AS(csv_records(std::string("a\0b\n", 4)), gaze::Error);
}
