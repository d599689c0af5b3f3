// workbook-watch: the home screen of `make watch` (scripts/watch builds and
// starts it; the grading itself stays in scripts/workbook).
//
//   workbook-watch --exercises FILE [--known FILE] [--start N] [--poll]
//                  [--pause SECONDS] [--workbook PATH]
//
// --exercises: one line per exercise with a grader, in lesson order
// ("NN<TAB>id<TAB>title<TAB>folder<TAB>file you edit"); --known: "NN<TAB>status"
// of exercises whose last grade is still fresh (those that pass are not graded
// again when looking for the next one).
//
// It grades the exercise you are on, shows the result, and waits: a save in
// any exercise's folder grades that exercise (watch follows what you edit);
// when it passes, it moves to the first exercise, in lesson order, that does
// not pass yet. The folders' fingerprint is taken BEFORE each grade starts, so
// a save made while grading runs is graded right after it.
// Keys (on a terminal): h hint, n next exercise, r grade again, l list, q quit.
// Colour, a status line and a cleared screen on a terminal (NO_COLOR: no
// colour); plain text otherwise. File events through inotify where there is
// one, and a look at the files every second in any case (events are lost on
// some mounted folders); --poll only looks.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/inotify.h>
#endif

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "watch.hpp"

namespace {

using namespace wb::watch;
using Clock = std::chrono::steady_clock;

// ---- the terminal -------------------------------------------------------------------
bool out_tty = false;  // stdout is a terminal: clear the screen, a status line
bool in_tty = false;   // stdin is a terminal: keys
bool colour = false;
termios saved_termios{};
bool raw_mode = false;
int signal_pipe[2] = {-1, -1};
pid_t child_group = 0;  // the grading child's process group, while it runs

void restore_terminal() {
  if (raw_mode) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
    raw_mode = false;
  }
}

// Keys without Enter and without echo; Ctrl-C still sends SIGINT.
void enter_raw_mode() {
  if (!in_tty || tcgetattr(STDIN_FILENO, &saved_termios) != 0) return;
  termios raw = saved_termios;
  raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
  raw.c_cc[VMIN] = 0;
  raw.c_cc[VTIME] = 0;
  if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) raw_mode = true;
}

void on_signal(int) {
  char c = 's';
  ssize_t ignored = write(signal_pipe[1], &c, 1);
  (void)ignored;
}

std::size_t term_width() {
  winsize ws{};
  if (out_tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) return ws.ws_col;
  return 100;
}
std::size_t term_height() {
  winsize ws{};
  if (out_tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row >= 10) return ws.ws_row;
  return 0;  // unknown: no limit
}

std::string paint(const char* code, const std::string& text) {
  return colour ? std::string("\033[") + code + "m" + text + "\033[0m" : text;
}

bool status_shown = false;
void hide_status() {
  if (status_shown) std::fputs("\r\033[K", stdout);
  status_shown = false;
}
void say(const std::string& text) {
  hide_status();
  std::fputs((text + "\n").c_str(), stdout);
  std::fflush(stdout);
}
// A progress line: rewritten in place on a terminal, a line elsewhere.
void status(const std::string& text) {
  if (!out_tty) {
    say(text);
    return;
  }
  std::string shown = text.substr(0, term_width() - 1);
  std::fputs(("\r\033[K" + paint("2", shown)).c_str(), stdout);
  std::fflush(stdout);
  status_shown = true;
}

void new_screen() {
  hide_status();
  if (out_tty)
    std::fputs("\033[H\033[2J\033[3J", stdout);
  else
    std::fputs(("\n" + std::string(72, '-') + "\n").c_str(), stdout);
  std::fflush(stdout);
}

