// Between the harness library and its main; not for graders.
#pragma once

#include <string>

namespace wb::grading {
class KeyScope;
namespace internal {
void register_scope(const KeyScope* scope);
void unregister_scope(const KeyScope* scope);
// The keys of every live KeyScope, for a failing test's report.
std::string view_live_scopes();
}  // namespace internal
}  // namespace wb::grading
