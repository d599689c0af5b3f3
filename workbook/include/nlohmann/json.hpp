// The system's nlohmann/json.hpp, unchanged, and (in the lessons that use
// JSON) a promise to the compiler: the big class templates below are compiled
// once, in the support library (workbook/src/json_instances.cpp), so a file
// that includes this header does not compile them again. That is about a
// third of what lesson 07's exercise costs to compile after each save.
// Nothing about JSON changes: same types, same calls, same behaviour.
//
// There too (WB_JSON_LITERALS_OUT_OF_LINE), the header itself comes from a
// copy CMake makes of the system's: the same, but for the bodies of the two
// literal operators ("..."_json, "..."_json_pointer), which call a function
// compiled once in the support library. GCC would otherwise compile parse()
// at the end of every file that includes the header, used or not
// (CMakeLists.txt, workbook_json_literals_out_of_line, says more).
#pragma once
#pragma GCC system_header

#if defined(WB_JSON_LITERALS_OUT_OF_LINE)
#include "wb_system_json.hpp"
#else
#include_next <nlohmann/json.hpp>
#endif

#if defined(WB_JSON_INSTANCES)
NLOHMANN_JSON_NAMESPACE_BEGIN
extern template class basic_json<>;
namespace detail {
extern template class serializer<json>;
extern template class lexer_base<json>;
extern template class lexer<json, iterator_input_adapter<const char*>>;
extern template class parser<json, iterator_input_adapter<const char*>>;
extern template class lexer<json, iterator_input_adapter<std::string::const_iterator>>;
extern template class parser<json, iterator_input_adapter<std::string::const_iterator>>;
extern template class json_sax_dom_parser<json>;
extern template class json_sax_dom_callback_parser<json>;
}  // namespace detail
NLOHMANN_JSON_NAMESPACE_END
extern template class std::vector<nlohmann::json>;
extern template class std::map<std::string, nlohmann::json, std::less<>>;
#endif
