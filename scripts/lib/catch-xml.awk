# Reads a grader's Catch2 XML report (`-r xml`, Catch2 v2 or v3) and prints a
# JSON array of its test cases, in the spirit of exercism's results.json v3:
#   {"name": ..., "status": "pass" | "fail" | "error", "message": null | ...}
# "error": the test stopped on an exception (e.g. "not implemented yet") or a
# crash; "fail": a check did not hold. The message is what the grader said:
# its INFO text first, then the check and its values.
# Needs json.awk. Environment: WB_ROOT (stripped from paths in messages),
# WB_COUNTS (a file to write "total passed failed errored" to), WB_TSV (when
# set: print "WB_TSV<TAB>name<TAB>status<TAB>message" lines instead of JSON).
# The XML reporter writes as it goes, so a grader that crashed still leaves
# the tests before the crash; the one it died in is reported as an error.

function attr(line, key,    m) {
  if (match(line, key "=\"[^\"]*\"")) {
    m = substr(line, RSTART + length(key) + 2, RLENGTH - length(key) - 3)
    return unxml(m)
  }
  return ""
}

function unxml(s) {
  s = repl(s, "&lt;", "<")
  s = repl(s, "&gt;", ">")
  s = repl(s, "&quot;", "\"")
  s = repl(s, "&apos;", "'")
  s = repl(s, "&amp;", "&")
  return s
}

function clean(s) {
  sub(/^[ \t\n]+/, "", s)
  sub(/[ \t\n]+$/, "", s)
  if (ENVIRON["WB_ROOT"] != "") s = repl(s, ENVIRON["WB_ROOT"] "/", "")
  return s
}

# Opening tag on this line, text on the next lines, closing tag on its own line.
function start_capture(tag) { capturing = tag; buf = ""; nbuf = 0 }

function emit(status, message) {
  total++
  if (status == "pass") passed++; else if (status == "fail") failed++; else errored++
  if (tsv != "") {
    message = repl(repl(message, "\t", " "), "\n", " / ")
    printf "%s\t%s\t%s\t%s\n", tsv, repl(name, "\t", " "), status, message
    return
  }
  printf "%s    {\"name\": %s, \"status\": \"%s\", \"message\": %s}", (total > 1 ? ",\n" : ""), json_str(name), status, json_or_null(message)
}

function add(text, piece) { return text == "" ? piece : text "\n" piece }

BEGIN {
  total = passed = failed = errored = 0; in_tc = 0; capturing = ""
  tsv = ENVIRON["WB_TSV"]
  if (tsv == "") printf "[\n"
}

capturing != "" {
  if ($0 ~ ("^[ \t]*</" capturing ">[ \t]*$")) {
    text = clean(unxml(buf))
    if (capturing == "Info") infos = add(infos, text)
    else if (capturing == "Original") original = text
    else if (capturing == "Expanded") expanded = text
    else if (capturing == "Exception") {
      if (in_expr) exception = text
      else if (message == "") { message = add(text, infos); kind = "error" }
    }
    else if (capturing == "FatalErrorCondition") {
      if (message == "") message = add(infos, "the grader stopped: " text)
      kind = "error"
    }
    else if (capturing == "Failure") { if (message == "") { message = add(infos, text); kind = "fail" } }
    capturing = ""
  } else {
    buf = (nbuf++ ? buf "\n" : "") $0
  }
  next
}

/<TestCase / {
  in_tc = 1; name = attr($0, "name"); message = ""; kind = ""; infos = ""; result = ""
  next
}

!in_tc { next }

/<Info>[ \t]*$/ { start_capture("Info"); next }
/<Expression success="true"/ { skipping_expr = 1; next }
skipping_expr { if ($0 ~ /<\/Expression>/) { skipping_expr = 0; infos = "" } ; next }
/<Expression success="false"/ { in_expr = 1; original = expanded = exception = ""; next }
in_expr && /<Original>[ \t]*$/ { start_capture("Original"); next }
in_expr && /<Expanded>[ \t]*$/ { start_capture("Expanded"); next }
/<Exception[ >]/ && !/\/>[ \t]*$/ { start_capture("Exception"); next }
/<FatalErrorCondition[ >]/ && !/\/>[ \t]*$/ { start_capture("FatalErrorCondition"); next }
/<Failure[ >]/ && !/\/>[ \t]*$/ { start_capture("Failure"); next }
in_expr && /<\/Expression>/ {
  in_expr = 0
  if (message == "") {
    if (exception != "") { message = add(exception, infos); kind = "error" }
    else {
      check = "check: " original
      if (expanded != "" && expanded != original) check = check "\nvalues: " expanded
      message = add(infos, check); kind = "fail"
    }
  }
  infos = ""
  next
}
/<OverallResult success="true"/ { result = "pass"; next }
/<OverallResult success="false"/ { result = "fail"; next }
/<\/TestCase>/ {
  if (result == "pass") emit("pass", "")
  else emit(kind == "error" ? "error" : "fail", message == "" ? "this test failed" : message)
  in_tc = 0
  next
}

END {
  if (in_tc) emit("error", add(message, "the grader stopped during this test (a crash, or it was killed)"))
  if (tsv == "") printf "%s]", (total > 0 ? "\n  " : "  ")
  if (ENVIRON["WB_COUNTS"] != "") print total, passed, failed, errored > ENVIRON["WB_COUNTS"]
}
