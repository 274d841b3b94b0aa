// Replays files through a fuzz target without libFuzzer, so every build (GCC
// included) can run the seed corpus and the saved crash inputs as tests:
//   fuzz-replay-TARGET FILE_OR_FOLDER...
// Folders are read one level deep, in name order, skipping dot files. Each
// input runs in a child process, so one crash does not hide the next: a
// crash, a sanitizer report or an uncaught exception in any of them fails
// the run, after all have run. So does finding no input at all, so that a
// test pointed at the wrong or an empty folder cannot pass.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  const std::string program = fs::path(argv[0]).filename().string();
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE_OR_FOLDER...\n", program.c_str());
    return 2;
  }
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg = argv[i];
    if (fs::is_directory(arg)) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(arg))
        if (entry.is_regular_file() && entry.path().filename().string()[0] != '.') files.push_back(entry.path());
      std::sort(files.begin(), files.end());
      inputs.insert(inputs.end(), files.begin(), files.end());
    } else if (fs::is_regular_file(arg)) {
      inputs.push_back(arg);
    } else {
      std::fprintf(stderr, "%s: '%s' is neither a file nor a folder\n", program.c_str(), argv[i]);
      return 1;
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "%s: no inputs found; expected at least one file\n", program.c_str());
    return 1;
  }
  std::vector<std::string> failed;
  for (const fs::path& input : inputs) {
    std::printf("%s: %s\n", program.c_str(), input.string().c_str());
    std::fflush(stdout);
    const pid_t child = ::fork();
    if (child < 0) {
      std::perror("fork");
      return 1;
    }
    if (child == 0) {
      const std::vector<uint8_t> bytes = read_bytes(input);
      LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
      std::fflush(stdout);
      ::_exit(0);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      const std::string how = WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                                  : "exit status " + std::to_string(WEXITSTATUS(status));
      std::printf("%s: FAILED (%s): %s\n", program.c_str(), how.c_str(), input.string().c_str());
      failed.push_back(input.string());
    }
  }
  if (!failed.empty()) {
    std::printf("%s: %zu of %zu inputs failed:\n", program.c_str(), failed.size(), inputs.size());
    for (const std::string& name : failed) std::printf("  %s\n", name.c_str());
    return 1;
  }
  std::printf("%s: ran %zu inputs without a crash\n", program.c_str(), inputs.size());
  return 0;
}
