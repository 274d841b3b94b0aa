#include "train/launcher.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>
#include <thread>

#include "core/error.h"

extern char** environ;

namespace gaze::train {

namespace {

std::vector<int> parse_cuda_list(const std::string& devices, const std::string& phrase) {
  if (devices == "cuda") return {0};
  const std::string expected = ": expected cpu, cuda, cuda:N, cuda:0,1,... or all";
  GAZE_CHECK(devices.rfind("cuda:", 0) == 0, phrase, " is not a device list", expected);
  std::vector<int> indices;
  size_t start = 5;
  while (true) {
    const size_t comma = devices.find(',', start);
    const std::string item = devices.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const bool digits = !item.empty() && item.size() < 4 && item.find_first_not_of("0123456789") == std::string::npos;
    GAZE_CHECK(digits, phrase, ": '", item, "' is not a device index", expected);
    indices.push_back(std::stoi(item));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  GAZE_CHECK(std::set<int>(indices.begin(), indices.end()).size() == indices.size(), phrase,
             " names a device twice: each GPU runs one worker");
  return indices;
}

int env_integer(const char* name) {
  const char* text = std::getenv(name);
  GAZE_CHECK(text && *text, "launched worker: environment variable ", name, " is missing");
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  GAZE_CHECK(*end == '\0' && value >= 0, "launched worker: ", name, "='", text, "' is not a non-negative integer");
  return static_cast<int>(value);
}

std::atomic<int> g_launcher_signals{0};
extern "C" void on_launcher_signal(int) { ++g_launcher_signals; }

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  return "ended abnormally";
}

bool succeeded(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
bool stopped_on_request(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 130; }

// The parent's environment with `additions` replacing variables of the same name.
std::vector<std::string> merged_environment(const std::vector<std::string>& additions) {
  std::set<std::string> replaced;
  for (const std::string& entry : additions) replaced.insert(entry.substr(0, entry.find('=')));
  std::vector<std::string> merged;
  for (char** entry = environ; *entry; ++entry) {
    const std::string text = *entry;
    if (!replaced.count(text.substr(0, text.find('=')))) merged.push_back(text);
  }
  merged.insert(merged.end(), additions.begin(), additions.end());
  return merged;
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

struct Child {
  pid_t pid = -1;
  std::string label;
  bool running = true;
  int status = 0;
};

void signal_running(std::vector<Child>& children, int signal) {
  for (const Child& child : children)
    if (child.running) kill(child.pid, signal);
}

// Restores the launcher's previous SIGINT/SIGTERM handling on scope exit.
class LauncherSignals {
 public:
  LauncherSignals() {
    g_launcher_signals = 0;
    struct sigaction action {};
    action.sa_handler = on_launcher_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~LauncherSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

}  // namespace

bool launched_by_mpi() {
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(variable)) return true;
  return false;
}

std::vector<int> requested_cuda_devices(const std::string& devices, int available, const std::string& source) {
  const std::string phrase = source + (source.rfind("--", 0) == 0 ? " " : ": ") + devices;
  if (devices == "cpu") return {};
  std::vector<int> indices;
  if (devices == "all") {
    for (int i = 0; i < available; ++i) indices.push_back(i);
  } else {
    indices = parse_cuda_list(devices, phrase);
  }
  GAZE_CHECK(available > 0, phrase, " requested but no CUDA device is available (this build has no CUDA backend, "
             "or no GPU and driver are visible); use cpu, and mpirun for CPU data parallelism");
  for (int index : indices)
    GAZE_CHECK(index < available, phrase, " requested but cuda:", index, " does not exist: ", available,
               " CUDA device(s) are visible (cuda:0 to cuda:", available - 1, ")");
  return indices;
}

std::vector<std::string> worker_environment(const WorkerIdentity& identity) {
  return {"GAZE_RANK=" + std::to_string(identity.rank), "GAZE_WORLD_SIZE=" + std::to_string(identity.world_size),
          "GAZE_LOCAL_RANK=" + std::to_string(identity.local_rank), "GAZE_DEVICE=" + identity.device,
          "GAZE_NCCL_ID=" + identity.nccl_id};
}

std::optional<WorkerIdentity> worker_identity_from_environment() {
  if (!std::getenv("GAZE_RANK")) return std::nullopt;
  WorkerIdentity identity;
  identity.rank = env_integer("GAZE_RANK");
  identity.world_size = env_integer("GAZE_WORLD_SIZE");
  identity.local_rank = env_integer("GAZE_LOCAL_RANK");
  GAZE_CHECK(identity.rank < identity.world_size, "launched worker: GAZE_RANK=", identity.rank,
             " must be below GAZE_WORLD_SIZE=", identity.world_size);
  const char* device = std::getenv("GAZE_DEVICE");
  const char* nccl_id = std::getenv("GAZE_NCCL_ID");
  identity.device = device ? device : "";
  identity.nccl_id = nccl_id ? nccl_id : "";
  return identity;
}

std::string to_hex(const void* data, size_t bytes) {
  static const char digits[] = "0123456789abcdef";
  const auto* p = static_cast<const unsigned char*>(data);
  std::string hex;
  for (size_t i = 0; i < bytes; ++i) {
    hex += digits[p[i] >> 4];
    hex += digits[p[i] & 15];
  }
  return hex;
}

void from_hex(const std::string& hex, void* data, size_t bytes) {
  GAZE_CHECK(hex.size() == 2 * bytes, "expected ", 2 * bytes, " hex digits, got ", hex.size());
  auto value = [&](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw Error(std::string("'") + c + "' is not a hex digit");
  };
  auto* p = static_cast<unsigned char*>(data);
  for (size_t i = 0; i < bytes; ++i) p[i] = static_cast<unsigned char>(value(hex[2 * i]) * 16 + value(hex[2 * i + 1]));
}

int host_threads_per_worker(int configured, int omp_num_threads, int cores, int workers_on_machine) {
  if (configured > 0) return configured;
  if (omp_num_threads > 0) return omp_num_threads;
  return std::max(1, std::max(cores, 1) / std::max(workers_on_machine, 1));
}

int omp_num_threads_from_environment() {
  const char* text = std::getenv("OMP_NUM_THREADS");
  if (!text || !*text) return 0;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  return *end == '\0' && value > 0 && value < 100000 ? static_cast<int>(value) : 0;
}

int run_workers(const std::vector<std::string>& argv, const std::vector<WorkerProcess>& workers,
                double grace_seconds) {
  GAZE_CHECK(!argv.empty() && !workers.empty(), "run_workers needs a command and at least one worker");
  using Clock = std::chrono::steady_clock;
  // Everything execve needs is built before fork: between fork and exec the
  // child may only make async-signal-safe calls.
  std::vector<std::string> arguments = argv;
  const std::vector<char*> argument_pointers = pointers_to(arguments);
  std::vector<std::vector<std::string>> environments;
  for (const WorkerProcess& worker : workers) environments.push_back(merged_environment(worker.environment));
  std::vector<std::vector<char*>> environment_pointers;
  for (auto& environment : environments) environment_pointers.push_back(pointers_to(environment));

  LauncherSignals signals;
  const pid_t launcher = getpid();
  std::vector<Child> children;
  for (size_t i = 0; i < workers.size(); ++i) {
    const pid_t pid = fork();
    if (pid == 0) {
      // Its own process group: a Ctrl-C reaches the launcher alone, which
      // passes it on exactly once. Dying with the launcher leaves no orphans.
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != launcher) _exit(127);
      execve(argument_pointers[0], argument_pointers.data(), environment_pointers[i].data());
      const char message[] = "train: error: a launched worker could not exec its program\n";
      [[maybe_unused]] const auto ignored = write(STDERR_FILENO, message, sizeof message - 1);
      _exit(127);
    }
    if (pid < 0) {
      const std::string reason = std::strerror(errno);
      signal_running(children, SIGKILL);
      for (Child& child : children) waitpid(child.pid, nullptr, 0);
      throw Error("could not start worker " + workers[i].label + ": fork failed: " + reason);
    }
    children.push_back({pid, workers[i].label});
  }

  std::string failure;
  int forwarded = 0;
  std::optional<Clock::time_point> kill_at;
  const auto grace = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(grace_seconds));
  while (true) {
    size_t running = 0;
    for (Child& child : children) {
      if (child.running && waitpid(child.pid, &child.status, WNOHANG) == child.pid) {
        child.running = false;
        if (failure.empty() && !succeeded(child.status) && !stopped_on_request(child.status))
          failure = "worker " + child.label + " (pid " + std::to_string(child.pid) + ") " + describe_exit(child.status);
      }
      running += child.running ? 1 : 0;
    }
    if (running == 0) break;
    if (!failure.empty() && !kill_at) {
      signal_running(children, SIGTERM);
      kill_at = Clock::now() + grace;
    }
    const int received = g_launcher_signals;
    if (received > forwarded) {
      signal_running(children, received == 1 ? SIGTERM : SIGKILL);
      forwarded = received;
    }
    if (kill_at && Clock::now() >= *kill_at) signal_running(children, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  GAZE_CHECK(failure.empty(), failure, "; stopped the other ", children.size() - 1,
             " worker(s) so that none waits for it (the last checkpoint is intact)");
  for (const Child& child : children)
    if (stopped_on_request(child.status)) return 130;
  return 0;
}

}  // namespace gaze::train
