# JSON strings for awk (any awk: mawk, gawk, BSD awk). Literal replacement
# with index/substr, because gsub's treatment of "\\" differs between awks.
# Control characters other than tab and newline are removed beforehand
# (scripts/report pipes its input through tr).

function repl(s, from, to,    out, i) {
  out = ""
  while ((i = index(s, from)) > 0) {
    out = out substr(s, 1, i - 1) to
    s = substr(s, i + length(from))
  }
  return out s
}

function json_str(s) {
  s = repl(s, "\\", "\\\\")
  s = repl(s, "\"", "\\\"")
  s = repl(s, "\n", "\\n")
  s = repl(s, "\t", "\\t")
  s = repl(s, "\r", "\\r")
  return "\"" s "\""
}

function json_or_null(s) { return s == "" ? "null" : json_str(s) }