std::string clock_time() {
  std::time_t t = std::time(nullptr);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", std::localtime(&t));
  return buf;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

[[noreturn]] void stop(int code, const std::string& message) {
  if (child_group > 0) kill(-child_group, SIGTERM);
  restore_terminal();
  say("");
  say(message);
  std::exit(code);
}

bool interrupted() {
  pollfd p{signal_pipe[0], POLLIN, 0};
  return poll(&p, 1, 0) > 0;
}

// ---- children --------------------------------------------------------------------------
struct ChildResult {
  int status = -1;
  std::string out;
};

// Runs argv with its stdout collected and each stderr line given to on_line;
// 'q' (on a terminal) or a signal stops it and watch.
ChildResult run_child(const std::vector<std::string>& argv,
                      const std::function<void(const std::string&)>& on_line) {
  int out_pipe[2], err_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) stop(2, "watch: cannot make a pipe");
  pid_t pid = fork();
  if (pid < 0) stop(2, "watch: cannot start a process");
  if (pid == 0) {
    setpgid(0, 0);  // its own group: Ctrl-C reaches watch, which stops it
    int null = open("/dev/null", O_RDONLY);
    dup2(null, STDIN_FILENO);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    close(out_pipe[0]);
    close(err_pipe[0]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  setpgid(pid, pid);
  child_group = pid;
  close(out_pipe[1]);
  close(err_pipe[1]);
  ChildResult result;
  std::string err_line;
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    pollfd fds[4] = {{out_open ? out_pipe[0] : -1, POLLIN, 0},
                     {err_open ? err_pipe[0] : -1, POLLIN, 0},
                     {signal_pipe[0], POLLIN, 0},
                     {in_tty ? STDIN_FILENO : -1, POLLIN, 0}};
    if (poll(fds, 4, 1000) < 0) continue;
    if (fds[2].revents & POLLIN)
      stop(0,
           "Stopped watching. Your files are as you saved them; 'make watch' carries on where you "
           "are.");
    if (fds[3].revents & POLLIN) {
      char c = 0;
      if (read(STDIN_FILENO, &c, 1) == 1 && key_action(c) == Key::Quit)
        stop(0,
             "Stopped watching. Your files are as you saved them; 'make watch' carries on where "
             "you are.");
    }
    char buf[4096];
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      ssize_t n = read(out_pipe[0], buf, sizeof buf);
      if (n > 0)
        result.out.append(buf, static_cast<std::size_t>(n));
      else
        out_open = false;
    }
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      ssize_t n = read(err_pipe[0], buf, sizeof buf);
      if (n <= 0) {
        err_open = false;
        if (!err_line.empty()) on_line(err_line);
      } else {
        for (ssize_t i = 0; i < n; ++i) {
          char c = buf[i];
          if (c == '\n' || c == '\r') {
            // "\r\033[K" rewrites: only the text after it counts.
            auto esc = err_line.rfind("\033[K");
            if (esc != std::string::npos) err_line.erase(0, esc + 3);
            if (!err_line.empty()) on_line(err_line);
            err_line.clear();
          } else {
            err_line += c;
          }
        }
      }
    }
  }
  close(out_pipe[0]);
  close(err_pipe[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  child_group = 0;
  result.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return result;
}

// ---- watching files -----------------------------------------------------------------------
class FileEvents {
 public:
  FileEvents(const std::vector<std::string>& dirs, bool poll_only) {
#ifdef __linux__
    if (poll_only) return;
    fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ < 0) return;
    for (const auto& d : dirs)
      if (inotify_add_watch(fd_, d.c_str(),
                            IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_ATTRIB) < 0) {
        close(fd_);
        fd_ = -1;
        return;
      }
#else
    (void)dirs;
    (void)poll_only;
#endif
  }
  bool active() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  void drain() {
    char buf[4096];
    while (fd_ >= 0 && read(fd_, buf, sizeof buf) > 0) {
    }
  }

 private:
  int fd_ = -1;
};

// ---- the watch -------------------------------------------------------------------------------
struct Options {
  std::string exercises_file, known_file, workbook = "scripts/workbook";
  std::optional<int> start;
  bool poll_only = false;
  double pause = 2;
};

class Watch {
 public:
  explicit Watch(Options o) : options_(std::move(o)) {
    exercises_ = parse_exercises(read_file(options_.exercises_file));
    for (const auto& e : exercises_) dirs_.push_back(e.dir);
    if (!options_.known_file.empty()) {
      std::istringstream in(read_file(options_.known_file));
      std::string line;
      while (std::getline(in, line)) {
        auto tab = line.find('\t');
        if (tab == std::string::npos) continue;
        for (std::size_t i = 0; i < exercises_.size(); ++i)
          if (exercises_[i].number == line.substr(0, tab)) known_[i] = line.substr(tab + 1);
      }
    }
    events_ = std::make_unique<FileEvents>(dirs_, options_.poll_only);
  }

