// The one compiled copy of nlohmann::json's big class templates, for the
// lessons that use JSON (see workbook/include/nlohmann/json.hpp). (iter_impl
// is left out: one of its members only compiles for the const iterator.)
// (With WB_JSON_LITERALS_OUT_OF_LINE, this file also holds the one
// definition of the functions the literal operators call.)
#define WB_JSON_DEFINE_LITERALS 1
#include <nlohmann/json.hpp>

#if !defined(WB_JSON_INSTANCES)
#error "built with WB_JSON_INSTANCES (CMakeLists.txt, workbook_json)"
#endif

NLOHMANN_JSON_NAMESPACE_BEGIN
template class basic_json<>;
namespace detail {
template class serializer<json>;
template class lexer_base<json>;
template class lexer<json, iterator_input_adapter<const char*>>;
template class parser<json, iterator_input_adapter<const char*>>;
template class lexer<json, iterator_input_adapter<std::string::const_iterator>>;
template class parser<json, iterator_input_adapter<std::string::const_iterator>>;
template class json_sax_dom_parser<json>;
template class json_sax_dom_callback_parser<json>;
}  // namespace detail
NLOHMANN_JSON_NAMESPACE_END
template class std::vector<nlohmann::json>;
template class std::map<std::string, nlohmann::json, std::less<>>;
