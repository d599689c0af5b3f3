# Prints the compiler's words about the files under `pat` (awk -v pat=...)
# from a CMake build log: with Ninja, a command's output follows its
# "[N/M] Building CXX object <...pat...>.o" line, up to the next "[N/M]" line;
# with Make, up to the next "[ NN%]" line. Everything else is left out.
/^\[[0-9]+\/[0-9]+\] / || /^\[ *[0-9]+%\] / {
  grab = (index($0, "Building CXX object") > 0 && index($0, pat) > 0)
  next
}
/^FAILED: / || /^ninja: / { grab = 0; next }
grab { print }
