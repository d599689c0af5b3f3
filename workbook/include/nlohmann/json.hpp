// The system's nlohmann/json.hpp, unchanged, and (in the lessons that use
// JSON) a promise to the compiler: the big class templates below are compiled
// once, in the support library (workbook/src/json_instances.cpp), so a file
// that includes this header does not compile them again. That is about a
// third of what lesson 07's exercise costs to compile after each save.
// Nothing about JSON changes: same types, same calls, same behaviour.
#pragma once
#pragma GCC system_header

#include_next <nlohmann/json.hpp>

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