  int run() {
    if (exercises_.empty()) {
      say("No exercise to watch: no lesson has a grader yet.");
      return 2;
    }
    std::size_t current = 0;
    if (options_.start) {
      bool found = false;
      for (std::size_t i = 0; i < exercises_.size(); ++i)
        if (exercises_[i].short_number() == *options_.start) current = i, found = true;
      if (!found) {
        say("Exercise " + std::to_string(*options_.start) + " has no grader to watch.");
        return 2;
      }
      grade_on_screen(current);
    } else {
      say("Looking for the first exercise that does not pass yet:");
      auto next = search(0);
      if (!next) all_done();
      current = *next;
      show(current);
    }
    bool need_footer = true;
    for (;;) {
      if (last_[current].passed()) {
        say("");
        say(paint("32",
                  "Exercise " + std::to_string(exercises_[current].short_number()) + " passes."));
        say("Looking for the next exercise that does not pass yet:");
        auto next = search(0);
        if (!next) all_done();
        say("On to exercise " + std::to_string(exercises_[*next].short_number()) + ".");
        std::this_thread::sleep_for(
            std::chrono::milliseconds(static_cast<long>(options_.pause * 1000)));
        current = *next;
        show(current);
        continue;
      }
      if (need_footer) footer(current);
      need_footer = true;
      // Wait for a save (any exercise: watch follows what you edit) or a key.
      auto event = wait(baseline_[current]);
      if (event.folder) {
        current = *event.folder;
        grade_on_screen(current);
      } else if (event.key == Key::Rerun) {
        grade_on_screen(current);
      } else if (event.key == Key::Next) {
        current = next_after(current, exercises_.size());
        grade_on_screen(current);
      } else if (event.key == Key::Hint) {
        hint(current);
        need_footer = false;  // the screen stays; the next key or save goes on
      } else if (event.key == Key::List) {
        if (auto chosen = list(current)) {
          current = *chosen;
          grade_on_screen(current);
        } else {
          show(current);
        }
      } else if (event.key == Key::Quit) {
        stop(0,
             "Stopped watching. Your files are as you saved them; 'make watch' carries on where "
             "you are.");
      }
    }
  }

 private:
  struct Event {
    std::optional<std::size_t> folder;
    Key key = Key::None;
  };

  const Exercise& ex(std::size_t i) const { return exercises_[i]; }
  std::string n_of(std::size_t i) const { return std::to_string(ex(i).short_number()); }

