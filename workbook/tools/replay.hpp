// The transcript replay: the parts that need no server.
//
// A lesson text shows sessions of valkey-cli (or redis-cli). `make check`
// replays each one against the real server and compares what the server
// answers, printed the way the CLI prints it, with what the text shows (see
// CONTRIBUTING.md, "Transcripts are replayed"). This header holds the pieces
// that can be tested without a server:
//   - split_args: an input line split into arguments exactly as the CLI does
//     (quotes, escapes, and the lines it refuses with "Invalid argument(s)");
//   - format_reply: a reply printed exactly as valkey-cli 8 / redis-cli 7
//     print it in a terminal;
//   - scan_markdown: the transcript blocks of a lesson text, with their marks;
//   - match_reply: the text's reply lines against the printed ones (`~` and
//     `...` marks);
//   - the key rules: which arguments are keys (from the server's key specs),
//     the prefix put in front of them and taken out of replies, the commands
//     a replay refuses, and the check of a Lua script's keys.
// replay_session.hpp runs them against a server.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "workbook/valkey.hpp"

namespace wb::replay {

// ---- what the CLI does with a line, and how it prints a reply ---------------

// The arguments of one input line, split as valkey-cli and redis-cli split it:
// blanks separate arguments; "double quotes" take \n \r \t \b \a \xHH and a
// backslash before any other character; 'single quotes' take only \'; a
// closing quote must be followed by a blank or the end of the line. nullopt
// where the CLI prints "Invalid argument(s)" (an unbalanced quote, a quote
// followed by a letter).
std::optional<std::vector<std::string>> split_args(std::string_view line);

// A string as the CLI shows it: in double quotes, with \\ \" \n \r \t \a \b
// and \xHH for every other byte outside 0x20-0x7e.
std::string quoted(std::string_view bytes);

// The lines the CLI prints for a reply in a terminal ("(integer) 1",
// "1) \"a\"", " 1) ..." when there are ten or more elements, ...).
std::vector<std::string> format_reply(const Reply& reply);

// Whether the CLI prints this command's reply raw, as the server sent it
// (INFO, CLUSTER INFO, CLIENT LIST, MEMORY DOCTOR, ...: text meant for people),
// and the lines it then shows: a string reply's lines as they are, without
// quotes or escapes (other replies as format_reply prints them).
bool raw_output(const std::vector<std::string>& argv);
std::vector<std::string> format_raw(const Reply& reply);

// ---- the lesson text ---------------------------------------------------------

// A block or line that belongs to one server only: `<!-- replay: valkey only -->`
// before a block, `# valkey only` at the end of a line (`redis` likewise).
enum class Only { Any, Valkey, Redis };
const char* only_name(Only only);  // "valkey", "redis", "" for Any

struct ExpectedLine {
  int line = 0;      // in the file, from 1
  std::string text;  // without the block's indentation and the `# ... only` mark
  Only only = Only::Any;
};

// One command typed at the prompt and the reply lines the text shows below it.
struct Step {
  int line = 0;
  int port = 0;            // the prompt's port: 6379 in 127.0.0.1:6379>
  bool tx_prompt = false;  // the prompt reads 127.0.0.1:6379(TX)>
  std::string input;       // what was typed after the prompt
  Only only = Only::Any;
  std::vector<ExpectedLine> reply;
};

// The shell loop that fills a server of the replay's own before a transcript
// shows it full, exactly as the text shows it (a shell block under an
// `own server` mark); the replay sends its commands itself, never a shell:
//   $ for i in $(seq N); do echo "COMMAND"; done | valkey-cli -p PORT | grep -c WORD
// COMMAND may hold $i (the loop's number) and $(printf '%0Wd' 0) (W zeros).
struct Fill {
  int line = 0;
  long long count = 0;  // N
  std::string command;  // as written between the echo's quotes
  std::string word;     // grep -c WORD: the output is how many replies print WORD
  std::vector<ExpectedLine> output;
};

// Fill from a shell line (without the "$ "), or the reason it is not one.
std::optional<Fill> parse_fill(std::string_view line, std::string& why_not);
// The i-th command line of the loop (i from 1), as echo prints it.
std::string fill_line(const Fill& fill, long long i);

// Where a block is replayed: the learner's server (VALKEY_URL, under the
// replay's prefix), a server of the replay's own, or the workbook's cluster.
enum class Place { Learner, OwnServer, Cluster };

struct Block {
  int line = 0;             // the line of the opening fence
  std::string skip_reason;  // from `<!-- replay: skip: why -->`; empty: replay it
  Only only = Only::Any;    // from `<!-- replay: valkey only -->`
  Place place = Place::Learner;
  // `<!-- replay: own server: maxmemory 2mb -->`: a new server of its own with
  // these directives; `<!-- replay: own server -->` (none): the one the block
  // before started, as that block left it.
  std::vector<std::pair<std::string, std::string>> config;
  bool new_server = false;
  // `<!-- replay: cluster 7101-7106 -->`: the text's cluster on these ports,
  // its first three the primaries of slots 0-5460, 5461-10922, 10923-16383
  // (as a cluster is made); a prompt 127.0.0.1:7103 names the primary that
  // serves 10923-16383 in VALKEY_CLUSTER_URL's cluster, whichever node it is.
  int first_port = 0, last_port = 0;
  std::optional<Fill> fill;  // a shell block that fills the own server
  std::vector<Step> steps;
};

struct Transcripts {
  std::vector<Block> blocks;
  // Problems with the text itself ("line 12: reply lines before the first
  // prompt", an unknown replay mark, a fence never closed). Any of them fails
  // the lesson: a transcript the replay cannot read is not checked.
  std::vector<std::string> problems;
};

// Every fenced code block whose lines start with a prompt (host:port> or
// host:port(TX)>, possibly indented with the fence, as in a list item).
Transcripts scan_markdown(std::string_view text);

// ---- matching ------------------------------------------------------------------

// One reply line of the text against one printed line. A `~` marks a value
// that differs from run to run: inside quotes it matches any text up to the
// closing quote; a number after it matches any number of the same sign
// (negative, or zero and above), so a TTL never matches -1 or -2; any other
// word after it matches any word. Trailing blanks are ignored on both sides.
bool line_matches(std::string_view expected, std::string_view printed);

// Where the text's reply stops matching the printed one: the index of the
// first expected line that does not match (expected.size() when the printed
// reply has lines the text lacks), or nullopt when they match. A line that is
// just `...` (indented or not) matches any number of printed lines.
std::optional<std::size_t> match_reply(const std::vector<std::string>& expected,
                                       const std::vector<std::string>& printed);

// The elements of an array reply whose order the server does not promise
// (SCAN's batch, SMEMBERS, ...) put in the order the text lists them, so that
// match_reply compares them as a set. Elements the text does not show go last.
void order_like_text(std::vector<Reply>& elements, const std::vector<std::string>& expected);

// ---- keys ------------------------------------------------------------------------

// A line the replay will not send, with the reason for the learner.
class Refused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where a command's keys are, from one key spec of COMMAND INFO
// (https://valkey.io/topics/key-specs/).
struct KeySpec {
  enum class Begin { Index, Keyword, Unknown } begin = Begin::Unknown;
  int index = 0;        // Begin::Index: the first key's position
  std::string keyword;  // Begin::Keyword: the keys follow this word...
  int start_from = 0;   // ...searched from here (negative: from the end, backwards)
  enum class Find { Range, Keynum, Unknown } find = Find::Unknown;
  int last_key = 0;         // Range: the last key, relative to the first (negative: from the end)
  int key_step = 1;         // Range and Keynum
  int limit = 0;            // Range with last_key < 0: only 1/limit of what is left
  int keynum_index = 0;     // Keynum: where the number of keys is, relative to the begin
  int first_key = 1;        // Keynum: the first key, relative to the begin
  bool incomplete = false;  // the spec's INCOMPLETE flag: it may miss keys
};

struct CommandInfo {
  bool known = false;                   // the server knows the command
  std::string name;                     // "get", "object|encoding"
  std::vector<std::string> flags;       // "readonly", "movablekeys", ...
  std::vector<std::string> categories;  // "@read", "@dangerous", ...
  bool unordered_reply = false;         // the tip nondeterministic_output_order
  std::vector<KeySpec> key_specs;
  std::map<std::string, CommandInfo> subcommands;  // by full name, "object|encoding"
};

// One element of COMMAND INFO's reply (nil: a command the server lacks).
CommandInfo parse_command_info(const Reply& entry);

// The argument positions that are keys (argv[0] is the command; for a
// subcommand, `info` is the subcommand's). Throws Refused when the key specs
// cannot tell (an unknown or incomplete spec), or when argv is too short for
// them: what the replay cannot account for, it does not send.
std::vector<std::size_t> key_positions(const CommandInfo& info,
                                       const std::vector<std::string>& argv);

// Why a replay must never send this line (FLUSHALL, KEYS, CONFIG SET, SELECT,
// ...), or nullopt. Judged by the command's name, before anything is sent.
// `own_server`: the server is the replay's own, started for the block, where
// CONFIG SET is allowed (and only there).
std::optional<std::string> refusal(const std::vector<std::string>& argv, bool own_server = false);

// A key as the replay writes it on the cluster: under `prefix`, in the slot of
// the key as typed. A key with a hash tag keeps its tag (the prefix goes in
// front); any other key becomes prefix{key}, which hashes the key as typed.
// Throws Refused for a key whose slot no prefix can keep (a `}` without a
// tag before it: foo{}{bar}). (wb::key_slot of the result is that of `key`.)
std::string in_same_slot(const std::string& prefix, const std::string& key);

// Every "127.0.0.1:<port>" of a reply whose port `text_port` maps written
// with the port it maps to: a node's address reads as the text shows it.
void rename_ports(Reply& reply, const std::map<int, int>& text_port);

// argv with `prefix` in front of every key, and of SCAN's MATCH pattern (a
// SCAN without MATCH would list everyone's keys: Refused).
std::vector<std::string> with_prefix(const std::vector<std::string>& argv,
                                     const std::vector<std::size_t>& keys,
                                     const std::string& prefix);

// The prefix taken out of every string of a reply (values, keys, errors).
void strip_prefix(Reply& reply, const std::string& prefix);

// A Lua script may reach keys only through KEYS[...]: for every
// redis.call/pcall of the script, the arguments that are keys of that command
// must be KEYS[n] (or start with it, as in KEYS[1] .. ':x'). Returns the
// reason when the script breaks that rule, or when the replay cannot tell
// (a command name that is not a string literal).
std::optional<std::string> script_refusal(
    std::string_view script, const std::function<CommandInfo(const std::string&)>& command_info);

}  // namespace wb::replay
