// The target that owns the precompiled header of the lessons without heavy
// headers (workbook_pch in CMakeLists.txt); this file only gives it a source.
namespace wb::detail {
int pch_anchor() { return 0; }
}  // namespace wb::detail