  std::size_t passing() const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < exercises_.size(); ++i) {
      auto g = last_.find(i);
      if (g != last_.end() ? g->second.passed() : known_.count(i) && known_.at(i) == "passed") ++n;
    }
    return n;
  }

  // Grades exercise i: the fingerprint first (a save during grading is then
  // seen as a change), then the build and the grader, with their progress.
  Grade grade(std::size_t i) {
    baseline_[i] = snapshot(dirs_);
    events_->drain();
    setenv("COLUMNS", std::to_string(term_width()).c_str(), 1);
    auto result = run_child({options_.workbook, "grade", ex(i).number},
                            [](const std::string& line) { status("  " + line); });
    hide_status();
    std::string last_line = result.out;
    while (!last_line.empty() && last_line.back() == '\n') last_line.pop_back();
    if (auto nl = last_line.rfind('\n'); nl != std::string::npos) last_line.erase(0, nl + 1);
    Grade g = parse_grade(last_line).value_or(
        Grade{"crashed", "scripts/workbook grade " + ex(i).number + " said nothing", "", ""});
    last_[i] = g;
    known_[i] = g.status;
    return g;
  }

  std::optional<std::size_t> search(std::size_t from) {
    std::map<std::size_t, bool> fresh;
    for (const auto& [i, status] : known_) fresh[i] = status == "passed";
    return first_not_passing(
        exercises_, fresh,
        [&](std::size_t i) {
          status("  exercise " + n_of(i) + " (" + ex(i).id + "): grading...");
          Grade g = grade(i);
          say("  exercise " + n_of(i) + " (" + ex(i).id +
              "): " + (g.passed() ? std::string("passes") : g.status));
          return g;
        },
        from);
  }

  void header(std::size_t i) {
    new_screen();
    say(paint("1", "== make watch: exercise " + n_of(i) + ", " + ex(i).title + " =="));
    say("Progress: " + paint(passing() == exercises_.size() ? "32" : "36",
                             progress_bar(passing(), exercises_.size())));
  }

  void grade_on_screen(std::size_t i) {
    header(i);
    say("Grading " + ex(i).dir + "/ (" + clock_time() + ")...");
    grade(i);
    print_log(i);
  }

  // The screen of exercise i, from its last grade (graded if there is none).
  void show(std::size_t i) {
    if (!last_.count(i)) return grade_on_screen(i);
    header(i);
    say("Graded " + ex(i).dir + "/ (" + clock_time() + "):");
    print_log(i);
  }

  void print_log(std::size_t i) {
    std::string text = last_[i].log.empty() ? "" : read_file(last_[i].log);
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    // On a terminal, what fits: the first failure is at the top, the verdict at the end.
    std::size_t height = term_height();
    if (height > 0 && lines.size() + 12 > height && height > 20) {
      std::size_t keep_end = 5, keep_start = height - 12 - keep_end;
      std::vector<std::string> cut(lines.begin(), lines.begin() + static_cast<long>(keep_start));
      cut.push_back("    ... " + std::to_string(lines.size() - keep_start - keep_end) +
                    " more lines: 'make test-" + n_of(i) + "' shows them all ...");
      cut.insert(cut.end(), lines.end() - static_cast<long>(keep_end), lines.end());
      lines = cut;
    }
    say("");
    for (const auto& line : lines) {
      if (line.rfind("✗", 0) == 0 || line.rfind("  ✗", 0) == 0)
        say(paint("31", line));
      else if (line.rfind("✓", 0) == 0)
        say(paint("32", line));
      else if (line.rfind("RESULT ", 0) == 0 || line.rfind("First failing", 0) == 0)
        say(paint("1", line));
      else
        say(line);
    }
  }

  void footer(std::size_t i) {
    const Grade& g = last_[i];
    say("");
    if (g.status == "no server")
      say("The servers do not answer: start them with 'make infra-up' (in another terminal), then "
          "save again.");
    else
      say("Status: " + g.status + (g.task.empty() ? "" : ", first in task " + g.task) +
          ". Stuck? " +
          (in_tty ? "Press h for a hint." : "'make hint-" + n_of(i) + "' gives a hint.") +
          " The idea: lessons/" + ex(i).id + "/README.md");
    std::string how = events_->active() ? "file events, and a look once a second"
                                        : "a look at the files once a second";
    say("Watching " + ex(i).main_file + " (" + how + "): save to grade again.");
    say("A save in another exercise's folder moves watch there. Ctrl-C stops.");
    if (in_tty) say(paint("2", "Keys: h hint · n next exercise · r grade again · l list · q quit"));
  }

  // Until a folder differs from `baseline` (then settled), or a key.
  Event wait(const Snapshot& baseline) {
    auto next_look = Clock::now();
    for (;;) {
      if (interrupted())
        stop(0,
             "Stopped watching. Your files are as you saved them; 'make watch' carries on where "
             "you are.");
      auto now = Clock::now();
      if (now >= next_look) {
        if (auto folder = changed(baseline, snapshot(dirs_))) {
          settle();
          return Event{folder, Key::None};
        }
        next_look = now + std::chrono::seconds(1);
      }
      pollfd fds[3] = {{signal_pipe[0], POLLIN, 0},
                       {in_tty ? STDIN_FILENO : -1, POLLIN, 0},
                       {events_->fd(), POLLIN, 0}};
      int ms = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(next_look - Clock::now()).count());
      poll(fds, 3, ms < 0 ? 0 : ms);
      if (fds[1].revents & POLLIN) {
        char c = 0;
        if (read(STDIN_FILENO, &c, 1) == 1 && key_action(c) != Key::None)
          return Event{std::nullopt, key_action(c)};
      }
      if (fds[2].revents & POLLIN) {
        events_->drain();
        next_look = Clock::now();  // look now
      }
    }
  }

  // An editor may write a file in several steps: wait until it stays the same.
  void settle() {
    Snapshot before = snapshot(dirs_);
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      Snapshot now = snapshot(dirs_);
      if (now == before) return;
      before = now;
    }
  }

  void hint(std::size_t i) {
    say("");
    auto result = run_child({options_.workbook, "hint", ex(i).number},
                            [](const std::string& line) { status("  " + line); });
    hide_status();
    std::istringstream in(result.out);
    for (std::string line; std::getline(in, line);) say(paint("33", line));
    say(paint("2", "Keys: h the next hint · n next exercise · r grade again · l list · q quit"));
  }

  std::optional<std::size_t> list(std::size_t current) {
    say("");
    say("The exercises (status as last graded):");
    for (std::size_t i = 0; i < exercises_.size(); ++i) {
      std::string st =
          last_.count(i) ? last_[i].status : (known_.count(i) ? known_[i] : "not graded yet");
      char line[200];
      std::snprintf(line, sizeof line, "%s %3d  %-22s %s", i == current ? ">" : " ",
                    ex(i).short_number(), ex(i).id.c_str(), st.c_str());
      say(st == "passed" ? paint("32", line) : line);
    }
    std::printf("Type a number and Enter to go there, or Enter to stay: ");
    std::fflush(stdout);
    std::string typed;
    for (;;) {
      pollfd fds[2] = {{signal_pipe[0], POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
      poll(fds, 2, -1);
      if (fds[0].revents & POLLIN)
        stop(0,
             "Stopped watching. Your files are as you saved them; 'make watch' carries on where "
             "you are.");
      char c = 0;
      if (read(STDIN_FILENO, &c, 1) != 1) continue;
      if (c == '\n' || c == '\r') break;
      if ((c == 127 || c == 8) && !typed.empty()) {
        typed.pop_back();
        std::fputs("\b \b", stdout);
      } else if (c >= '0' && c <= '9' && typed.size() < 3) {
        typed += c;
        std::fputc(c, stdout);
      }
      std::fflush(stdout);
    }
    say("");
    if (typed.empty()) return std::nullopt;
    for (std::size_t i = 0; i < exercises_.size(); ++i)
      if (ex(i).short_number() == std::stoi(typed)) return i;
    say("There is no exercise " + typed + " to watch.");
    return std::nullopt;
  }

  [[noreturn]] void all_done() {
    stop(0,
         "Every exercise passes. Well done! ('make test' shows the whole table; 'make report' "
         "writes it down.)");
  }

  Options options_;
  std::vector<Exercise> exercises_;
  std::vector<std::string> dirs_;
  std::map<std::size_t, std::string> known_;  // status by exercise, fresh
  std::map<std::size_t, Grade> last_;         // this session's grades
  std::map<std::size_t, Snapshot> baseline_;  // the folders before each grade
  std::unique_ptr<FileEvents> events_;
};

[[noreturn]] void usage() {
  std::cerr << "usage: workbook-watch --exercises FILE [--known FILE] [--start N] [--poll] "
               "[--pause SECONDS] [--workbook PATH]\n";
  std::exit(2);
}

}  // namespace

int main(int argc, char* argv[]) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (a == "--exercises")
      options.exercises_file = value();
    else if (a == "--known")
      options.known_file = value();
    else if (a == "--start")
      options.start = std::atoi(value().c_str());
    else if (a == "--poll")
      options.poll_only = true;
    else if (a == "--pause")
      options.pause = std::atof(value().c_str());
    else if (a == "--workbook")
      options.workbook = value();
    else
      usage();
  }
  if (options.exercises_file.empty()) usage();

  out_tty =
      isatty(STDOUT_FILENO) && std::getenv("TERM") && std::strcmp(std::getenv("TERM"), "dumb");
  in_tty = isatty(STDIN_FILENO);
  // NO_COLOR counts when it is set and not empty (no-color.org); make exports it empty.
  const char* no_colour = std::getenv("NO_COLOR");
  colour = out_tty && !(no_colour && *no_colour);
  if (pipe(signal_pipe) != 0) return 2;
  fcntl(signal_pipe[1], F_SETFL, O_NONBLOCK);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  enter_raw_mode();
  std::atexit(restore_terminal);
  return Watch(options).run();
}
